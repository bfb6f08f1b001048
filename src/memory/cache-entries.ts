// How a Memory lays out and checks its entries on any store (joblib's StoreBackendMixin),
// written once above the store's primitives: an entry is a folder `<module>/<function>/<key>`
// holding `output.<ext>` (a dump whose header tag is the key's first half, so an output moved
// into another entry's folder is detected) and `metadata.json`, written after the output.
// The function folder holds the function's source (`func_code.js`), and the location holds a
// marker that says it is a joblib-ts cache: a shelved result read from a file acts only there.

import { FormatError, InvalidOptionError } from '../errors.js';
import { TAG_HEX_DIGITS } from '../persistence/format.js';
import type { CompressOption } from '../serialization/compression/registry.js';
import { resolveCompression } from '../serialization/compression/registry.js';
import { hash } from '../serialization/hash.js';
import {
  asyncIO, type CacheIO, decode, encode, exists, list, move, type Program, read, remove, syncIO, touch, write,
} from './cache-program.js';
import type { ItemPath, StoreBackend, StoreItem } from './stores/store.js';

export const METADATA = 'metadata.json';
export const FUNCTION_CODE = 'func_code.js';
/** Marks a function folder whose (non-async) function returns promises: hits return promises too. */
export const PROMISE_MARKER = 'returns-promise';
/** At the root of every location Memory wrote to. No safe segment starts with a dot, so no entry can take its name. */
export const LOCATION_MARKER = '.joblib-ts-cache';
/** An output's item name: `output.bin`, `output.lz4`, … */
export const OUTPUT_NAME = /^output\.[\w]+$/;
/**
 * A hit records its access (for LRU eviction) at most this often per entry and process: the
 * `utimes` call would otherwise be a third of a small hit's time, and eviction needs no finer clock.
 */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_SEGMENT = 100;

/**
 * What is stored beside each output (`metadata.json`), and what `cacheValidationCallback` receives.
 *
 * @category Memory
 */
export interface CacheMetadata {
  /** The function's name in the cache (`name` option, else `fn.name`). */
  readonly functionName: string;
  /** The module folder: the defining file relative to the working directory (`__main__` for `-e`, stdin). */
  readonly module: string;
  /** The entry's key: the hash of the function's code and its normalized arguments. */
  readonly key: string;
  /** A short description of the call, e.g. `costly(data=Float64Array(1000), column=2)`. */
  readonly args: string;
  /** How long the computation took, in milliseconds (awaiting its promise included). */
  readonly durationMs: number;
  /** When the output was computed (ISO 8601). */
  readonly createdAt: string;
  /** The stored output's size in bytes (after compression). */
  readonly sizeBytes: number;
}

/** `reduceSize`'s limits, resolved: bytes, a count and milliseconds (Infinity: no limit). */
export interface SizeLimitsInBytes {
  readonly bytesLimit: number;
  readonly itemsLimit: number;
  readonly ageLimit: number;
}

/** What a reduction removes and keeps, each least recently used first. */
export interface Reduction {
  readonly removed: readonly StoreItem[];
  readonly kept: readonly StoreItem[];
}

/** What reading an entry's output found. */
export type OutputRead =
  | { readonly kind: 'hit'; readonly value: unknown }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly error: unknown };

const MISSING: OutputRead = { kind: 'missing' };

/**
 * A name as one safe path segment: letters, digits and `_ . @ $ -` only, never starting with a
 * dot (so never `.` or `..`), at most 100 characters (a longer name keeps a hash of itself).
 */
export function safeSegment(name: string): string {
  let segment = name.replace(/[^\w.@$-]/g, '_');
  if (segment.startsWith('.')) segment = `_${segment}`;
  if (segment.length > MAX_SEGMENT) segment = `${segment.slice(0, MAX_SEGMENT - 17)}-${hash(name).slice(0, 16)}`;
  return segment || '_';
}

/** Whether `segment` is one `safeSegment` could have made (a check for paths read from files). */
export function isSafeSegment(segment: unknown): segment is string {
  return typeof segment === 'string' && segment.length > 0 && segment.length <= MAX_SEGMENT
    && /^[\w@$-][\w.@$-]*$/.test(segment);
}

/** The entries of one Memory location on one store. */
export class CacheEntries {
  /** `output.bin`, or the compressor's extension. */
  readonly outputName: string;
  /** Bumped by `clearAll`: functions check their stored source again after it. */
  generation = 0;
  private readonly touched = new Map<string, number>();
  private marked = false;
  private sync: CacheIO | undefined;
  private async: CacheIO | undefined;

  constructor(readonly store: StoreBackend, readonly storeName: string, readonly compress: CompressOption) {
    const { compressor } = resolveCompression(compress);
    this.outputName = `output.${compressor ? compressor.extensions[0]?.replace(/^\./, '') ?? compressor.name : 'bin'}`;
  }

  /** Whether this store can run sync cached functions. */
  get canRunSync(): boolean {
    return this.store.sync !== undefined;
  }

  syncIO(): CacheIO {
    if (!this.store.sync) {
      throw new InvalidOptionError(`The store '${this.storeName}' at ${this.store.location} offers no synchronous access, ` +
        'so it serves only async functions, and this operation needs it. Cache an async function, or use a store with sync access.');
    }
    this.sync ??= syncIO(this.store.sync);
    return this.sync;
  }

