// What `callAndShelve` returns: a reference to a cache entry, not its value. It is plain data
// (registered with the codec), so it can be dumped or sent to a worker and read there. A
// reference read from a file is checked before it acts: its path segments must be ones Memory
// makes, and its location must hold a Memory's marker, so a crafted file cannot make `clear()`
// remove, or `get()` read, anything outside a real cache.

import { CacheEntryError, FormatError } from '../errors.js';
import { registerType } from '../serialization/codec/type-registry.js';
import { CacheEntries, isSafeSegment, OUTPUT_NAME } from './cache-entries.js';
import { type Program, remove, runSync } from './cache-program.js';
import { registerBuiltinStores } from './stores/builtins.js';
import { createStore } from './stores/store.js';

/**
 * A shelved result: `get()` loads it from the cache, `clear()` removes the entry. What
 * `callAndShelve` returns: a {@link MemorizedResult}, or the value held in memory when nothing
 * was stored (a Memory without location, or a write that failed).
 *
 * @category Memory
 */
export interface ShelvedResult<T> {
  /**
   * The result.
   *
   * @throws {@link CacheEntryError} once the entry is gone or corrupt (or this result was cleared).
   */
  get(): T;
  /** Removes the entry (or drops the value held in memory). */
  clear(): void;
}

const places = new Map<string, CacheEntries>();

function entriesFor(storeName: string, location: string): CacheEntries {
  const id = `${storeName}\0${location}`;
  let entries = places.get(id);
  if (!entries) {
    registerBuiltinStores();
    entries = new CacheEntries(createStore(storeName, location, {}), storeName, false);
    places.set(id, entries);
  }
  return entries;
}

/**
 * A reference to a stored result (joblib's MemorizedResult). Itself serializable: dump it, or
 * pass it to a task and call `get()` in the worker. One read from a file acts only in a folder
 * Memory wrote (else {@link CacheEntryError}), on path segments Memory makes (else {@link FormatError}).
 *
 * @category Memory
 */
export class MemorizedResult<T = unknown> implements ShelvedResult<T> {
  constructor(
    /** The Memory's location. */
    readonly location: string,
    /** The store backend's registered name. */
    readonly storeName: string,
    /** The entry's folder, as segments under the location: module, function, key. */
    readonly entry: readonly string[],
    /** The output item's name in that folder. */
    readonly outputName: string,
  ) {}

  /** Loads the stored result. Throws CacheEntryError when the entry was cleared or is corrupt. */
  get(): T {
    const where = this.where();
    const found = this.run(function* (this: MemorizedResult<T>, entries: CacheEntries) {
      yield* this.checkLocation(entries);
      return yield* entries.readOutput(this.entry, this.entry.at(-1)!, this.outputName);
    });
    if (found.kind === 'hit') return found.value as T;
    if (found.kind === 'missing') {
      throw new CacheEntryError(`The cache entry ${where} no longer exists (cleared or evicted); call the function again.`, where);
    }
    const reason = found.error instanceof Error ? found.error.message : String(found.error);
    throw new CacheEntryError(`The cache entry ${where} is corrupted (${reason}); call the function again to recompute it.`,
      where, { cause: found.error });
  }

  /** Removes the entry from the cache. */
  clear(): void {
    this.run(function* (this: MemorizedResult<T>, entries: CacheEntries) {
      yield* this.checkLocation(entries);
      yield* remove(this.entry);
    });
  }

  private where(): string {
    return `${this.location}/${this.entry.join('/')}`;
  }

  private run<R>(program: (this: MemorizedResult<T>, entries: CacheEntries) => Program<R>): R {
    const entries = entriesFor(this.storeName, this.location);
    return runSync(program.call(this, entries), entries.syncIO(), () => entries.asyncIO()) as R;
  }

  private* checkLocation(entries: CacheEntries): Program<void> {
    if (!(yield* entries.isCacheLocation())) {
      throw new CacheEntryError(`${this.location} is not a joblib-ts cache location (Memory never wrote there), so the ` +
        `shelved result ${this.where()} cannot be read or cleared there.`, this.where());
    }
  }
}

/** The state of a shelved result read from a file, checked: a malformed one is a FormatError, not a TypeError. */
function decodeShelved(state: unknown): MemorizedResult {
  if (Array.isArray(state) && state.length === 4) {
    const [location, storeName, entry, outputName] = state as unknown[];
    if (typeof location === 'string' && location.length > 0 && typeof storeName === 'string' && storeName.length > 0
      && Array.isArray(entry) && entry.length >= 1 && entry.every(isSafeSegment)
      && typeof outputName === 'string' && OUTPUT_NAME.test(outputName)) {
      return new MemorizedResult(location, storeName, entry, outputName);
    }
  }
  throw new FormatError('A stored joblib-ts/MemorizedResult is malformed: it must hold a location, a store name, ' +
    'the entry\'s path segments (as Memory makes them) and an output name.');
}

registerType(MemorizedResult, {
  name: 'joblib-ts/MemorizedResult',
  encode: (r) => [r.location, r.storeName, [...r.entry], r.outputName],
  decode: decodeShelved,
});

/** What `callAndShelve` returns when nothing was stored (no location, or the write failed): the value, in memory. */
export class NotMemorizedResult<T> implements ShelvedResult<T> {
  private present = true;

  constructor(private value: T) {}

  get(): T {
    if (!this.present) throw new CacheEntryError('This result was cleared.', '<memory>');
    return this.value;
  }

  clear(): void {
    this.present = false;
    this.value = undefined as T;
  }
}
