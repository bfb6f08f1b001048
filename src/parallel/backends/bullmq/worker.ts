// The worker side of the BullMQ backend, one per machine (`joblib-ts worker`): a BullMQ Worker
// whose processor never runs task code itself (a CPU-bound task on its event loop would stop
// the lock renewals, and BullMQ would run the batch again elsewhere). Each job's batch goes to
// this machine's process pool, and its outcome to the caller's result stream:
//
//   job ─ call still alive? ─ started too often? ─ functions and types made local (same code?)
//       ─ batch read (large arguments fetched once per call) ─ process pool ─ XADD outcome
//
// The worker beats into the registry, drops a call's work when its caller cancels it or dies,
// and drains on SIGTERM: running batches finish (or go back to the queue at the drain limit).

import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { FunctionReferenceError, TerminatedWorkerError } from '../../../errors.js';
import { loadType } from '../../../serialization/functions/type-loader.js';
import { cpuCount } from '../../cpu-count.js';
import type { JobOutcome } from '../pool/jobs.js';
import { LargeArguments } from '../pool/large-arguments.js';
import { sharedPool } from '../pool/shared-pool.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import { spawnProcesses } from '../process/worker-process.js';
import { defineFunction, type FunctionDef } from '../wire/function-table.js';
import { connect, describeServer, loadModules, redact } from './connection.js';
import { QueueKeys } from './keys.js';
import { decodeBatch, encodeOutcome, fetchBlob, type JobData, type RemoteOutcome } from './payload.js';
import { localFunctionRef, localTypeRef } from './portable.js';
import { beat, leave } from './registry.js';

/**
 * How a worker machine runs.
 *
 * @category BullMQ
 */
export interface WorkerMachineOptions {
  /** Redis: a URL or ioredis options. */
  readonly connection: string | RedisOptions;
  /** The queue to serve: the callers' `backendParams.queue` (their default is `'joblib-ts'`). */
  readonly queue: string;
  /** BullMQ's key prefix; default `'bull'`. */
  readonly prefix?: string;
  /** Batches run at once (the local pool's processes); default `cpuCount()`. */
  readonly concurrency?: number;
  /** Where the callers' project is checked out on this machine; default the working directory. */
  readonly root?: string;
  /** Whether functions shipped by source may run here; default true. */
  readonly allowSource?: boolean;
  /** BullMQ's lock on a running job, renewed every half; default 15 000 ms. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for; default 5 000 ms. */
  readonly stalledIntervalMs?: number;
  /** Registry beat; default 2 000 ms. */
  readonly beatMs?: number;
  /** On close, how long running batches may finish before they go back to the queue; default 25 000 ms. */
  readonly drainTimeoutMs?: number;
  /** How long to wait for Redis at start; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** One line per batch and per event (`-v`); nothing when absent. */
  readonly log?: (line: string) => void;
}

/**
 * A running worker machine.
 *
 * @category BullMQ
 */
export interface RunningWorker {
  /** This machine's id in the worker registry: `<hostname>-<pid>-<start time>`. */
  readonly id: string;
  /** Stops taking jobs, lets running batches finish (at most `drainTimeoutMs`), leaves the registry. */
  close(): Promise<void>;
}

/** How often running calls are checked for a caller that died. */
const CALL_CHECK_MS = 1000;
/** A call with no batch for this long is forgotten (its large arguments freed). */
const CALL_IDLE_MS = 60_000;