  asyncIO(): CacheIO {
    this.async ??= asyncIO(this.store);
    return this.async;
  }

  /** Reads and checks an entry's output: a missing item is a miss; anything wrong with it is `unreadable`. */
  * readOutput(entry: ItemPath, key: string, outputName = this.outputName): Program<OutputRead> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = yield* read([...entry, outputName]);
      if (bytes === undefined) return MISSING;
      const { value, tag } = yield* decode(bytes);
      if (tag !== key.slice(0, TAG_HEX_DIGITS)) {
        throw new FormatError(`It holds the output of another entry (tagged ${tag}, expected ${key.slice(0, TAG_HEX_DIGITS)}): ` +
          'it was moved or copied there.');
      }
      return { kind: 'hit', value };
    } catch (error) {
      return { kind: 'unreadable', error };
    }
  }

  /** Writes an output tagged with its key; returns its size in bytes. */
  * writeOutput(entry: ItemPath, key: string, value: unknown): Program<number> {
    const parts = yield* encode(value, this.compress, key.slice(0, TAG_HEX_DIGITS));
    yield* this.markLocation();
    yield* write([...entry, this.outputName], parts);
    return parts.reduce((size, part) => size + part.byteLength, 0);
  }

  * readMetadata(entry: ItemPath): Program<CacheMetadata | undefined> {
    try {
      const bytes = yield* read([...entry, METADATA]);
      return bytes === undefined ? undefined : JSON.parse(Buffer.from(bytes).toString('utf8')) as CacheMetadata;
    } catch {
      return undefined;
    }
  }

  /** After the output: an entry with metadata always has its whole output. */
  * writeMetadata(entry: ItemPath, metadata: CacheMetadata): Program<void> {
    yield* write([...entry, METADATA], [Buffer.from(JSON.stringify(metadata))]);
  }

  /** Whether an entry is complete: output and metadata present. */
  * hasEntry(entry: ItemPath): Program<boolean> {
    return (yield* exists([...entry, this.outputName])) && (yield* exists([...entry, METADATA]));
  }

  /** Records an access to an entry, at most once a minute per entry and process. */
  * touch(entry: ItemPath, key: string): Program<void> {
    const now = Date.now();
    if (now - (this.touched.get(key) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(key, now);
    yield* touch(entry);
  }

  /** The function source stored for a function folder, if any. */
  * readFunctionCode(folder: ItemPath): Program<string | undefined> {
    try {
      const bytes = yield* read([...folder, FUNCTION_CODE]);
      return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
    } catch {
      return undefined;
    }
  }

  * writeFunctionCode(folder: ItemPath, source: string): Program<void> {
    yield* this.markLocation();
    yield* write([...folder, FUNCTION_CODE], [Buffer.from(source)]);
  }

  /** Removes a folder; moved aside first, so that readers never see it half-removed. */
  * removeFolder(folder: ItemPath): Program<void> {
    const trash = [`${LOCATION_MARKER}-trash-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`];
    try {
      yield* move(folder, trash);
    } catch {
      return; // gone already (another process cleared it first)
    }
    yield* remove(trash);
  }

  /**
   * Which entries `reduce` removes, and which it keeps: first those unused for longer than
   * `ageLimit`, then the least recently used until at most `itemsLimit` entries and
   * `bytesLimit` bytes remain (joblib's reduce_size). Removes nothing.
   */
  * planReduction(limits: SizeLimitsInBytes): Program<Reduction> {
    const items = (yield* list())
      .filter((item) => !item.path[0]?.startsWith(LOCATION_MARKER))
      .sort((a, b) => a.lastAccessMs - b.lastAccessMs); // least recently used first
    let totalBytes = items.reduce((sum, item) => sum + item.sizeBytes, 0);
    let count = items.length;
    const now = Date.now();
    let removed = 0;
    for (const item of items) {
      // Sorted by access, so once one entry is young enough and the limits hold, all later ones are kept.
      const fits = totalBytes <= limits.bytesLimit && count <= limits.itemsLimit;
      if (fits && now - item.lastAccessMs <= limits.ageLimit) break;
      totalBytes -= item.sizeBytes;
      count -= 1;
      removed += 1;
    }
    return { removed: items.slice(0, removed), kept: items.slice(removed) };
  }

  /** Removes the entries `planReduction` names, least recently used first; returns the plan. */
  * reduce(limits: SizeLimitsInBytes): Program<Reduction> {
    const plan = yield* this.planReduction(limits);
    for (const item of plan.removed) yield* remove(item.path);
    return plan;
  }

  /** Writes the location's marker (once per instance), as every write into the location does first. */
  * markLocation(): Program<void> {
    if (this.marked) return;
    if (!(yield* exists([LOCATION_MARKER]))) yield* write([LOCATION_MARKER], [Buffer.from('joblib-ts cache, format 1\n')]);
    this.marked = true;
  }

  /** Removes everything in the location. */
  * clearAll(): Program<void> {
    yield* remove([]);
    this.marked = false;
    this.touched.clear();
    this.generation += 1;
  }

  /** Whether the location was made by Memory (a shelved result read from a file acts only in one). */
  * isCacheLocation(): Program<boolean> {
    return yield* exists([LOCATION_MARKER]);
  }
}
