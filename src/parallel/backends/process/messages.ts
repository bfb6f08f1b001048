// The messages parent and worker exchange, one per frame.

import type { FunctionRef } from '../../../serialization/function-ref.js';

/** Parent → worker: run these calls in order. Function definitions come once per worker. */
export interface BatchMessage {
  readonly t: 'batch';
  readonly id: number;
  readonly defs: readonly (readonly [number, FunctionRef])[];
  readonly count: number;
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
  };

/**
 * A column of plain numbers travels as one Float64Array (a memcpy, not a walk per element):
 * lossless for every JS number, -0 and NaN included. Anything else stays as it is.
 */
export function packNumbers(values: readonly unknown[]): readonly unknown[] | Float64Array {
  if (values.length < 8) return values;
  for (let i = 0; i < values.length; i += 1) if (typeof values[i] !== 'number') return values;
  return Float64Array.from(values as readonly number[]);
}
