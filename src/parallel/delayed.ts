// `delayed(fn)(...args)`: a call described, not made. Parallel sends it to a worker.

import { InvalidOptionError } from '../errors.js';

/**
 * A function `delayed` accepts: any arity, sync or async.
 *
 * @category Parallel
 */
export type TaskFunction = (...args: never[]) => unknown;

/**
 * One call to run later: the function and its arguments (joblib's `(fn, args, kwargs)` tuple).
 * `R` is what the call resolves to. Made by {@link delayed}.
 *
 * @category Parallel
 */
export interface DelayedTask<R = unknown> {
  /** The function to call, in a worker or in this process. */
  readonly fn: TaskFunction;
  /** The arguments, as given: encoded with the project's codec for a worker, passed as they are in this process. */
  readonly args: readonly unknown[];
  /**
   * Type-only: the result type; never set.
   *
   * @internal
   */
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
 * Wraps `fn` so that calling it records the call instead of making it, for `Parallel`
 * (joblib's `delayed`). The result type of the Parallel call is inferred from `fn` (promises
 * are awaited). On the worker backends, a function that captures local or module-level
 * variables is refused with a {@link FunctionReferenceError} before anything is dispatched.
 *
 * @throws {@link InvalidOptionError} when `fn` is not a function.
 * @category Parallel
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
