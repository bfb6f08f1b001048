// Entry point of a pool worker process. Reads batches from fd 3, runs them one after another,
// writes results to fd 4; stdout and stderr stay the user's terminal. Exits when the parent
// closes the pipe, and (through a watchdog thread) when the parent dies while a task is busy.

import type { AnyFunction } from '../../../serialization/function-ref.js';
import { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { SerializationError } from '../../../errors.js';
import { encodeValue } from '../../../serialization/encoder.js';
import { loadFunction } from '../../../serialization/function-loader.js';
import { FrameReader, writeFrame } from './channel.js';
import type { BatchMessage, WorkerMessage } from './messages.js';

const input = new Socket({ fd: 3, readable: true, writable: false });
const output = new Socket({ fd: 4, readable: false, writable: true });
const functions = new Map<number, AnyFunction>();
const queue: BatchMessage[] = [];
type Callable = (...args: readonly unknown[]) => unknown;
let running = false;

const send = (message: WorkerMessage): void => writeFrame(output, message);

new FrameReader(input, (message) => {
  queue.push(message as BatchMessage);
  if (!running) void drain();
}, (error) => {
  process.stderr.write(`joblib-ts worker ${process.pid}: unreadable message from the parent: ${String(error)}\n`);
  process.exit(70);
});
input.on('end', () => process.exit(0));
input.on('error', () => process.exit(0));
output.on('error', () => process.exit(0));

startParentWatchdog();
send({ t: 'ready', pid: process.pid });

async function drain(): Promise<void> {
  running = true;
  while (queue.length > 0) await runBatch(queue.shift()!);
  running = false;
}

async function runBatch(batch: BatchMessage): Promise<void> {
  let index = 0;
  try {
    for (const [fnId, ref] of batch.defs) functions.set(fnId, await loadFunction(ref));
    const { count, fns, arity, args: columns } = batch;
    const results: unknown[] = batch.stream ? [] : new Array(count);
    const single = typeof fns === 'number' ? functions.get(fns) as Callable : undefined;
    for (; index < count; index += 1) {
      const fn = single ?? functions.get((fns as readonly number[])[index]!) as Callable;
      const args = arity < 0 ? columns[index] as readonly unknown[]
        : arity === 1 ? [columns[index]] : columns.slice(index * arity, index * arity + arity);
      if (batch.stream) send({ t: 'start', id: batch.id, index });
      let value = fn(...args);
      if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
        value = await value;
      }
      if (batch.stream) sendResult(batch.id, index, value);
      else results[index] = value;
    }
    sendDone(batch.id, batch.stream ? null : results);
  } catch (error) {
    sendFailure(batch.id, index, error);
  }
}

function sendResult(id: number, index: number, value: unknown): void {
  try {
    send({ t: 'result', id, index, value });
  } catch (error) {
    throw unserializableResult(index, error);
  }
}

function sendDone(id: number, results: unknown[] | null): void {
  const recycle = leaking();
  try {
    send({ t: 'done', id, results, recycle });
  } catch (error) {
    // Find the task whose result cannot be encoded, so the error names it.
    const index = results?.findIndex((value) => {
      try {
        encodeValue(value);
        return false;
      } catch {
        return true;
      }
    }) ?? 0;
    sendFailure(id, Math.max(index, 0), unserializableResult(Math.max(index, 0), error));
  }
}

function unserializableResult(index: number, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new SerializationError(
    `The result of task ${index} of its batch cannot be sent back to the parent: ${reason}`,
    'result', { cause: error });
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
let baselineRss = 0;
let collectGarbage: (() => void) | undefined;

/**
 * loky's leak guard: the RSS after the first batch is the baseline; once it grows by more than
 * the limit, collect garbage and measure again, and if it is still over, ask to be recycled.
 */
function leaking(): boolean {
  if (memoryLimit <= 0) return false;
  const rss = process.memoryUsage.rss();
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
  return process.memoryUsage.rss() - baselineRss > memoryLimit;
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
