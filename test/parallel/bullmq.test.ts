// Parallel on many machines, for real: a redis-server on a free loopback port, worker machines
// as separate processes (each with its own process pool), and the failures a distributed run
// meets: workers killed, stopped past their lock, crashing on a batch every time, drained;
// Redis killed, restarted empty, unreachable; callers aborting, abandoning or dying. After each
// test, no worker process and no key of a finished call is left.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerBullmqBackend } from '../../src/bullmq.js';
import {
  BackendUnavailableError, delayed, FunctionReferenceError, NoWorkersError, Parallel, type ParallelOptions,
  TerminatedWorkerError,
} from '../../src/index.js';
import { hasRedis, type RedisServer, startRedis } from '../redis-server.js';
import * as t from './fixtures/remote-tasks.mjs';

const ROOT = path.join(import.meta.dirname, '..', '..');
/** The worker machines are the real command: `joblib-ts worker`, with short lock times for the tests. */
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

let redis: RedisServer;
let client: Redis;
let queue = '';
let queues = 0;
const workers: Worker[] = [];
let scratch: string;

interface Worker {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<number | null>;
}

/** Starts `count` worker machines on the current queue and waits until each is registered. */
async function startWorkers(count: number, slots = 1, flags: readonly string[] = []): Promise<Worker[]> {
  const args = [CLI, 'worker', '--redis', redis.url, '--queue', queue, '--concurrency', String(slots), '--lock-duration',
    '2000', '--stalled-interval', '1000', '--beat', '300', '--drain-timeout', '5000', '-v', ...flags];
  const started = await Promise.all(Array.from({ length: count }, () => new Promise<Worker>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const worker: Worker = {
      child, pid: child.pid!, output: () => output,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('ready:')) resolve(worker);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${output}`)));
  })));
  workers.push(...started);
  return started;
}

const params = (extra: Record<string, unknown> = {}) => ({
  connection: redis.url, queue, workerTimeoutMs: 4000, redisTimeoutMs: 2000, callTtlMs: 3000, ...extra,
});
const onQueue = <M extends 'array' | 'generator' | 'generatorUnordered' = 'array'>(
  options: ParallelOptions<M> = {}, extra: Record<string, unknown> = {},
) => Parallel<M>({ backend: 'bullmq', backendParams: params(extra), ...options });

/** Keys of calls, jobs and payloads left on the queue (BullMQ's and the registry's own are fine). */
async function leftovers(): Promise<string[]> {
  const keys = await client.keys(`bull:${queue}:*`);
  const base = new Set(['id', 'meta', 'events', 'stalled-check', 'wait', 'active', 'completed', 'marker', 'jt:workers']);
  return keys.filter((key) => {
    const rest = key.slice(`bull:${queue}:`.length);
    return !base.has(rest) && !rest.startsWith('jt:worker:');
  }).sort();
}

async function waitFor<T>(what: () => Promise<T> | T, until: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (until(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runsIn = (log: string): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!hasRedis())('the BullMQ backend, on a real redis-server with worker machines', () => {
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    registerBullmqBackend();
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  afterEach(async () => {
    const stopping = workers.splice(0);
    await Promise.all(stopping.map((worker) => worker.stop()));
    // No process left: the worker machines, and their pools' processes (children of the machines).
    for (const worker of stopping) expect(alive(worker.pid)).toBe(false);
    if (client.status === 'ready') expect(await waitFor(leftovers, (keys) => keys.length === 0, 5000)).toEqual([]);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const fresh = (): void => {
    queue = `q${queues++}`;
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bullmq-'));
  };

  it('runs tasks on worker machines: results in order, generators, by-source functions, errors with their class and host', async () => {
    fresh();
    await startWorkers(2, 2);
    const progress: [number, number | undefined][] = [];
    expect(await onQueue({ nJobs: -1, onProgress: ({ completed, total }) => progress.push([completed, total]) })(
      Array.from({ length: 40 }, (_, i) => delayed(t.square)(i))))
      .toEqual(Array.from({ length: 40 }, (_, i) => i * i));
    // Progress as on the local pool: per finished batch, counting tasks, ending at the total.
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([40, 40]);
    expect(progress.map(([completed]) => completed)).toEqual([...progress.map(([completed]) => completed)].sort((a, b) => a - b));
    const inScript = (x: number): string => `<${x}>`;
    const seen: string[] = [];
    for await (const value of onQueue({ returnAs: 'generatorUnordered', batchSize: 1 })([1, 2, 3].map((x) => delayed(inScript)(x)))) {
      seen.push(value);
    }
    expect(seen.sort()).toEqual(['<1>', '<2>', '<3>']);
    const failure = await onQueue({ batchSize: 2 })([0, 1, 2, 3].map((i) => delayed(t.failAt)(i, 2))).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(t.RemoteFailure);
    expect((failure as t.RemoteFailure).detail).toBe('task 2');
    expect((failure as Error).cause).toMatchObject({ name: 'RemoteTaskError', taskIndex: 2, host: os.hostname() });
    expect(String(((failure as Error).cause as Error).message)).toMatch(/remote failure: task 2[\s\S]*failAt/);
  });

  it('refuses a closure before anything is queued, and says which command starts a worker when none serves the queue', async () => {
    fresh();
    let factor = 3;
    const captures = (x: number): number => x * factor;
    factor += 1;
    await expect(onQueue({}, { workerTimeoutMs: 300 })([delayed(captures)(1)])).rejects.toThrow(NoWorkersError);
    await startWorkers(1);
    await expect(onQueue()([delayed(captures)(1)])).rejects.toThrow(FunctionReferenceError);
    expect(await client.llen(`bull:${queue}:wait`)).toBe(0);
    const none = await onQueue({}, { queue: 'nobody', workerTimeoutMs: 300 })([delayed(t.square)(2)]).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(NoWorkersError);
    expect((none as Error).message).toMatch(/npx joblib-ts worker --redis redis:\/\/127\.0\.0\.1:\d+ --queue nobody/);
  });

  it('keeps the call alive while it waits for a worker longer than callTtlMs', async () => {
    fresh();
    // The call's record expired during the wait before the fix: a false "state lost" once the worker came.
    const call = onQueue({}, { callTtlMs: 600, workerTimeoutMs: 15_000 })([delayed(t.square)(4)]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await startWorkers(1);
    expect(await call).toEqual([16]);
  });

  it('keeps per-task timeouts on the workers, both ways', async () => {
    fresh();
    await startWorkers(1, 2);
    const log = path.join(scratch, 'runs');
    const slow = onQueue({ timeout: 300, onTimeout: 'continue', batchSize: 1 });
    const results = await slow([delayed(t.logged)(log, 0, 10), delayed(t.logged)(log, 1, 5000), delayed(t.logged)(log, 2, 10)]);
    expect(results[0]).toBe(0);
    expect(results[1]).toMatchObject({ name: 'TaskTimeoutError', taskIndex: 1, host: os.hostname() });
    expect(results[2]).toBe(2);
  });

  it('re-runs the batch of a worker machine killed mid-batch elsewhere, and records it once', async () => {
    fresh();
    const [first] = await startWorkers(2);
    const log = path.join(scratch, 'runs');
    const call = onQueue({ batchSize: 1, nJobs: 2 })([0, 1, 2, 3].map((i) => delayed(t.logged)(log, i, 1500)));
    await waitFor(() => runsIn(log), (runs) => runs.some((run) => run.endsWith(` ${first!.pid}`)));
    first!.child.kill('SIGKILL');
    expect(await call).toEqual([0, 1, 2, 3]);
    const runs = runsIn(log);
    expect(runs.length).toBeGreaterThan(4); // the killed batch ran again
    expect(new Set(runs.map((run) => run.split(' ')[0]))).toEqual(new Set(['0', '1', '2', '3']));
  });

  it('ignores the late result of a worker stopped past its lock, which another worker ran again', async () => {
    fresh();
    const machines = await startWorkers(2);
    const log = path.join(scratch, 'runs');
    const call = onQueue({ batchSize: 1, nJobs: 1 })([delayed(t.logged)(log, 0, 2500, 'zero'), delayed(t.logged)(log, 1, 10, 'one')]);
    const runs = await waitFor(() => runsIn(log), (lines) => lines.some((run) => run.startsWith('0 ')));
    const first = runs.find((run) => run.startsWith('0 '))!;
    const stopped = machines.find((machine) => first.endsWith(` ${machine.pid}`))!;
    process.kill(stopped.pid, 'SIGSTOP');
    await waitFor(() => runsIn(log), (runs) => runs.filter((run) => run.startsWith('0 ')).length > 1, 15_000);
    process.kill(stopped.pid, 'SIGCONT');
    expect(await call).toEqual(['zero', 'one']);
    expect(runsIn(log).filter((run) => run.startsWith('0 '))).toHaveLength(2);
  });

  it('gives up on a batch that brings down every worker running it: TerminatedWorkerError with host and attempts', async () => {
    fresh();
    await startWorkers(3);
    const log = path.join(scratch, 'victims');
    const started = Date.now();
    const failure = await onQueue({}, { maxAttempts: 2 })([delayed(t.killWorkerMachine)(log)]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TerminatedWorkerError);
    expect(failure).toMatchObject({ host: os.hostname(), attempts: 2 });
    expect((failure as Error).message).toMatch(/started 2 times/);
    expect(runsIn(log)).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('fails at once when a task crashes its pool process, and the worker machine carries on', async () => {
    fresh();
    const [machine] = await startWorkers(1);
    const failure = await onQueue()([delayed(t.crashPoolProcess)()]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TerminatedWorkerError);
    expect(failure).toMatchObject({ exitCode: 3, host: os.hostname() });
    expect(alive(machine!.pid)).toBe(true);
    expect(await onQueue()([delayed(t.square)(7)])).toEqual([49]);
  });

  it('drains a worker machine on SIGTERM: its running batch finishes, the call completes', async () => {
    fresh();
    const [machine] = await startWorkers(1);
    const log = path.join(scratch, 'runs');
    const call = onQueue({ batchSize: 1 })([delayed(t.logged)(log, 0, 1000, 'drained')]);
    await waitFor(() => runsIn(log), (runs) => runs.length > 0);
    const stopped = machine!.stop();
    expect(await call).toEqual(['drained']);
    expect(await stopped).toBe(0);
    expect(machine!.output()).toMatch(/draining[\s\S]*stopped/);
  });

  it('gets its own results when three callers share a queue', async () => {
    fresh();
    await startWorkers(2, 2);
    const calls = [1, 2, 3].map((caller) => onQueue({ batchSize: 2 })(Array.from({ length: 12 }, (_, i) => delayed(t.square)(caller * 100 + i))));
    const results = await Promise.all(calls);
    results.forEach((values, c) => expect(values).toEqual(Array.from({ length: 12 }, (_, i) => ((c + 1) * 100 + i) ** 2)));
  });

  it('leaves no job or key behind when a call is aborted or its generator abandoned', async () => {
    fresh();
    await startWorkers(1);
    const log = path.join(scratch, 'runs');
    const controller = new AbortController();
    const call = onQueue({ batchSize: 1, signal: controller.signal })(Array.from({ length: 6 }, (_, i) => delayed(t.logged)(log, i, 2000)));
    await waitFor(() => runsIn(log), (runs) => runs.length > 0);
    controller.abort(new Error('enough'));
    await expect(call).rejects.toThrow('enough');
    const generator = onQueue({ batchSize: 1, returnAs: 'generator' })(Array.from({ length: 6 }, (_, i) => delayed(t.logged)(log, i, 300)));
    for await (const value of generator) {
      expect(value).toBe(0);
      break;
    }
    expect(await waitFor(leftovers, (keys) => keys.length === 0)).toEqual([]);
    expect(await client.llen(`bull:${queue}:wait`)).toBe(0);
  });

  it('stops the work of a caller that died, and its keys expire', async () => {
    fresh();
    const [machine] = await startWorkers(1);
    const log = path.join(scratch, 'runs');
    const caller = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'bullmq-caller.mjs'), redis.url, queue, log],
      { cwd: ROOT, stdio: 'ignore' });
    await waitFor(() => runsIn(log), (runs) => runs.length > 0);
    caller.kill('SIGKILL');
    // Within the call's TTL (1.5 s) and a check (1 s), the worker stops the batch it runs and takes no more.
    expect(await waitFor(() => machine!.output(), (output) => /ended \(its caller is gone\)/.test(output))).toMatch(/ended/);
    const runs = runsIn(log).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(runsIn(log).length).toBe(runs);
  });

  it('refuses to run a function whose module differs on the worker machine, and by-source functions on a --no-source worker', async () => {
    fresh();
    const root = path.join(scratch, 'checkout');
    const fixture = path.join(root, 'test', 'parallel', 'fixtures');
    fs.mkdirSync(fixture, { recursive: true });
    fs.writeFileSync(path.join(root, 'package.json'), '{"name":"joblib-ts","type":"module"}');
    fs.writeFileSync(path.join(fixture, 'remote-tasks.mjs'), 'export const square = (x) => x * x * x; // another version\n');
    await startWorkers(1, 1, ['--root', root, '--no-source']);
    const skew = await onQueue()([delayed(t.square)(2)]).catch((e: unknown) => e);
    expect(skew).toBeInstanceOf(FunctionReferenceError);
    expect((skew as Error).message).toMatch(/test\/parallel\/fixtures\/remote-tasks\.mjs, which differs on this worker .*hash [0-9a-f]{32}.*hash [0-9a-f]{32}/);
    const bySource = (x: number): number => x + 1;
    const refused = await onQueue()([delayed(bySource)(1)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FunctionReferenceError);
    expect((refused as Error).message).toMatch(/runs only module exports \(--no-source\)/);
  });

  it('sends a large argument once per call and removes it after', async () => {
    fresh();
    await startWorkers(2);
    const values = new Float64Array(2_000_000).fill(0.5); // 16 MB
    const monitor = await client.monitor(); // a connection of its own
    monitor.on('error', () => undefined);
    const blobCommands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (String(args[1]).includes(':blob:')) blobCommands.push(args[0]!.toLowerCase());
    });
    // The MONITOR connection parses each 16 MB command in this process, which can stall its event
    // loop past the tests' 3 s callTtlMs on a busy machine: the default TTL here.
    expect(await onQueue({ batchSize: 1 }, { callTtlMs: 30_000 })(Array.from({ length: 8 }, () => delayed(t.sum)(values))))
      .toEqual(Array(8).fill(1_000_000));
    monitor.disconnect();
    expect(blobCommands.filter((command) => command === 'set')).toHaveLength(1); // one upload (one 16 MB chunk)
    // Fetched once per worker machine that ran a batch of the call.
    expect(blobCommands.filter((command) => command === 'get').length).toBeGreaterThanOrEqual(1);
    expect(blobCommands.filter((command) => command === 'get').length).toBeLessThanOrEqual(2);
  });

  it('fails within its deadline when Redis dies mid-call; workers reconnect and the next call works', async () => {
    fresh();
    const machines = await startWorkers(1);
    const log = path.join(scratch, 'runs');
    const call = onQueue({ batchSize: 1 })([0, 1].map((i) => delayed(t.logged)(log, i, 3000)));
    await waitFor(() => runsIn(log), (runs) => runs.length > 0);
    const killedAt = Date.now();
    await redis.kill();
    const failure = await call.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect(failure).toMatchObject({ reason: 'unreachable' });
    expect(Date.now() - killedAt).toBeLessThan(8000);
    await redis.restart();
    await waitFor(() => client.ping().catch(() => ''), (pong) => pong === 'PONG');
    expect(await onQueue({}, { workerTimeoutMs: 10_000 })([delayed(t.square)(3)])).toEqual([9]);
    expect(machines[0]!.child.exitCode).toBe(null);
  });

  it('fails with "state lost" when Redis restarts empty mid-call, never with wrong results', async () => {
    fresh();
    await startWorkers(1);
    const log = path.join(scratch, 'runs');
    const call = onQueue({ batchSize: 1 }, { redisTimeoutMs: 10_000 })([0, 1].map((i) => delayed(t.logged)(log, i, 1500)));
    await waitFor(() => runsIn(log), (runs) => runs.length > 0);
    await redis.kill();
    await redis.restart();
    const failure = await call.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect(failure).toMatchObject({ reason: 'state-lost' });
    await waitFor(() => client.ping().catch(() => ''), (pong) => pong === 'PONG');
  });

  it('names an unreachable Redis at once, with its password removed', async () => {
    const closed = `redis://user:s3cret@127.0.0.1:${redis.port + 1}`;
    const failure = await Parallel({ backend: 'bullmq', backendParams: { connection: closed, redisTimeoutMs: 1000 } })([
      delayed(t.square)(1)]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as Error).message).toMatch(/Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+ cannot be reached/);
    expect(JSON.stringify(failure) + String((failure as Error).message)).not.toContain('s3cret');
    queue = `q${queues++}`;
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bullmq-'));
  });

  it('runs the README\'s "Many machines" script as written, against a worker started as it says', async () => {
    queue = 'demo'; // the queue the README names
    scratch = fs.mkdtempSync(path.join(ROOT, '.tmp-readme-bullmq-')); // inside the package: 'joblib-ts' resolves
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Many machines')))?.[1];
    expect(code).toContain('joblib-ts/bullmq');
    fs.writeFileSync(path.join(scratch, 'collatz.mjs'), code!);
    await startWorkers(1, 2);
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['collatz.mjs'], {
        cwd: scratch, env: { ...process.env, JOBLIB_TS_REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stdout}`))));
    });
    expect(out).toBe(`${/^\/\/ (10000 results.*)$/m.exec(code!)![1]}\n`);
  });

  it('exits 1 from `joblib-ts worker` with the Redis it could not reach, its password removed', async () => {
    fresh();
    const closed = `redis://user:s3cret@127.0.0.1:${redis.port + 1}`;
    const child = spawn(process.execPath, [CLI, 'worker', '--redis', closed, '--queue', queue], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(1);
    expect(output).toMatch(/redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+/);
    expect(output).not.toContain('s3cret');
  });
});
