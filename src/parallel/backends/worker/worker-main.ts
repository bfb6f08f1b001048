// Entry point of a pool worker, a child process or a worker thread. Runs the batches it is
// sent one after another and sends results back. A process reads fd 3 and writes fd 4 (stdout
// and stderr stay the user's terminal) and exits when the parent closes the pipe, or (through
// a watchdog thread) when the parent dies while a task is busy. A thread talks through
// `parentPort`, and SharedArrayBuffers cross it by reference both ways.

import { readFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { encodeValue } from '../../../serialization/codec/encoder.js';
import { loadFunction } from '../../../serialization/functions/load.js';
import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import { isThenable } from '../../delayed.js';
import {
  decodeFrame, FrameReader, type PackedFrame, packForThread, type ReceivedFrame, receivedFrames, type ThreadPost,
  transferList, writeFrame,
} from '../wire/frames.js';
import {
  type BatchMessage, frameTag, packNumbers, type ParentMessage, unencodableAt, type WorkerMessage,
} from '../wire/messages.js';
import { loadTypeDefs, readBatch } from './worker-types.js';

/** How this worker talks to the parent. */
interface Transport {
  /** Throws SerializationError (nothing sent) when the message cannot be encoded. */
  send(message: WorkerMessage): void;
  cork(): void;
  uncork(): void;
  exitAfterFlush(): void;
}

const functions = new Map<number, AnyFunction>();
/** What the worker does in order: batches stay undecoded frames until their turn (their types load first). */
const queue: (ReceivedFrame | InitMessage | TypesMessage)[] = [];
type InitMessage = Extract<ParentMessage, { t: 'init' }>;
type TypesMessage = Extract<ParentMessage, { t: 'types' }>;
/** The initializer's failure: every batch then fails with it. */
let initFailure: unknown;
type Callable = (...args: readonly unknown[]) => unknown;
let running = false;
// The parent asking to close means "finish what you were sent, then exit" (shrink, shutdown).
let closing = false;
const isThread = !isMainThread && (workerData as { joblibTsThread?: boolean } | null)?.joblibTsThread === true;
const transport = isThread ? threadTransport() : processTransport();
writeStdioDirectly();

/** A batch (tagged with its id) waits in the queue as it came; other messages are read at once. */
function onFrame(frame: ReceivedFrame): void {
  if (frame.tag !== 0) {
    enqueue(frame);
    return;
  }
  let message: ParentMessage;
  try {
    message = decodeFrame(frame) as ParentMessage;
  } catch (error) {
    process.stderr.write(`joblib-ts worker ${process.pid}: unreadable message from the parent: ${String(error)}\n`);
    process.exit(70);
  }
  onParentMessage(message);
}

function enqueue(item: ReceivedFrame | InitMessage | TypesMessage): void {
  queue.push(item);
  if (!running) void drain();
}

function onParentMessage(message: ParentMessage): void {
  switch (message.t) {
    case 'init':
    case 'types':
      enqueue(message);
      return;
    case 'release':
      for (const file of message.files) files.delete(file);
      return;
    case 'close':
      onClose();
  }
}

function onClose(): void {
  closing = true;
  if (!running) transport.exitAfterFlush();
}

/** Large-argument files read by this worker: one read each, kept until their call ends. */
const files = new Map<string, Uint8Array>();

function fileBytes(path: string): Uint8Array {
  let bytes = files.get(path);
  if (!bytes) {
    bytes = readFileSync(path);
    files.set(path, bytes);
  }
  return bytes;
}

function processTransport(): Transport {
  const input = new Socket({ fd: 3, readable: true, writable: false });
  const output = new Socket({ fd: 4, readable: false, writable: true });
  new FrameReader(input, onFrame, fileBytes);
  input.on('end', onClose);
  input.on('error', () => process.exit(0));
  output.on('error', () => process.exit(0));
  startParentWatchdog();
  return {
    send: (message) => writeFrame(output, message, { tag: frameTag(message) }),
    cork: () => output.cork(),
    uncork: () => output.uncork(),
    exitAfterFlush: () => output.end(() => process.exit(0)),
  };
}

function threadTransport(): Transport {
  const port = parentPort!;
  let corked = 0;
  let frames: PackedFrame[] = [];
  let shared: SharedArrayBuffer[] = [];
  const flush = (): void => {
    if (frames.length === 0) return;
    const post: ThreadPost = { frames, shared };
    frames = [];
    shared = [];
    port.postMessage(post, transferList(post.frames));
  };
  port.on('message', (post: ThreadPost) => {
    for (const frame of receivedFrames(post)) onFrame(frame);
  });
  return {
    send(message) {
      // Results that live in shared memory go back by reference too.
      frames.push(packForThread(message, shared, undefined, { tag: frameTag(message) }));
      if (corked === 0) flush();
    },
    cork: () => {
      corked += 1;
    },
    uncork: () => {
      if (corked > 0 && --corked === 0) flush();
    },
    exitAfterFlush: () => {
      flush();
      // Posted messages are delivered before the thread's 'exit'; timers a task left behind do not keep it.
      process.exit(0);
    },
  };
}

/**
 * A task's output must be out before its result: the parent may exit as soon as it has the
 * results, and take its workers down. Node queues writes to a busy pipe in the writer (a
 * process) or sends a thread's output to the main thread on a port of its own; either way
 * output was lost (a task printing 20,000 lines kept 1 to 279 of them). Written synchronously
 * to the fds instead, it reaches the terminal or pipe before the result leaves.
 */
function writeStdioDirectly(): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      const bytes = typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : chunk;
      for (let at = 0; at < bytes.byteLength;) {
        try {
          at += writeSync(fd, bytes, at);
        } catch (error) {
          // A non-blocking pipe that is full: wait for its reader rather than drop output.
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break;
          Atomics.wait(wait, 0, 0, 1);
        }
      }
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
}

