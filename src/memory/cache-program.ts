// A cache operation is written once, as a generator that yields steps (read an item, write
// one, decode bytes, call the function…), and run either synchronously, for cached sync
// functions, or asynchronously, for async ones (the technique of Babel's gensync). So the two
// conventions cannot drift apart: there is one body. A sync run that meets a promise (a sync
// function that returned one) goes on asynchronously from that step.

import { type CompressOption } from '../serialization/compression/registry.js';
import { dumpToParts, dumpToPartsSync } from '../persistence/dump.js';
import { loadTagged, loadTaggedSync, type TaggedValue } from '../persistence/load.js';
import type { AsyncStorePrimitives, ItemPath, StoreItem, SyncStorePrimitives } from './stores/store.js';

/** The store primitives plus encoding, as one run (sync or async) performs them. */
export interface CacheIO {
  readonly store: SyncStorePrimitives | AsyncStorePrimitives;
  encode(value: unknown, compress: CompressOption, tag: string): readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
  decode(bytes: Uint8Array): TaggedValue | Promise<TaggedValue>;
}

/** One step of a program: what to do with the run's IO. A thenable result is awaited. */
export type Step = (io: CacheIO) => unknown;
/** A cache operation returning `T`. */
export type Program<T> = Generator<Step, T, unknown>;

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function')
  && typeof (value as PromiseLike<unknown>).then === 'function';

/** Runs `program` synchronously; from the first step that returns a promise on, asynchronously. */
export function runSync<T>(program: Program<T>, io: CacheIO, asyncIO: () => CacheIO): T | Promise<T> {
  let next = program.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = next.value(io);
    } catch (error) {
      next = program.throw(error);
      continue;
    }
    if (isThenable(result)) return resume(program, result, asyncIO());
    next = program.next(result);
  }
  return next.value;
}

/** Runs `program`, awaiting every step. */
export function runAsync<T>(program: Program<T>, io: CacheIO): Promise<T> {
  return resume(program, undefined, io);
}

async function resume<T>(program: Program<T>, pending: unknown, io: CacheIO): Promise<T> {
  let next: IteratorResult<Step, T>;
  try {
    next = program.next(await pending);
  } catch (error) {
    next = program.throw(error);
  }
  while (!next.done) {
    let result: unknown;
    try {
      result = await next.value(io);
    } catch (error) {
      next = program.throw(error);
      continue;
    }
    next = program.next(result);
  }
  return next.value;
}

/** IO over a store's sync primitives, with sync encoding. */
export function syncIO(store: SyncStorePrimitives): CacheIO {
  return {
    store,
    encode: (value, compress, tag) => dumpToPartsSync(value, { compress, tag }),
    decode: (bytes) => loadTaggedSync(bytes),
  };
}

/** IO over a store's async primitives; compression and decompression spread over the cores. */
export function asyncIO(store: AsyncStorePrimitives): CacheIO {
  return {
    store,
    encode: (value, compress, tag) => dumpToParts(value, { compress, tag }),
    decode: (bytes) => loadTagged(bytes),
  };
}

// The steps, typed: `const bytes = yield* read(path)`.

export function* read(path: ItemPath): Program<Uint8Array | undefined> {
  return (yield (io) => io.store.read(path)) as Uint8Array | undefined;
}

export function* write(path: ItemPath, parts: readonly Uint8Array[]): Program<void> {
  yield (io) => io.store.write(path, parts);
}

export function* exists(path: ItemPath): Program<boolean> {
  return (yield (io) => io.store.exists(path)) as boolean;
}

export function* remove(path: ItemPath): Program<void> {
  yield (io) => io.store.remove(path);
}

export function* move(from: ItemPath, to: ItemPath): Program<void> {
  yield (io) => io.store.move(from, to);
}

export function* touch(entry: ItemPath): Program<void> {
  yield (io) => io.store.touch(entry);
}

export function* list(): Program<StoreItem[]> {
  return (yield (io) => io.store.list()) as StoreItem[];
}

export function* encode(value: unknown, compress: CompressOption, tag: string): Program<readonly Uint8Array[]> {
  return (yield (io) => io.encode(value, compress, tag)) as readonly Uint8Array[];
}

export function* decode(bytes: Uint8Array): Program<TaggedValue> {
  return (yield (io) => io.decode(bytes)) as TaggedValue;
}

/**
 * Calls `run` and hands back what it returned, boxed so that a promise is not awaited here:
 * the caller decides (a sync function that returns a promise keeps returning promises).
 */
export function* call(run: () => unknown): Program<{ readonly result: unknown }> {
  return (yield () => ({ result: run() })) as { readonly result: unknown };
}

/** Waits for a promise: in a sync run, the rest of the program runs asynchronously. */
export function* settle(thenable: PromiseLike<unknown>): Program<unknown> {
  return (yield () => thenable) as unknown;
}
