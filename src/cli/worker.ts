// `joblib-ts worker`: a worker machine of the BullMQ backend (parallel/backends/bullmq/worker.ts)
// from the command line: connect, register, run batches on this machine's process pool until
// SIGTERM or SIGINT, which drain it. The code of the callers' project must be checked out
// here (`--root`); Node options such as `--import tsx` reach the pool's processes.

import { UsageError } from '../errors.js';
import { redact } from '../parallel/backends/bullmq/connection.js';
import { startWorker } from '../parallel/backends/bullmq/worker.js';
import { type Command, HELP_OPTION, parseCommandLine } from './command.js';
import { parseCount, parseDuration } from './units.js';

const OPTIONS = {
  ...HELP_OPTION,
  'redis': { type: 'string' },
  'queue': { type: 'string' },
  'prefix': { type: 'string' },
  'concurrency': { type: 'string' },
  'root': { type: 'string' },
  'no-source': { type: 'boolean' },
  'drain-timeout': { type: 'string' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  'beat': { type: 'string' },
  'verbose': { type: 'boolean', short: 'v' },
  'quiet': { type: 'boolean', short: 'q' },
} as const;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'serve a BullMQ queue: run the batches of Parallel calls made with backend \'bullmq\'',
  synopsis: '--redis URL --queue NAME',
  help: (words) => `Usage: ${words.join(' ')} --redis URL --queue NAME [--concurrency N] [options]

Runs, on this machine, the batches that Parallel calls with backend 'bullmq' put on a queue in
Redis: each batch goes to this machine's process pool (task code never runs on the worker's
own event loop), and its results back to the caller. Start one per machine; the callers'
project must be checked out here (--root), with the same versions: a module that differs
from the caller's is refused by name. Node options reach the pool's processes, so
  node --import tsx node_modules/.bin/joblib-ts worker …   runs TypeScript tasks.

Anyone who can write to the queue runs code here, as with dask or ray: keep Redis private
(bind it to a private network, require a password or an ACL user, use rediss:// for TLS), and
pass --no-source to run module exports only.

SIGTERM or SIGINT drains the worker: it takes no new batch, lets running ones finish (at most
--drain-timeout, then hands them back to the queue), leaves the registry and exits 0. A
second signal exits at once (status 1).

Options:
  --redis URL            Redis (redis://[user:password@]host:6379[/db], rediss:// for TLS);
                         default JOBLIB_TS_REDIS_URL, then REDIS_URL
  --queue NAME           the queue to serve; default JOBLIB_TS_QUEUE, then 'joblib-ts'
  --concurrency N        batches at once: the pool's processes (default: the CPU count)
  --root DIR             where the callers' project is checked out (default: the working folder)
  --no-source            refuse functions shipped by their source; run module exports only
  --prefix NAME          BullMQ's key prefix (default 'bull')
  --drain-timeout T      how long running batches may finish on SIGTERM (default 25s)
  --lock-duration T      BullMQ's lock on a running batch (default 15s): a machine that stops
                         renewing it has its batches run elsewhere after about this long
  --stalled-interval T   how often stalled batches are looked for (default 5s)
  --beat T               how often the worker tells the registry it is alive (default 2s)
  -v, --verbose          a line per batch (call, tasks, outcome, time)
  -q, --quiet            only errors
  -h, --help             show this help

Durations: 30s, 5m, 1h or milliseconds. Exit status: 0 drained, 1 Redis unreachable at start
or a second signal, 2 usage error.
`,
  async run(args, invocation) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) {
      invocation.stdout.write(workerCommand.help(invocation.words));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`worker takes options only; got '${positionals[0]}'.`);
    const connection = values.redis ?? process.env.JOBLIB_TS_REDIS_URL ?? process.env.REDIS_URL;
    if (!connection) throw new UsageError('--redis URL is needed (or JOBLIB_TS_REDIS_URL in the environment).');
    const queue = values.queue ?? process.env.JOBLIB_TS_QUEUE ?? 'joblib-ts';
    const duration = (option: 'drain-timeout' | 'lock-duration' | 'stalled-interval' | 'beat'): number | undefined =>
      values[option] === undefined ? undefined : parseDuration(values[option], `--${option}`);
    const say = (line: string): void => {
      invocation.stderr.write(`${redact(line)}\n`);
    };
    const worker = await startWorker({
      connection, queue,
      ...(values.prefix !== undefined && { prefix: values.prefix }),
      ...(values.concurrency !== undefined && { concurrency: parseCount(values.concurrency, '--concurrency', 1) }),
      ...(values.root !== undefined && { root: values.root }),
      allowSource: !values['no-source'],
      ...(duration('drain-timeout') !== undefined && { drainTimeoutMs: duration('drain-timeout')! }),
      ...(duration('lock-duration') !== undefined && { lockDurationMs: duration('lock-duration')! }),
      ...(duration('stalled-interval') !== undefined && { stalledIntervalMs: duration('stalled-interval')! }),
      ...(duration('beat') !== undefined && { beatMs: duration('beat')! }),
      log: (line) => {
        if (values.quiet) {
          if (/\berror\b/.test(line)) say(line);
        } else if (values.verbose || !/ batch \d+: /.test(line)) {
          say(line);
        }
      },
    });
    return new Promise<number>((resolve) => {
      const stop = (): void => {
        process.once('SIGTERM', () => process.exit(1));
        process.once('SIGINT', () => process.exit(1));
        void worker.close().then(() => resolve(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  },
};