const send = (message: WorkerMessage): void => transport.send(message);
send({ t: 'ready', pid: process.pid });

/** Results of quick batches run back to back leave in one write; none waits more than 1 ms. */
const COALESCE_MS = 1;

async function drain(): Promise<void> {
  running = true;
  let corkedAt = -1;
  while (queue.length > 0) {
    const item = queue.shift()!;
    if ('t' in item) {
      await (item.t === 'init' ? runInitializer(item) : loadTypeDefs(item.defs));
      continue;
    }
    const batch = readBatch(item);
    if (!('t' in batch)) {
      sendFailure(item.tag, batch.index, batch.error);
      continue;
    }
    // Streamed batches (under a timeout) report each start at once: the parent's clock needs it.
    if (corkedAt < 0 && !batch.stream) {
      transport.cork();
      corkedAt = performance.now();
    }
    await runBatch(batch);
    if (corkedAt >= 0 && (queue.length === 0 || performance.now() - corkedAt > COALESCE_MS)) {
      transport.uncork();
      corkedAt = -1;
    }
  }
  running = false;
  if (closing) transport.exitAfterFlush();
}

async function runInitializer({ fn: [id, ref] }: InitMessage): Promise<void> {
  try {
    const fn = await loadFunction(ref);
    functions.set(id, fn);
    const value = (fn as Callable)();
    if (isThenable(value)) await value;
  } catch (error) {
    if (error instanceof Error) error.message = `The worker initializer ${ref.name} failed: ${error.message}`;
    initFailure = error;
  }
}

async function runBatch(batch: BatchMessage): Promise<void> {
  let index = 0;
  batchStartedAt = performance.now();
  try {
    if (initFailure !== undefined) throw initFailure;
    for (const [fnId, ref] of batch.defs) functions.set(fnId, await loadFunction(ref));
    const { count, fns, arity, args: columns } = batch;
    const results: unknown[] = batch.stream ? [] : new Array(count);
    const single = typeof fns === 'number' ? functions.get(fns) as Callable : undefined;
    for (; index < count; index += 1) {
      const fn = single ?? functions.get((fns as readonly number[])[index]!) as Callable;
      if (batch.stream) send({ t: 'start', id: batch.id, index });
      // Common arities called directly: no argument array per call on the tiny-task path.
      let value = arity === 1 ? fn(columns[index])
        : arity === 2 ? fn(columns[2 * index], columns[2 * index + 1])
          : arity === 0 ? fn()
            : fn(...(arity < 0 ? (columns as readonly unknown[])[index] as readonly unknown[]
                : Array.prototype.slice.call(columns, index * arity, index * arity + arity)));
      if (isThenable(value)) value = await value;
      if (!batch.stream) results[index] = value;
      else if (!sendResult(batch.id, index, value)) return;
    }
    sendDone(batch.id, batch.stream ? null : results);
  } catch (error) {
    sendFailure(batch.id, index, error);
  }
}

