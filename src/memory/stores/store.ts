// The store interface a Memory writes its entries through (joblib's StoreBackendBase), and the
// registry of store backends. Paths are lists of segments under the store's location; an
// entry is a folder holding `output.<ext>` and `metadata.json`.

import { InvalidOptionError } from '../../errors.js';
import type { CompressOption } from '../../serialization/compressors.js';

/** One cache entry as `listItems` reports it, for `reduceSize`. */
export interface StoreItem {
  /** Segments of the entry's folder: module, function, key. */
  readonly path: readonly string[];
  readonly sizeBytes: number;
  /** Last time the entry was read or written (ms since the epoch), as recorded by `touchItem`. */
  readonly lastAccessMs: number;
}

/**
 * What a Memory needs from storage. Writes must be atomic: a reader sees an item whole or not
 * at all, also when the writer is killed. Sync and async forms exist for the calls on a cached
 * function's path, so a sync function stays sync and an async one never blocks the event loop
 * on large outputs.
 */
export interface StoreBackend {
  /** Where the store lives (a folder for the local store), shown in messages. */
  readonly location: string;
  itemExists(path: readonly string[]): boolean;
  /** Stores `value` in the joblib-ts format; returns the bytes written. */
  dumpItem(path: readonly string[], value: unknown, compress: CompressOption): number;
  dumpItemAsync(path: readonly string[], value: unknown, compress: CompressOption): Promise<number>;
  /** Loads a value; throws an error with code 'ENOENT' when missing, FormatError when corrupt. */
  loadItem(path: readonly string[]): unknown;
  loadItemAsync(path: readonly string[]): Promise<unknown>;
  /** A small text item (metadata, function source), or undefined when missing. */
  readText(path: readonly string[]): string | undefined;
  writeText(path: readonly string[], text: string): void;
  /** Records an access to an entry folder (for least-recently-used eviction). */
  touchItem(path: readonly string[]): void;
  moveItem(from: readonly string[], to: readonly string[]): void;
  /** Removes an item or a folder of items (`[]`: everything in the store); missing is fine. */
  removeItem(path: readonly string[]): void;
  /** Every complete entry (a folder with metadata.json), with its size and last access. */
  listItems(): StoreItem[];
}

/** Makes a store for a location; `options` are Memory's `storeOptions`. */
export type StoreFactory = (location: string, options: Readonly<Record<string, unknown>>) => StoreBackend;

const factories = new Map<string, StoreFactory>();

/**
 * Registers a store backend under `name`, usable as `new Memory(location, { store: name })`
 * (joblib's register_store_backend). The built-in local filesystem store is `'local'`.
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
