// One Parallel call on a BullMQ queue, on the caller's side:
//
//   begin: connect ─ call record (expires unless refreshed) ─ wait for a live worker
//   submit: batch → frame (large arguments set aside once) → job `<call>.<seq>` on the queue
//   results: the workers XADD each batch's outcome to the call's stream; one blocking reader
//            hands each seq to its batch once (a batch BullMQ re-ran is recorded once)
//   every tick: Redis down too long, the call's state gone, no live worker → a named error
//   end: cancel published, waiting jobs removed, the call's keys deleted
//
// Task code never runs here; the caller only encodes, queues and decodes.

import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { BackendUnavailableError, NoWorkersError } from '../../../errors.js';
import { resolveTypeRef } from '../../../serialization/functions/type-ref.js';
import type { TypeRef } from '../../../serialization/functions/type-ref.js';
import { rebuildTaskError, restoreJoblibClass } from '../../remote-error.js';
import type { BatchOutcome, TaskBatch } from '../backend.js';
import type { RegisteredFunction } from '../wire/function-table.js';
import { unencodableArguments } from '../wire/messages.js';
import { connect, describeServer, loadModules, redact } from './connection.js';
import { QueueKeys } from './keys.js';
import type { ResolvedParams } from './params.js';
import { CallBlobs, decodeOutcome, encodeBatch, type JobData, type RemoteOutcome } from './payload.js';
import { portableFunctionRef, portableTypeRef } from './portable.js';
import { liveWorkers } from './registry.js';

/** How often the caller checks Redis, its call's state and the workers. */
const TICK_MS = 250;
/** How long the reader blocks on the stream before looking again. */
const READ_BLOCK_MS = 1000;

interface PendingBatch {
  readonly batch: TaskBatch;
  readonly done: (outcome: BatchOutcome) => void;
  readonly functions: ReadonlyMap<number, RegisteredFunction>;
}

let calls = 0;

