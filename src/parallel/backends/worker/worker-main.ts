// The loop every pool worker runs, whatever carries its messages (loky's `_process_worker`):
// `runWorker(transport)` runs the batches it is sent one after another and sends results back.
// The runtimes differ only in their transport: a process reads fd 3 and writes fd 4
// (process/entry.ts), a thread talks through `parentPort` (threads/entry.ts). A batch stays an
// undecoded frame until its turn, so that the registered types sent ahead of it load first.

import { encodeValue } from '../../../serialization/codec/encoder.js';
import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import { loadFunction } from '../../../serialization/functions/load.js';
import { isThenable } from '../../delayed.js';
import { decodeFrame, type ReceivedFrame } from '../wire/frames.js';
import { type BatchMessage, packNumbers, type ParentMessage, unencodableAt, type WorkerMessage } from '../wire/messages.js';
import { workerMemoryLimit } from '../wire/worker-env.js';
import { FileCopies } from './file-copies.js';
import { LeakGuard } from './leak-guard.js';
import { loadTypeDefs, readBatch } from './worker-types.js';

/** How a worker talks to its parent. */
export interface Transport {
  /**
   * Starts delivering the parent's frames to `onFrame` (reading large-argument files with
   * `fileBytes`), and calls `onEnd` when the parent closes its side.
   */
  start(onFrame: (frame: ReceivedFrame) => void, onEnd: () => void, fileBytes: (path: string) => Uint8Array): void;
  /** Throws SerializationError (nothing sent) when the message cannot be encoded. */
  send(message: WorkerMessage): void;
  cork(): void;
  uncork(): void;
  /** Sends what is buffered, then ends this worker. */
  exitAfterFlush(): void;
  /** The memory the leak guard watches: a process's RSS, a thread's own heap. */
  memoryInUse(): number;
}

type InitMessage = Extract<ParentMessage, { t: 'init' }>;
type TypesMessage = Extract<ParentMessage, { t: 'types' }>;
type Callable = (...args: readonly unknown[]) => unknown;
/** Results of quick batches run back to back leave in one write; none waits more than 1 ms. */
const COALESCE_MS = 1;

/** Runs a worker over `transport` until the parent closes it. */
export function runWorker(transport: Transport): void {
  new WorkerLoop(transport).start();
}

class WorkerLoop {
  private readonly functions = new Map<number, AnyFunction>();
  /** What to do, in order: batches stay undecoded frames until their turn (their types load first). */
  private readonly queue: (ReceivedFrame | InitMessage | TypesMessage)[] = [];
  /** Large-argument files read by this worker: one read each, kept for later calls. */
  private readonly files = new FileCopies();
  private readonly guard: LeakGuard;
  /** The initializer's failure: every batch then fails with it. */
  private initFailure: unknown;
  private running = false;
  /** The parent asked to close: finish what was sent, then exit (shrink, shutdown). */
  private closing = false;
  private batchStartedAt = 0;

  constructor(private readonly transport: Transport) {
    this.guard = new LeakGuard(workerMemoryLimit(), () => transport.memoryInUse() - this.files.bytes);
  }

  start(): void {
    this.transport.start((frame) => this.onFrame(frame), () => this.onClose(), (path) => this.files.read(path));
    this.transport.send({ t: 'ready', pid: process.pid });
  }

  /** A batch (tagged with its id) waits in the queue as it came; other messages are read at once. */
  private onFrame(frame: ReceivedFrame): void {
    if (frame.tag !== 0) {
      this.enqueue(frame);
      return;
    }
    let message: ParentMessage;
    try {
      message = decodeFrame(frame) as ParentMessage;
    } catch (error) {
      process.stderr.write(`joblib-ts worker ${process.pid}: unreadable message from the parent: ${String(error)}\n`);
      process.exit(70);
    }
    switch (message.t) {
      case 'init':
      case 'types':
        this.enqueue(message);
        return;
      case 'release':
        this.files.release(message.files);
        return;
      case 'verify':
        this.files.verify(message.files);
        return;
      case 'close':
        this.onClose();
    }
  }

  private enqueue(item: ReceivedFrame | InitMessage | TypesMessage): void {
    this.queue.push(item);
    if (!this.running) void this.drain();
  }

  private onClose(): void {
    this.closing = true;
    if (!this.running) this.transport.exitAfterFlush();
  }

