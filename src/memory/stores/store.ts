// The store interface a Memory keeps its entries in (joblib's StoreBackendBase), and the
// registry of stores by name. A store offers a few byte-level primitives on items addressed by
// path segments under its location; everything about entries (outputs, metadata, function
// code, limits) is written once above them, in cache-entries.ts. So a new store (Redis, S3)
// is a short file.

import { InvalidOptionError } from '../../errors.js';

/**
 * Segments of an item's path under the store's location, e.g. `['my.module', 'f', '<key>',
 * 'output.bin']`. Memory makes every segment a safe name: no separators, not `.` or `..`.
 *
 * @inline
 */
export type ItemPath = readonly string[];

/**
 * One cache entry as `list` reports it, for `reduceSize`.
 *
 * @category Memory
 */
export interface StoreItem {
  /** Segments of the entry's folder: module, function, key. */
  readonly path: ItemPath;
  /** The entry's size in bytes (its items together), counted toward `bytesLimit`. */
  readonly sizeBytes: number;
  /** Last time the entry was read or written (ms since the epoch), as recorded by `touch`. */
  readonly lastAccessMs: number;
}

/**
 * The synchronous primitives. A store that offers them (the local folder does) lets cached
 * sync functions stay sync; a network store may leave them out, and then serves only async
 * cached functions.
 *
 * @inline
 */
export interface SyncStorePrimitives {
  /** An item's bytes, or undefined when it does not exist. */
  read(path: ItemPath): Uint8Array | undefined;
  /** Writes an item atomically: a reader sees it whole or not at all, also when the writer is killed. */
  write(path: ItemPath, parts: readonly Uint8Array[]): void;
  /** Whether an item (or a folder of items) exists. */
  exists(path: ItemPath): boolean;
  /** Removes an item or a folder of items (`[]`: everything); missing is fine. */
  remove(path: ItemPath): void;
  /** Renames an item or folder (used to clear a folder without readers seeing it half-removed). */
  move(from: ItemPath, to: ItemPath): void;
  /** Records an access to an entry folder, for least-recently-used eviction; missing is fine. */
  touch(entry: ItemPath): void;
  /** Every complete entry: a folder holding a `metadata.json` item. */
  list(): StoreItem[];
}

/** The asynchronous primitives every store offers: the same operations as promises. */
export type AsyncStorePrimitives = {
  readonly [K in keyof SyncStorePrimitives]: (
    ...args: Parameters<SyncStorePrimitives[K]>
  ) => Promise<ReturnType<SyncStorePrimitives[K]>>;
};

/**
 * What a Memory needs from storage (joblib's store backend): see {@link registerStoreBackend}.
 *
 * Items are addressed by path segments under the location (a `readonly string[]`, e.g.
 * `['my.module', 'f', '<key>', 'output.bin']`); Memory makes every segment a safe name. The
 * methods are the primitives below as promises; `sync`, when present, has the same ones
 * synchronous (documented there):
 * - `read(path)`: an item's bytes, or undefined when it does not exist;
 * - `write(path, parts)`: writes an item atomically (a reader sees it whole or not at all);
 * - `exists(path)`: whether an item (or a folder of items) exists;
 * - `remove(path)`: removes an item or a folder of items (`[]`: everything); missing is fine;
 * - `move(from, to)`: renames an item or folder;
 * - `touch(entry)`: records an access to an entry folder, for least-recently-used eviction;
 * - `list()`: every complete entry (a folder holding a `metadata.json` item), as {@link StoreItem}s.
 *
 * @category Memory
 */
export interface StoreBackend extends AsyncStorePrimitives {
  /** Where the store lives (a folder for the local store), shown in messages. */
  readonly location: string;
  /** The synchronous primitives, if this store can offer them. */
  readonly sync?: SyncStorePrimitives;
}

/**
 * Makes a store for a location; `options` are Memory's `storeOptions`.
 *
 * @category Memory
 */
export type StoreFactory = (location: string, options: Readonly<Record<string, unknown>>) => StoreBackend;

const factories = new Map<string, StoreFactory>();

/**
 * Registers a store backend under `name`, usable as `new Memory(location, { store: name })`
 * (joblib's register_store_backend). The built-in local filesystem store is `'local'`. A name
 * already registered is replaced.
 *
 * @throws {@link InvalidOptionError} for an empty name or a factory that is not a function.
 * @category Memory
 * @example
 * registerStoreBackend('memory', (location) => new MyInMemoryStore(location));
 */
export function registerStoreBackend(name: string, factory: StoreFactory): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('A store backend needs a non-empty name.');
  if (typeof factory !== 'function') throw new InvalidOptionError(`registerStoreBackend('${name}') needs a factory function.`);
  factories.set(name, factory);
}

/** Whether a store backend is registered under `name`. */
export function isStoreRegistered(name: string): boolean {
  return factories.has(name);
}

export function createStore(name: string, location: string, options: Readonly<Record<string, unknown>>): StoreBackend {
  const factory = factories.get(name);
  if (!factory) {
    throw new InvalidOptionError(`Unknown store backend '${name}'; registered: ${[...factories.keys()].map((n) => `'${n}'`).join(', ')}.`);
  }
  return factory(location, options);
}