export class RemoteCall {
  readonly id = `c${process.pid.toString(36)}${Date.now().toString(36)}${(calls++).toString(36)}`;
  /** Slots of the live workers, as last counted. */
  liveSlots = 0;
  private readonly keys: QueueKeys;
  private readonly server: string;
  private readonly pending = new Map<number, PendingBatch>();
  private readonly settled = new Set<number>();
  /** Keys this call made besides its record and stream (payloads, blobs), for refresh and cleanup. */
  private readonly madeKeys = new Set<string>();
  private readonly blobs: CallBlobs;
  private readonly functions = new Map<number, RegisteredFunction>();
  private nextSeq = 0;
  private ended = false;
  /** A failure found outside a batch (Redis gone, state lost, no workers), for the next batch to report. */
  private failure: Error | undefined;
  private downSince: number | undefined;
  private noWorkersSince: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly params: ResolvedParams,
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly queue: Queue,
    maxNbytes: number,
  ) {
    this.keys = new QueueKeys(params.prefix, params.queue);
    this.server = describeServer(params.connection);
    this.blobs = new CallBlobs(maxNbytes);
    redis.on('close', () => {
      this.downSince ??= Date.now();
    });
    redis.on('ready', () => {
      this.downSince = undefined;
    });
  }

  /** Connects, records the call, and waits (at most `workerTimeoutMs`) for a live worker. */
  static async begin(params: ResolvedParams, maxNbytes: number): Promise<RemoteCall> {
    const { bullmq } = await loadModules();
    const redis = await connect(params.connection, 'command', params.redisTimeoutMs);
    let reader: Redis | undefined;
    try {
      reader = await connect(params.connection, 'blocking', params.redisTimeoutMs);
      const queue = new bullmq.Queue(params.queue, {
        connection: redis, prefix: params.prefix,
        // Nobody reads BullMQ's event stream for these jobs (results come on the call's own stream).
        streams: { events: { maxLen: 100 } },
      });
      // The link's troubles reach the call through its tick (a named error within redisTimeoutMs).
      queue.on('error', () => undefined);
      const call = new RemoteCall(params, redis, reader, queue, maxNbytes);
      await call.start();
      return call;
    } catch (error) {
      redis.disconnect();
      reader?.disconnect();
      throw error;
    }
  }

  private async start(): Promise<void> {
    const record = this.keys.call(this.id);
    await this.redis.multi().hset(record, 'host', hostname(), 'pid', String(process.pid), 'started', String(Date.now()))
      .pexpire(record, this.params.callTtlMs).exec();
    // Kept alive from now on: waiting for workers may outlast callTtlMs (workerTimeoutMs is its own).
    this.keepTimer(setInterval(() => void this.refresh(), Math.max(this.params.callTtlMs / 3, 50)));
    try {
      await this.waitForWorkers();
    } catch (error) {
      for (const timer of this.timers) clearInterval(timer);
      throw error;
    }
    void this.read();
    this.keepTimer(setInterval(() => void this.tick(), TICK_MS));
  }

  private keepTimer(timer: NodeJS.Timeout): void {
    timer.unref();
    this.timers.push(timer);
  }

  private async waitForWorkers(): Promise<void> {
    const started = Date.now();
    for (;;) {
      this.liveSlots = (await liveWorkers(this.redis, this.keys)).reduce((sum, worker) => sum + worker.slots, 0);
      if (this.liveSlots > 0) return;
      const waited = Date.now() - started;
      if (waited >= this.params.workerTimeoutMs) throw this.noWorkers(waited);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, this.params.workerTimeoutMs - waited)));
    }
  }

  private noWorkers(waitedMs: number): NoWorkersError {
    const { queue } = this.params;
    const url = typeof this.params.connection === 'string' ? redact(this.params.connection) : this.server;
    return new NoWorkersError(`No joblib-ts worker serves the queue '${queue}' on ${this.server} (waited ` +
      `${(waitedMs / 1000).toFixed(1)} s). Start one on each machine: npx joblib-ts worker --redis ${url} --queue ${queue}`,
    queue, waitedMs);
  }

  /** Remembers the functions the call's batches use (registered and refused in `prepare`). */
  addFunctions(functions: readonly RegisteredFunction[]): void {
    for (const registered of functions) this.functions.set(registered.id, registered);
  }

  submit(batch: TaskBatch, ids: readonly number[], done: (outcome: BatchOutcome) => void): void {
    if (this.failure) {
      done({ ok: false, error: this.failure, index: 0, partial: [] });
      return;
    }
    const seq = this.nextSeq++;
    const used = new Map([...new Set(ids)].map((id) => [id, this.functions.get(id)!] as const));
    const args = batch.tasks.map((task) => task.args);
    const types = new Map<string, TypeRef>();
    let frame: Buffer;
    try {
      frame = encodeBatch({ fnIds: ids, args }, this.blobs, (name) => {
        if (!types.has(name)) types.set(name, portableTypeRef(resolveTypeRef(name)));
      });
    } catch (error) {
      const refused = error instanceof Error && error.name === 'TypeReferenceError' ? { index: 0, error }
        : unencodableArguments(args, batch.firstIndex, error);
      done({ ok: false, error: refused.error, index: refused.index, partial: [] });
      return;
    }
    this.pending.set(seq, { batch, done, functions: used });
    void this.enqueue(seq, batch, used, frame, [...types.values()]).catch((error: unknown) => {
      this.failBatch(seq, this.unavailable(error));
    });
  }

  private async enqueue(seq: number, batch: TaskBatch, used: ReadonlyMap<number, RegisteredFunction>, frame: Buffer,
    types: TypeRef[]): Promise<void> {
    const uploaded = await this.blobs.upload(this.redis, this.keys, this.id, this.params.callTtlMs);
    for (const key of uploaded) this.madeKeys.add(key);
    const inline = frame.length <= this.params.inlineBytes;
    const payloadKey = this.keys.payload(this.id, seq);
    if (!inline) {
      await this.redis.set(payloadKey, frame, 'PX', this.params.callTtlMs);
      this.madeKeys.add(payloadKey);
    }
    const data: JobData = {
      v: 1, call: this.id, seq, first: batch.firstIndex, count: batch.tasks.length, timeoutMs: batch.timeoutMs ?? null,
      maxAttempts: this.params.maxAttempts,
      functions: [...used.values()].map((f) => [f.id, portableFunctionRef(f.ref)] as const),
      types, blobs: [...this.blobs.all].map(([name, [chunks, bytes]]) => [name, chunks, bytes] as const),
      ...(inline ? { inline: frame.toString('base64') } : { payloadKey }),
    };
    if (this.ended) return;
    const first = [...used.values()][0]?.ref.name ?? 'task';
    const last = batch.firstIndex + batch.tasks.length - 1;
    await this.queue.add(`${first} ×${batch.tasks.length} #${batch.firstIndex}–${last}`, data, {
      jobId: `${this.id}.${seq}`, removeOnComplete: true, removeOnFail: { age: 3600, count: 1000 }, attempts: 1,
    });
  }

  /** Reads the call's result stream until the call ends; each batch's outcome is handed over once. */
  private async read(): Promise<void> {
    let lastId = '0-0';
    const stream = this.keys.results(this.id);
    while (!this.ended) {
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        reply = await this.reader.xreadBuffer('BLOCK', READ_BLOCK_MS, 'STREAMS', stream, lastId);
      } catch {
        if (this.ended) return;
        await new Promise((resolve) => setTimeout(resolve, 100)); // down: the tick decides when to give up
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          lastId = id.toString();
          void this.settle(Number(fieldOf(fields, 'n')?.toString()), fieldOf(fields, 'r'));
        }
      }
    }
  }

  private async settle(seq: number, bytes: Buffer | undefined): Promise<void> {
    if (this.settled.has(seq)) return; // a batch BullMQ ran twice: its first outcome stands
    const entry = this.pending.get(seq);
    if (!entry || !bytes) return;
    this.settled.add(seq);
    this.pending.delete(seq);
    const payloadKey = this.keys.payload(this.id, seq);
    if (this.madeKeys.delete(payloadKey)) void this.redis.unlink(payloadKey).catch(() => undefined);
    let outcome: RemoteOutcome;
    try {
      outcome = decodeOutcome(bytes);
    } catch (error) {
      entry.done({ ok: false, error: error as Error, index: 0, partial: [] });
      return;
    }
    entry.done(await this.toBatchOutcome(entry, outcome));
  }

  private async toBatchOutcome(entry: PendingBatch, outcome: RemoteOutcome): Promise<BatchOutcome> {
    if (outcome.ok) return { ok: true, results: [...outcome.results] };
    const { index, stack, pid, host } = outcome;
    let error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    if (stack === undefined) {
      restoreJoblibClass(error);
    } else {
      const task = entry.batch.tasks[index];
      const ref = task && [...entry.functions.values()].find((f) => f.fn === task.fn)?.ref;
      error = await rebuildTaskError(error, stack, entry.batch.firstIndex + index, ref, pid, undefined, host);
    }
    return { ok: false, error, index, partial: [...outcome.partial] };
  }

  /** Keeps the call's keys alive while the caller is. */
  private async refresh(): Promise<void> {
    const ttl = this.params.callTtlMs;
    const pipeline = this.redis.pipeline()
      .pexpire(this.keys.call(this.id), ttl)
      .pexpire(this.keys.results(this.id), ttl);
    for (const key of this.madeKeys) pipeline.pexpire(key, ttl);
    await pipeline.exec().catch(() => undefined);
  }

  /** Redis gone too long, the call's state lost, no live worker: the call fails with what happened. */
  private async tick(): Promise<void> {
    if (this.ended) return;
    const now = Date.now();
    if (this.downSince !== undefined) {
      const down = now - this.downSince;
      if (down > this.params.redisTimeoutMs) {
        this.fail(new BackendUnavailableError(`Redis at ${this.server} has been unreachable for ${(down / 1000).toFixed(1)} s ` +
          `(the limit is redisTimeoutMs, ${this.params.redisTimeoutMs} ms); the call is abandoned. Its workers drop its ` +
          'batches once Redis is back.', this.server, 'unreachable'));
      }
      return;
    }
    try {
      if (await this.redis.exists(this.keys.call(this.id)) === 0 && !this.ended) {
        this.fail(new BackendUnavailableError(`The state of this call vanished from Redis at ${this.server} (Redis ` +
          'restarted empty, was flushed, or evicted keys): its results cannot be trusted, so the call fails. Run Redis ' +
          'with persistence and maxmemory-policy noeviction.', this.server, 'state-lost'));
        return;
      }
      this.liveSlots = (await liveWorkers(this.redis, this.keys)).reduce((sum, worker) => sum + worker.slots, 0);
    } catch {
      return; // a command failed as the link went down: the next tick sees it
    }
    if (this.liveSlots > 0 || this.pending.size === 0) {
      this.noWorkersSince = undefined;
    } else {
      this.noWorkersSince ??= now;
      if (now - this.noWorkersSince > this.params.workerTimeoutMs) this.fail(this.noWorkers(now - this.noWorkersSince));
    }
  }

  /** Fails the call through one of its batches (any: the call stops at its first failure). */
  private fail(error: Error): void {
    this.failure ??= error;
    const [seq] = this.pending.keys();
    if (seq !== undefined) this.failBatch(seq, error);
  }

  private failBatch(seq: number, error: Error): void {
    const entry = this.pending.get(seq);
    if (!entry || this.ended) return;
    this.pending.delete(seq);
    entry.done({ ok: false, error, index: 0, partial: [] });
  }

  private unavailable(error: unknown): Error {
    if (error instanceof Error && error.name.endsWith('Error') && 'code' in error && String(error.code).startsWith('ERR_JOBLIB')) {
      return error;
    }
    const reason = redact(error instanceof Error ? error.message : String(error));
    const refused = /OOM|maxmemory/i.test(reason);
    return new BackendUnavailableError(refused
      ? `Redis at ${this.server} refused to store a batch (${reason}): it is out of memory. Raise maxmemory, or pass ` +
        'smaller arguments.'
      : `Redis at ${this.server} could not take a batch: ${reason}.`, this.server, refused ? 'refused' : 'unreachable',
    { cause: error });
  }

  /** Ends the call: workers told to drop it, waiting jobs removed, every key of the call deleted. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearInterval(timer);
    try {
      await this.redis.publish(this.keys.cancel, this.id);
      const removals = [...this.pending.keys()].map((seq) => this.queue.remove(`${this.id}.${seq}`).catch(() => 0));
      await Promise.all(removals);
      await this.redis.unlink(this.keys.call(this.id), this.keys.results(this.id), ...this.madeKeys);
    } finally {
      this.pending.clear();
      await this.queue.close().catch(() => undefined);
      this.reader.disconnect();
      this.redis.disconnect();
    }
  }
}

/** A field of a stream entry (`[name, value, name, value, …]`). */
function fieldOf(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}
