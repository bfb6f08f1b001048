// The one name for "any function value" across the library: the `Function` type without its
// unsafe call signature (`never[]` parameters accept every function).

/**
 * Any function value.
 *
 * @inline
 */
export type AnyFunction = (...args: never[]) => unknown;
