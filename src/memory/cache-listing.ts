// What a Memory location holds, function by function (for `joblib-ts cache ls`): the store's
// entries grouped by their function folder, each with what its metadata.json records. Built on
// the store's `list` and the entries' metadata, so any store can be listed; reading metadata
// records no access (the local store reads access times from what `touch` sets, not atime).

import { type CacheEntries, LOCATION_MARKER } from './cache-entries.js';
import type { Program } from './cache-program.js';
import { list } from './cache-program.js';
import type { ItemPath, StoreItem } from './stores/store.js';

/** One entry, as the store lists it. */
export interface CacheItem {
  /** The module folder: the defining file relative to the working directory, dotted. */
  readonly module: string;
  /** The function folder: its name, or `anonymous-<hash>`. */
  readonly functionName: string;
  /** The entry's key (its folder name). */
  readonly key: string;
  /** The entry's folder, as segments under the location. */
  readonly path: ItemPath;
  /** Bytes of its files (output and metadata). */
  readonly sizeBytes: number;
  /** Its last recorded access, ms since the epoch. */
  readonly lastAccessMs: number;
}

/** One entry, with what its metadata records (null where it records nothing usable). */
export interface CachedEntry extends CacheItem {
  /** When its output was computed, ms since the epoch. */
  readonly createdMs: number | null;
  /** How long computing it took. */
  readonly durationMs: number | null;
  /** The call it stores, e.g. `costly(data=Float64Array(1000), column=2)`. */
  readonly args: string | null;
}

/** One cached function: its entries, most recently used first, and their totals. */
export interface CachedFunction {
  readonly module: string;
  readonly functionName: string;
  /** The function's folder, as segments under the location. */
  readonly folder: ItemPath;
  readonly entries: readonly CachedEntry[];
  readonly sizeBytes: number;
  /** The most recent access of any entry. */
  readonly lastAccessMs: number;
  /** When its oldest entry was computed; null when no entry's metadata says. */
  readonly oldestCreatedMs: number | null;
}

/** An entry's names from its path: `<module>/<function>/<key>` (deeper layouts keep the middle as the function). */
export function cacheItemOf(item: StoreItem): CacheItem {
  const { path } = item;
  return {
    module: path[0] ?? '',
    functionName: path.slice(1, -1).join('/'),
    key: path.at(-1) ?? '',
    path,
    sizeBytes: item.sizeBytes,
    lastAccessMs: item.lastAccessMs,
  };
}

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Every entry of the location (but the trash of folders being removed), grouped by function, sorted by name. */
export function* listFunctions(entries: CacheEntries): Program<CachedFunction[]> {
  const items = (yield* list()).filter((item) => item.path.length >= 2 && !item.path[0]!.startsWith(LOCATION_MARKER));
  const byFolder = new Map<string, CachedEntry[]>();
  for (const item of items) {
    // Metadata is written by Memory but read from disk here: trust no field's type.
    const metadata: unknown = yield* entries.readMetadata(item.path);
    const fields = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>;
    const created = typeof fields.createdAt === 'string' ? Date.parse(fields.createdAt) : Number.NaN;
    const entry: CachedEntry = {
      ...cacheItemOf(item),
      createdMs: Number.isFinite(created) ? created : null,
      durationMs: finite(fields.durationMs),
      args: typeof fields.args === 'string' ? fields.args : null,
    };
    const folder = item.path.slice(0, -1).join('/');
    const group = byFolder.get(folder);
    if (group) group.push(entry);
    else byFolder.set(folder, [entry]);
  }
  const functions: CachedFunction[] = [];
  for (const group of byFolder.values()) {
    group.sort((a, b) => b.lastAccessMs - a.lastAccessMs);
    const created = group.map((e) => e.createdMs).filter((ms): ms is number => ms !== null);
    functions.push({
      module: group[0]!.module,
      functionName: group[0]!.functionName,
      folder: group[0]!.path.slice(0, -1),
      entries: group,
      sizeBytes: group.reduce((sum, e) => sum + e.sizeBytes, 0),
      lastAccessMs: group[0]!.lastAccessMs,
      oldestCreatedMs: created.length > 0 ? Math.min(...created) : null,
    });
  }
  return functions.sort((a, b) => compare(a.module, b.module) || compare(a.functionName, b.functionName));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
