// Numbers each distinct task function once per process, with its worker reference, so a
// batch names functions by a small id and a worker receives each definition once.

import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import { type FunctionRef, resolveFunctionRef } from '../../../serialization/functions/function-ref.js';

/** What a worker needs of a function: its id in batches, and how to load it. */
export interface FunctionDef {
  readonly id: number;
  readonly ref: FunctionRef;
}

/** A task function of this process, ready to cross to a worker. */
export interface RegisteredFunction extends FunctionDef {
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

const byReference = new Map<string, FunctionDef>();

/**
 * The id of a function known only by its reference (a worker machine relaying a remote caller's
 * batches to its own pool): one id per distinct reference, from the same numbering.
 */
export function defineFunction(ref: FunctionRef): FunctionDef {
  const key = JSON.stringify(ref);
  let def = byReference.get(key);
  if (!def) {
    def = { id: nextId++, ref };
    byReference.set(key, def);
  }
  return def;
}