const REPORT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('XADD', KEYS[2], '*', 'n', ARGV[1], 'r', ARGV[2])
end
return false`;

/** What this machine keeps of one call while its batches come. */
interface CallState {
  readonly owner: object;
  readonly blobs: Map<string, Promise<Uint8Array>>;
  readonly large: LargeArguments;
  /** Processors running its batches: each settles when the call is cancelled. */
  readonly cancels: Set<() => void>;
  lastUsed: number;
}

/**
 * Starts a worker machine: connected, registered, taking jobs (what `npx joblib-ts worker`
 * runs). Batches run on this machine's process pool, never on BullMQ's event loop; functions
 * and modules are resolved under `root`, the callers' project checked out here.
 *
 * @throws {@link joblib-ts!BackendUnavailableError | BackendUnavailableError} when Redis does not
 *   answer within `connectTimeoutMs`; {@link joblib-ts!InvalidOptionError | InvalidOptionError}
 *   when bullmq or ioredis is not installed.
 * @category BullMQ
 * @example
 * import { startWorker } from 'joblib-ts/bullmq';
 * const worker = await startWorker({ connection: 'redis://10.0.0.5:6379', queue: 'sim', concurrency: 8 });
 * process.once('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: WorkerMachineOptions): Promise<RunningWorker> {
  const { bullmq } = await loadModules();
  const timeout = options.connectTimeoutMs ?? 10_000;
  const redis = await connect(options.connection, 'blocking', timeout);
  const subscriber = await connect(options.connection, 'blocking', timeout).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const machine = new WorkerMachine(options, redis, subscriber);
  await machine.start(bullmq.Worker);
  return machine;
}

class WorkerMachine implements RunningWorker {
  readonly id: string;
  private readonly keys: QueueKeys;
  private readonly host = hostname();
  private readonly slots: number;
  private readonly root: string;
  private readonly pool: WorkerPool;
  private readonly calls = new Map<string, CallState>();
  private readonly loadedTypes = new Set<string>();
  private readonly active = new Map<string, { job: Job; token: string | undefined }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private worker: Worker | undefined;
  /** BullMQ's own connection (it does not close one it was given). */
  private workerConnection: Redis | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WorkerMachineOptions, private readonly redis: Redis,
    private readonly subscriber: Redis) {
    this.slots = options.concurrency ?? cpuCount();
    this.root = options.root ?? process.cwd();
    this.id = `${this.host}-${process.pid}-${Date.now().toString(36)}`;
    this.keys = new QueueKeys(options.prefix ?? 'bull', options.queue);
    this.pool = sharedPool(spawnProcesses, { maxWorkers: this.slots });
  }

  async start(WorkerClass: typeof Worker): Promise<void> {
    await this.subscriber.subscribe(this.keys.cancel);
    this.subscriber.on('message', (_channel: string, callId: string) => this.drop(callId, 'cancelled by its caller'));
    await this.beat();
    const beatMs = this.options.beatMs ?? 2000;
    this.timers.push(setInterval(() => void this.beat().catch(() => undefined), beatMs));
    this.timers.push(setInterval(() => void this.checkCalls(), CALL_CHECK_MS));
    this.workerConnection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.workerConnection.on('error', () => undefined); // BullMQ reports it through the worker's 'error'
    this.worker = new WorkerClass(this.options.queue, (job, token) => this.process(job, token), {
      connection: this.workerConnection,
      prefix: this.keys.prefix,
      concurrency: this.slots,
      lockDuration: this.options.lockDurationMs ?? 15_000,
      stalledInterval: this.options.stalledIntervalMs ?? 5_000,
      // Our own count of starts decides (maxAttempts, sent by the caller): BullMQ only re-runs.
      maxStalledCount: 1_000_000,
      name: this.id,
    });
    let lastError = 0;
    this.worker.on('error', (error) => {
      // BullMQ reports a lost connection about twice a second: once every 10 s is enough.
      if (Date.now() - lastError < 10_000) return;
      lastError = Date.now();
      this.log(`error: ${redact(error.message)}`);
    });
    await this.worker.waitUntilReady();
    this.log(`ready: ${this.slots} slots on queue '${this.options.queue}' at ${describeServer(this.options.connection)}`);
  }

  private log(line: string): void {
    this.options.log?.(`[joblib-ts worker ${this.id}] ${line}`);
  }

  private beat(): Promise<void> {
    return beat(this.redis, this.keys, {
      id: this.id, host: this.host, pid: process.pid, slots: this.slots, root: this.root, node: process.version,
      allowSource: this.options.allowSource ?? true,
    }, this.options.beatMs ?? 2000);
  }

  private async process(job: Job, token: string | undefined): Promise<string> {
    const data = job.data as JobData;
    const key = job.id ?? `${data.call}.${data.seq}`;
    this.active.set(key, { job, token });
    try {
      if (await this.redis.exists(this.keys.call(data.call)) === 0) return 'dropped'; // cancelled, or the caller died
      const started = performance.now();
      const outcome = job.attemptsStarted > data.maxAttempts ? this.givenUp(data, job.attemptsStarted)
        : await this.run(data);
      if (outcome === undefined) return 'dropped';
      await this.redis.eval(REPORT, 2, this.keys.call(data.call), this.keys.results(data.call), String(data.seq),
        encodeOutcome(outcome));
      this.log(`call ${data.call} batch ${data.seq}: tasks #${data.first}–${data.first + data.count - 1} ` +
        `${outcome.ok ? 'done' : `failed (${(outcome.error as Error).name})`} in ${(performance.now() - started).toFixed(0)} ms`);
      return 'done';
    } finally {
      this.active.delete(key);
    }
  }

  /** A batch whose every run so far ended with its worker gone: report it instead of killing another. */
  private givenUp(data: JobData, started: number): RemoteOutcome {
    const last = data.first + data.count - 1;
    const attempts = started - 1; // this start is the one that gives up
    const error = new TerminatedWorkerError(`Tasks #${data.first}–${last} were started ${attempts} times on the ` +
      `workers of queue '${this.options.queue}', and each time the worker running them stopped (killed, out of memory, ` +
      `or it lost its lock); this worker (${this.host}) gives up on them. Look for the task that brings its worker down.`,
    { pid: undefined, exitCode: null, signal: null, taskIndex: data.first, host: this.host, attempts });
    return { ok: false, error, index: 0, partial: [], stack: undefined, pid: process.pid, host: this.host };
  }

  /** Runs a batch on the local pool; undefined when its call was cancelled meanwhile. */
  private async run(data: JobData): Promise<RemoteOutcome | undefined> {
    const call = this.callState(data.call);
    try {
      const defs = new Map<number, FunctionDef>(data.functions.map(([id, ref]) => {
        if (ref.kind === 'source' && this.options.allowSource === false) {
          throw new FunctionReferenceError(ref.name, `${ref.name} is shipped by its source, and this worker (${this.host}) ` +
            'runs only module exports (--no-source). Export the function from a module of the project.');
        }
        return [id, defineFunction(localFunctionRef(ref, this.root))];
      }));
      for (const type of data.types) {
        if (this.loadedTypes.has(type.name)) continue;
        await loadType(localTypeRef(type, this.root));
        this.loadedTypes.add(type.name);
      }
      const frame = data.inline !== undefined ? Buffer.from(data.inline, 'base64')
        : await this.redis.getBuffer(data.payloadKey!);
      if (!frame) throw new Error(`the batch's payload is gone from Redis (${data.payloadKey})`);
      const blobs = new Map(await Promise.all(data.blobs.map(async ([name, chunks, bytes]) => {
        let blob = call.blobs.get(name);
        if (!blob) {
          blob = fetchBlob(this.redis, this.keys, data.call, name, chunks, bytes);
          call.blobs.set(name, blob);
        }
        return [name, await blob] as const;
      })));
      const body = decodeBatch(frame, blobs);
      const outcome = await new Promise<JobOutcome | undefined>((settle) => {
        const cancel = (): void => settle(undefined);
        call.cancels.add(cancel);
        this.pool.submitJob({
          functions: [...defs.values()], fnIds: body.fnIds.map((id) => defs.get(id)!.id), args: body.args,
          firstIndex: data.first, timeoutMs: data.timeoutMs ?? undefined, owner: call.owner, large: call.large,
          settle: (result) => {
            call.cancels.delete(cancel);
            settle(result);
          },
        });
      });
      if (!outcome) return undefined;
      if (outcome.ok) return { ok: true, results: outcome.results };
      return { ok: false, error: withHost(outcome.error, this.host), index: outcome.index, partial: outcome.partial,
        stack: outcome.remote ? outcome.stack : undefined, pid: outcome.pid, host: this.host };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return {
        ok: false, error: withHost(failure, this.host), index: 0, partial: [], stack: undefined, pid: process.pid,
        host: this.host,
      };
    }
  }

  private callState(callId: string): CallState {
    let call = this.calls.get(callId);
    if (!call) {
      call = { owner: {}, blobs: new Map(), large: new LargeArguments(1024 * 1024, undefined), cancels: new Set(),
        lastUsed: Date.now() };
      this.calls.set(callId, call);
    }
    call.lastUsed = Date.now();
    return call;
  }

  /** Ends this machine's part of a call: its batches killed in the pool, its data freed. */
  private drop(callId: string, why: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.calls.delete(callId);
    const running = call.cancels.size;
    this.pool.cancel(call.owner, call.large.files);
    call.large.dispose();
    for (const cancel of call.cancels) cancel();
    if (running > 0) this.log(`call ${callId} ${why}: ${running} running batch${running > 1 ? 'es' : ''} stopped`);
  }

  /** Drops calls whose caller is gone (its record expired) and calls idle for long. */
  private async checkCalls(): Promise<void> {
    const now = Date.now();
    for (const [callId, call] of this.calls) {
      if (call.cancels.size === 0 && now - call.lastUsed > CALL_IDLE_MS) {
        this.drop(callId, 'idle');
        continue;
      }
      if (call.cancels.size === 0) continue;
      const alive = await this.redis.exists(this.keys.call(callId)).catch(() => 1);
      if (alive === 0) this.drop(callId, 'ended (its caller is gone)');
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log('draining');
    for (const timer of this.timers) clearInterval(timer);
    const worker = this.worker!;
    const drained = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.options.drainTimeoutMs ?? 25_000);
    });
    if (await Promise.race([drained.then(() => 'drained' as const), limit]) === 'late') {
      // Past the drain limit: running batches go back to the queue at once, for another worker.
      this.log(`${this.active.size} batch(es) still running at the drain limit: handed back to the queue`);
      await Promise.all([...this.active.values()].map(({ job, token }) => job.moveToWait(token).catch(() => 0)));
      for (const callId of [...this.calls.keys()]) this.drop(callId, 'handed back');
      await worker.close(true).catch(() => undefined);
    }
    clearTimeout(timer);
    await this.pool.shutdown({ kill: true });
    await leave(this.redis, this.keys, this.id).catch(() => undefined);
    this.subscriber.disconnect();
    this.workerConnection?.disconnect();
    this.redis.disconnect();
    this.log('stopped');
  }
}

/** The error with the machine it happened on (kept as it crosses back to the caller). */
function withHost(error: Error, host: string): Error {
  if (!('host' in error) || (error as { host?: unknown }).host === undefined) {
    Object.defineProperty(error, 'host', { value: host, writable: true, enumerable: true, configurable: true });
  }
  return error;
}
