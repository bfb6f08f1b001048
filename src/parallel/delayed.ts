// `delayed(fn)(...args)`: a call described, not made. Parallel sends it to a worker.

import { InvalidOptionError } from '../errors.js';

/** A function `delayed` accepts: any arity, sync or async. */
export type TaskFunction = (...args: never[]) => unknown;

/** One call to run later: the function and its arguments. `R` is what the call resolves to. */
export interface DelayedTask<R = unknown> {
  readonly fn: TaskFunction;
  readonly args: readonly unknown[];
  /** Type-only: the result type. */
  readonly __result?: R;
}

/** The runtime form of a DelayedTask; a class, so recognising one is a cheap `instanceof`. */
class DelayedCall {
  constructor(
    readonly fn: TaskFunction,
    readonly args: readonly unknown[],
  ) {}
}

/**
 * Wraps `fn` so that calling it records the call instead of making it, for `Parallel`.
 * The result type of the Parallel call is inferred from `fn` (promises are awaited).
 *
 * @example
 * const roots = await Parallel({ nJobs: 2 })([1, 4, 9].map((x) => delayed(Math.sqrt)(x)));
 */
export function delayed<F extends TaskFunction>(
  fn: F,
): (...args: Parameters<F>) => DelayedTask<Awaited<ReturnType<F>>> {
  if (typeof fn !== 'function') {
    throw new InvalidOptionError(`delayed expects a function, got ${fn === null ? 'null' : typeof fn}.`);
  }
  return (...args: Parameters<F>): DelayedTask<Awaited<ReturnType<F>>> => new DelayedCall(fn, args);
}

/** Whether `value` was made by `delayed(fn)(...)`. */
export function isDelayedTask(value: unknown): value is DelayedTask {
  return value instanceof DelayedCall;
}

/** Whether a task returned a promise (or any thenable) to await. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function')
    && typeof (value as PromiseLike<unknown>).then === 'function';
}
