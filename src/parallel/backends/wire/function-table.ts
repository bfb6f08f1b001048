// Numbers each distinct task function once per process, with its worker reference, so a
// batch names functions by a small id and a worker receives each definition once.

import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import { type FunctionRef, resolveFunctionRef } from '../../../serialization/functions/function-ref.js';

/** A task function ready to cross to a worker. */
export interface RegisteredFunction {
  readonly id: number;
  readonly ref: FunctionRef;
  readonly fn: AnyFunction;
}

const table = new WeakMap<AnyFunction, Promise<RegisteredFunction>>();
const resolved = new WeakMap<AnyFunction, RegisteredFunction>();
let nextId = 1;

/** `fn`'s registration if it already resolved: the per-batch fast path, without a promise. */
export function registeredFunction(fn: AnyFunction): RegisteredFunction | undefined {
  return resolved.get(fn);
}

/** The id and reference of `fn`; resolution (and any refusal) happens once per function. */
export function registerFunction(fn: AnyFunction): Promise<RegisteredFunction> {
  let entry = table.get(fn);
  if (!entry) {
    const id = nextId++;
    entry = resolveFunctionRef(fn).then((ref) => {
      const registered = { id, ref, fn };
      resolved.set(fn, registered);
      return registered;
    });
    table.set(fn, entry);
  }
  return entry;
}
