#!/usr/bin/env node
// The `joblib-ts` program: a table of commands chosen by the first argument, and one place that
// turns what a command throws into a message and an exit status: 0 ok, 1 failure, 2 usage
// error. The CLI is the top floor: it calls persistence, memory, parallel (the BullMQ worker)
// and serialization; nothing imports it. A command is one entry in COMMANDS (and its own file).

import fs from 'node:fs';
import { JoblibError, UsageError } from '../errors.js';
import { cacheCommand } from './cache.js';
import { type Command, commandGroup, type Invocation } from './command.js';
import { inspectCommand } from './inspect.js';
import { workerCommand } from './worker.js';

/** The commands, in the order `joblib-ts --help` lists them. */
const COMMANDS: readonly Command[] = [inspectCommand, cacheCommand, workerCommand];

function version(): string {
  const manifest = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

const program = commandGroup({
  name: 'joblib-ts',
  summary: 'tools for joblib-ts dumps, Memory caches and worker machines',
  description: 'Tools for joblib-ts dump files and Memory cache folders (nothing in what they read is run: dumps\n' +
    'are inspected, not loaded), and the worker of the BullMQ backend.',
  commands: COMMANDS,
  options: '  --version    print the version of joblib-ts\n',
  own: (args, invocation) => {
    if (args[0] !== '--version') return null;
    if (args.length > 1) throw new UsageError(`--version takes nothing after it; got '${args[1]}'.`);
    invocation.stdout.write(`${version()}\n`);
    return 0;
  },
});

/** What an error means for the user: the message, and the exit status. */
function report(error: unknown, invocation: Invocation): number {
  const where = invocation.words.join(' ');
  if (error instanceof UsageError) {
    invocation.stderr.write(`${where}: ${error.message}\nRun '${where} --help' for usage.\n`);
    return 2;
  }
  if (error instanceof JoblibError) {
    invocation.stderr.write(`${where}: ${error.message}\n`);
    return 1;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    // The file system's own words (ENOENT: no such file or directory, open 'x').
    invocation.stderr.write(`${where}: ${(error as Error).message}\n`);
    return 1;
  }
  invocation.stderr.write(`${where}: unexpected error (a bug in joblib-ts; please report it):\n` +
    `${error instanceof Error ? error.stack : String(error)}\n`);
  return 1;
}

/** Runs the program on `args` (the arguments after `joblib-ts`); resolves to the exit status. */
async function main(args: readonly string[], io: Omit<Invocation, 'words'>): Promise<number> {
  const invocation: Invocation = { ...io, words: ['joblib-ts'] };
  try {
    return await program.run(args, invocation);
  } catch (error) {
    return report(error, invocation);
  }
}

// A reader that closed the pipe (`joblib-ts cache ls DIR | head`) wants no more: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin })
  .then((status) => {
    process.exitCode = status;
  });