/** Sends one result as it comes (under a timeout); false (and the batch ends) if it cannot cross. */
function sendResult(id: number, index: number, value: unknown): boolean {
  try {
    send({ t: 'result', id, index, value });
    return true;
  } catch (error) {
    sendUnsendable(id, index, value, error);
    return false;
  }
}

function sendDone(id: number, results: unknown[] | null): void {
  const recycle = leaking();
  try {
    send({ t: 'done', id, results: results && packNumbers(results), recycle });
  } catch (error) {
    // Find the task whose result cannot be encoded, so the error names it.
    const index = results?.findIndex((value) => !encodes(value)) ?? -1;
    // None alone: the batch as a whole cannot cross (FrameTooLargeError), which is the error itself.
    if (index < 0) sendFailure(id, 0, error);
    else sendUnsendable(id, index, results![index], error);
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

/**
 * Call `index` returned a value that cannot cross: say where in it and why. Only the parent knows
 * the task's position in the input, so it words the SerializationError.
 */
function sendUnsendable(id: number, index: number, value: unknown, error: unknown): void {
  let refusal = error;
  try {
    encodeValue(value); // alone, so the path is inside the value, not inside the message
  } catch (alone) {
    refusal = alone;
  }
  send({ t: 'unsendable', id, index, ...unencodableAt(refusal, 'result'), recycle: leaking() });
}

function sendFailure(id: number, index: number, thrown: unknown): void {
  const recycle = leaking();
  const error = thrown instanceof Error ? thrown : new Error(`A non-Error value was thrown: ${String(thrown)}`);
  const stack = error.stack ?? `${error.name}: ${error.message}`;
  try {
    send({ t: 'fail', id, index, error, stack, recycle });
  } catch {
    // The error holds something the codec refuses: send its name and message only.
    const plain = new Error(error.message);
    Object.defineProperty(plain, 'name', { value: error.name, writable: true, configurable: true, enumerable: true });
    send({ t: 'fail', id, index, error: plain, stack, recycle });
  }
}

const memoryLimit = Number(process.env.JOBLIB_TS_WORKER_MEMORY_LIMIT ?? 0);
/**
 * Reading the RSS is a syscall: after a batch of at least 1 ms it costs under 2%, so check then;
 * back-to-back tiny batches are checked at most once a second, as loky does.
 */
const LEAK_CHECK_INTERVAL_MS = 1000;
const LEAK_CHECK_MIN_BATCH_MS = 1;
let batchStartedAt = 0;
let baselineRss = 0;
let lastLeakCheck = -Infinity;
let collectGarbage: (() => void) | undefined;

/**
 * loky's leak guard: the RSS after the first batch is the baseline; once it grows by more than
 * the limit, collect garbage and measure again, and if it is still over, ask to be recycled.
 */
function leaking(): boolean {
  if (memoryLimit <= 0) return false;
  const now = performance.now();
  const quickBatch = now - batchStartedAt < LEAK_CHECK_MIN_BATCH_MS;
  if (baselineRss !== 0 && quickBatch && now - lastLeakCheck < LEAK_CHECK_INTERVAL_MS) return false;
  lastLeakCheck = now;
  const rss = memoryInUse();
  if (baselineRss === 0) {
    baselineRss = rss;
    return false;
  }
  if (rss - baselineRss <= memoryLimit) return false;
  if (!collectGarbage) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  collectGarbage();
  return memoryInUse() - baselineRss > memoryLimit;
}

/** A process's resident memory; a thread's own heap (the RSS is the whole process's). */
function memoryInUse(): number {
  if (!isThread) return process.memoryUsage.rss();
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/** A thread that kills this process when the parent is gone, even while a task blocks the main thread. */
function startParentWatchdog(): void {
  const parent = process.ppid;
  const watchdog = new Worker(
    `setInterval(() => {
       if (process.ppid !== ${parent}) process.kill(${process.pid}, 'SIGKILL');
     }, 500);`,
    { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } },
  );
  watchdog.unref();
}
