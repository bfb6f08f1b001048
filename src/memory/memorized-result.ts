// What `callAndShelve` returns: a reference to a cache entry, not its value. It is plain data
// (registered with the codec), so it can be dumped or sent to a worker and read there.

import { CacheEntryError, FormatError } from '../errors.js';
import { registerType } from '../serialization/type-registry.js';
import { registerBuiltinStores } from './stores/builtins.js';
import { createStore, type StoreBackend } from './stores/store.js';

/** A shelved result: `get()` loads it from the cache, `clear()` removes the entry. */
export interface ShelvedResult<T> {
  get(): T;
  clear(): void;
}

const stores = new Map<string, StoreBackend>();

function storeFor(storeName: string, location: string): StoreBackend {
  const id = `${storeName}\0${location}`;
  let store = stores.get(id);
  if (!store) {
    registerBuiltinStores();
    store = createStore(storeName, location, {});
    stores.set(id, store);
  }
  return store;
}

/** A reference to a stored result (joblib's MemorizedResult). */
export class MemorizedResult<T = unknown> implements ShelvedResult<T> {
  constructor(
    /** The Memory's location. */
    readonly location: string,
    /** The store backend's registered name. */
    readonly storeName: string,
    /** The entry's folder, as segments under the location. */
    readonly entry: readonly string[],
    /** The output item's name in that folder. */
    readonly outputName: string,
  ) {}

  /** Loads the stored result. Throws CacheEntryError when the entry was cleared or is corrupt. */
  get(): T {
    const store = storeFor(this.storeName, this.location);
    try {
      return store.loadItem([...this.entry, this.outputName]) as T;
    } catch (error) {
      const where = `${this.location}/${this.entry.join('/')}`;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CacheEntryError(`The cache entry ${where} no longer exists (cleared or evicted); call the function again.`,
          where, { cause: error });
      }
      if (error instanceof FormatError) {
        throw new CacheEntryError(`The cache entry ${where} is corrupted (${error.message}); call the function again to ` +
          'recompute it.', where, { cause: error });
      }
      throw error;
    }
  }

  /** Removes the entry from the cache. */
  clear(): void {
    storeFor(this.storeName, this.location).removeItem(this.entry);
  }
}

registerType(MemorizedResult, {
  name: 'joblib-ts/MemorizedResult',
  encode: (r) => [r.location, r.storeName, [...r.entry], r.outputName],
  decode: ([location, storeName, entry, outputName]: [string, string, string[], string]) =>
    new MemorizedResult(location, storeName, entry, outputName),
});

/** What `callAndShelve` returns when the Memory has no location: the value itself, held in memory. */
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
