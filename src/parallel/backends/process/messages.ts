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
  readonly args: readonly unknown[];
  /** Report each task's start and result as it happens (set when a timeout applies). */
  readonly stream: boolean;
}

/** Worker → parent. */
export type WorkerMessage =
  | { readonly t: 'ready'; readonly pid: number }
  | { readonly t: 'start'; readonly id: number; readonly index: number }
  | { readonly t: 'result'; readonly id: number; readonly index: number; readonly value: unknown }
  | { readonly t: 'done'; readonly id: number; readonly results: readonly unknown[] | null; readonly recycle: boolean }
  | {
    readonly t: 'fail';
    readonly id: number;
    readonly index: number;
    readonly error: unknown;
    readonly stack: string;
    /** The worker's memory grew past the leak guard: retire it after this batch. */
    readonly recycle: boolean;
  };
