// The messages parent and worker exchange, one per frame.

import { SerializationError } from '../../../errors.js';
import { encodeValue } from '../../../serialization/codec/encoder.js';
import type { FunctionRef } from '../../../serialization/functions/function-ref.js';
import type { TypeRef } from '../../../serialization/functions/type-ref.js';

/** Parent → worker: run these calls in order. Function definitions come once per worker. */
export interface BatchMessage {
  readonly t: 'batch';
  readonly id: number;
  readonly defs: readonly (readonly [number, FunctionRef])[];
  readonly count: number;
  /** Position of the first call in the caller's input: errors made in the worker name the task. */
  readonly first: number;
  /** The function id of every call, or one id when all calls share it. */
  readonly fns: number | readonly number[];
  /**
   * Arguments in columns: with `arity` k ≥ 0, call i's are `args[i*k … i*k+k)`, so a batch of
   * one-argument calls is one flat array rather than an array per call; with -1, one array per call.
   */
  readonly arity: number;
  readonly args: readonly unknown[] | Float64Array;
  /** Report each task's start and result as it happens (set when a timeout applies). */
  readonly stream: boolean;
}

/** Parent → worker, besides batches. */
export type ParentMessage =
  /** These large-argument files were removed: drop the worker's copies of them. */
  | { readonly t: 'release'; readonly files: readonly string[] }
  /**
   * A call that used these large-argument files ended, and its tasks may have written into the
   * worker's copies: keep a copy for later calls only if it still holds its file's bytes.
   */
  | { readonly t: 'verify'; readonly files: readonly string[] }
  /** Finish what was sent, then exit (threads; a process's pipe closing says the same). */
  | { readonly t: 'close' }
  /** Run this function once, before any batch (the pool's `initializer`). */
  | { readonly t: 'init'; readonly fn: readonly [number, FunctionRef] }
  /** Register these types before reading the next batch, which holds instances of them. */
  | { readonly t: 'types'; readonly defs: readonly TypeRef[] };

/** Worker → parent. */
export type WorkerMessage =
  | { readonly t: 'ready'; readonly pid: number }
  | { readonly t: 'start'; readonly id: number; readonly index: number }
  | { readonly t: 'result'; readonly id: number; readonly index: number; readonly value: unknown }
  | {
    readonly t: 'done';
    readonly id: number;
    readonly results: readonly unknown[] | Float64Array | null;
    readonly recycle: boolean;
  }
  | {
    readonly t: 'fail';
    readonly id: number;
    readonly index: number;
    readonly error: unknown;
    readonly stack: string;
    /** The worker's memory grew past the leak guard: retire it after this batch. */
    readonly recycle: boolean;
  }
  | {
    /**
     * Call `index` of the batch returned a value the codec refuses (a function, a symbol, an
     * unregistered class): where in it (`result.model.init`) and why. The parent, which knows the
     * task's position in the input, makes the SerializationError.
     */
    readonly t: 'unsendable';
    readonly id: number;
    readonly index: number;
    readonly path: string;
    readonly reason: string;
    readonly recycle: boolean;
  };

/** The tag of a message's frame (channel.ts): the batch id for a batch and for what reports on it, else 0. */
export function frameTag(message: BatchMessage | ParentMessage | WorkerMessage): number {
  return 'id' in message ? message.id : 0;
}

/**
 * A column of plain numbers travels as one Float64Array (a memcpy, not a walk per element):
 * lossless for every JS number, -0 and NaN included. Anything else stays as it is.
 */
export function packNumbers(values: readonly unknown[]): readonly unknown[] | Float64Array {
  if (values.length < 8) return values;
  for (let i = 0; i < values.length; i += 1) if (typeof values[i] !== 'number') return values;
  return Float64Array.from(values as readonly number[]);
}

/** The wire form of a job: one function id when all calls share it, flat arguments when arities match. */
export function batchMessage(
  id: number,
  job: {
    readonly fnIds: readonly number[];
    readonly args: readonly (readonly unknown[])[];
    readonly firstIndex: number;
    readonly timeoutMs: number | undefined;
  },
  defs: BatchMessage['defs'],
): BatchMessage {
  const { fnIds, args } = job;
  const count = fnIds.length;
  const firstFn = fnIds[0]!;
  let uniform = true;
  for (let i = 1; i < count && uniform; i += 1) uniform = fnIds[i] === firstFn;
  const arity = args[0]!.length;
  let sameArity = true;
  for (let i = 1; i < count && sameArity; i += 1) sameArity = args[i]!.length === arity;
  let columns: readonly unknown[] | Float64Array = args;
  if (sameArity) {
    const flat = new Array<unknown>(count * arity);
    let at = 0;
    for (let i = 0; i < count; i += 1) {
      const callArgs = args[i]!;
      for (let j = 0; j < arity; j += 1) flat[at++] = callArgs[j];
    }
    columns = packNumbers(flat);
  }
  return {
    t: 'batch', id, defs, count, first: job.firstIndex, fns: uniform ? firstFn : fnIds, arity: sameArity ? arity : -1,
    args: columns, stream: job.timeoutMs !== undefined,
  };
}

/**
 * Where inside a value the codec refused it and why, with the path rooted at `root`:
 * `Cannot serialize value.cb: it is a function` → `args[0].cb`, `args[0].cb: it is a function`.
 */
export function unencodableAt(error: unknown, root: string): { path: string; reason: string } {
  const path = error instanceof SerializationError ? error.path.replace(/^value/, root) : root;
  const reason = error instanceof Error ? error.message.replace(/^Cannot serialize value[^:\s]*/, path) : String(error);
  return { path, reason };
}

/**
 * Which call of a batch could not be encoded, as a SerializationError naming the task and the
 * path inside its arguments (`args[1].callback`); `batchError` is the error of the whole batch.
 */
export function unencodableArguments(
  args: readonly (readonly unknown[])[], firstIndex: number, batchError: unknown,
): { index: number; error: SerializationError } {
  for (let index = 0; index < args.length; index += 1) {
    try {
      encodeValue(args[index]);
    } catch (error) {
      const { path, reason } = unencodableAt(error, 'args');
      return { index, error: new SerializationError(
        `The arguments of task #${firstIndex + index} cannot be sent to a worker: ${reason}`, path, { cause: error }) };
    }
  }
  const reason = batchError instanceof Error ? batchError.message : String(batchError);
  return { index: 0, error: new SerializationError(`A batch cannot be sent to a worker: ${reason}`, 'args', { cause: batchError }) };
}

/** The error of a result a worker could not send back (`unsendable`), naming the task by its place in the input. */
export function unsendableResult(
  taskIndex: number, functionName: string, path: string, reason: string,
): SerializationError {
  return new SerializationError(
    `The result of task #${taskIndex} (${functionName}) cannot be sent back to the parent: ${reason}`, path);
}