  private async drain(): Promise<void> {
    this.running = true;
    let corkedAt = -1;
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      if ('t' in item) {
        await (item.t === 'init' ? this.runInitializer(item) : loadTypeDefs(item.defs));
        continue;
      }
      const batch = readBatch(item);
      if (!('t' in batch)) {
        this.sendFailure(item.tag, batch.index, batch.error);
        continue;
      }
      // Streamed batches (under a timeout) report each start at once: the parent's clock needs it.
      if (corkedAt < 0 && !batch.stream) {
        this.transport.cork();
        corkedAt = performance.now();
      }
      await this.runBatch(batch);
      if (corkedAt >= 0 && (this.queue.length === 0 || performance.now() - corkedAt > COALESCE_MS)) {
        this.transport.uncork();
        corkedAt = -1;
      }
    }
    this.running = false;
    if (this.closing) this.transport.exitAfterFlush();
  }

  private async runInitializer({ fn: [id, ref] }: InitMessage): Promise<void> {
    try {
      const fn = await loadFunction(ref);
      this.functions.set(id, fn);
      const value = (fn as Callable)();
      if (isThenable(value)) await value;
    } catch (error) {
      if (error instanceof Error) error.message = `The worker initializer ${ref.name} failed: ${error.message}`;
      this.initFailure = error;
    }
  }

  private async runBatch(batch: BatchMessage): Promise<void> {
    let index = 0;
    this.batchStartedAt = performance.now();
    try {
      if (this.initFailure !== undefined) throw this.initFailure;
      for (const [fnId, ref] of batch.defs) this.functions.set(fnId, await loadFunction(ref));
      const { count, fns, arity, args: columns } = batch;
      const results: unknown[] = batch.stream ? [] : new Array(count);
      const single = typeof fns === 'number' ? this.functions.get(fns) as Callable : undefined;
      for (; index < count; index += 1) {
        const fn = single ?? this.functions.get((fns as readonly number[])[index]!) as Callable;
        if (batch.stream) this.transport.send({ t: 'start', id: batch.id, index });
        // Common arities called directly: no argument array per call on the tiny-task path.
        let value = arity === 1 ? fn(columns[index])
          : arity === 2 ? fn(columns[2 * index], columns[2 * index + 1])
            : arity === 0 ? fn()
              : fn(...(arity < 0 ? (columns as readonly unknown[])[index] as readonly unknown[]
                  : Array.prototype.slice.call(columns, index * arity, index * arity + arity)));
        if (isThenable(value)) value = await value;
        if (!batch.stream) results[index] = value;
        else if (!this.sendResult(batch.id, index, value)) return;
      }
      this.sendDone(batch.id, batch.stream ? null : results);
    } catch (error) {
      this.sendFailure(batch.id, index, error);
    }
  }

  private leaking(): boolean {
    return this.guard.leaking(this.batchStartedAt);
  }

  /** Sends one result as it comes (under a timeout); false (and the batch ends) if it cannot cross. */
  private sendResult(id: number, index: number, value: unknown): boolean {
    try {
      this.transport.send({ t: 'result', id, index, value });
      return true;
    } catch (error) {
      this.sendUnsendable(id, index, value, error);
      return false;
    }
  }

  private sendDone(id: number, results: unknown[] | null): void {
    const recycle = this.leaking();
    try {
      this.transport.send({ t: 'done', id, results: results && packNumbers(results), recycle });
    } catch (error) {
      // Find the task whose result cannot be encoded, so the error names it.
      const index = results?.findIndex((value) => !encodes(value)) ?? -1;
      // None alone: the batch as a whole cannot cross (FrameTooLargeError), which is the error itself.
      if (index < 0) this.sendFailure(id, 0, error);
      else this.sendUnsendable(id, index, results![index], error);
    }
  }

  /**
   * Call `index` returned a value that cannot cross: say where in it and why. Only the parent knows
   * the task's position in the input, so it words the SerializationError.
   */
  private sendUnsendable(id: number, index: number, value: unknown, error: unknown): void {
    let refusal = error;
    try {
      encodeValue(value); // alone, so the path is inside the value, not inside the message
    } catch (alone) {
      refusal = alone;
    }
    this.transport.send({ t: 'unsendable', id, index, ...unencodableAt(refusal, 'result'), recycle: this.leaking() });
  }

  private sendFailure(id: number, index: number, thrown: unknown): void {
    const recycle = this.leaking();
    const error = thrown instanceof Error ? thrown : new Error(`A non-Error value was thrown: ${String(thrown)}`);
    const stack = error.stack ?? `${error.name}: ${error.message}`;
    try {
      this.transport.send({ t: 'fail', id, index, error, stack, recycle });
    } catch {
      // The error holds something the codec refuses: send its name and message only.
      const plain = new Error(error.message);
      Object.defineProperty(plain, 'name', { value: error.name, writable: true, configurable: true, enumerable: true });
      this.transport.send({ t: 'fail', id, index, error: plain, stack, recycle });
    }
  }
}

function encodes(value: unknown): boolean {
  try {
    encodeValue(value);
    return true;
  } catch {
    return false;
  }
}
