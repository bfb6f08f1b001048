// Numbers each distinct task function once per process, with its worker reference, so a
// batch names functions by a small id and a worker receives each definition once.

import { type AnyFunction, type FunctionRef, resolveFunctionRef } from '../serialization/function-ref.js';

/** A task function ready to cross to a worker. */
export interface RegisteredFunction {
  readonly id: number;
  readonly ref: FunctionRef;
  readonly fn: AnyFunction;
}

const table = new WeakMap<AnyFunction, Promise<RegisteredFunction>>();
let nextId = 1;

/** The id and reference of `fn`; resolution (and any refusal) happens once per function. */
export function registerFunction(fn: AnyFunction): Promise<RegisteredFunction> {
  let entry = table.get(fn);
  if (!entry) {
    const id = nextId++;
    entry = resolveFunctionRef(fn).then((ref) => ({ id, ref, fn }));
    table.set(fn, entry);
  }
  return entry;
}
