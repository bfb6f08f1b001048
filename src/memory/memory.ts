// `new Memory(location)`: joblib's Memory. `cache(fn)` wraps functions so their results are
// stored under `<location>/<module>/<function>/<key>/`; `reduceSize` evicts the least recently
// used entries; a function whose source changed has its entries cleared, with a message.

import { fileURLToPath } from 'node:url';
import { parseBytes } from '../byte-size.js';
import { InvalidOptionError } from '../errors.js';
import type { CompressOption } from '../serialization/compression/registry.js';
import { resolveCompression } from '../serialization/compression/registry.js';
import type { AnyFunction } from '../serialization/functions/any-function.js';
import { markWrapper } from '../serialization/functions/function-ref.js';
import { refuseUnknownOptions } from '../unknown-options.js';
import { checkIgnore, signatureOf } from './arguments.js';
import { CacheEntries, type CacheMetadata, type Reduction, type SizeLimitsInBytes } from './cache-entries.js';
import { runSync } from './cache-program.js';
import { identify } from './function-identity.js';
import {
  AsyncMemorizedFunction, callableFor, type MemorizedFunc, MemorizedFunction, NotMemorizedFunction,
} from './memorized-func.js';
import { registerBuiltinStores } from './stores/builtins.js';
import { createStore } from './stores/store.js';

/**
 * Options of `new Memory(location, options)`. Unknown names (joblib's `mmap_mode` among them)
 * are an `InvalidOptionError` naming the nearest valid one.
 *
 * @category Memory
 */
export interface MemoryOptions {
  /** How outputs are compressed: dump's `compress` forms (false, true, 1–9, 'zlib', 'gzip', 'lz4', …). */
  readonly compress?: CompressOption;
  /** 0 silent (default 1, as joblib: a line per computation), 2+ also a line per load. */
  readonly verbose?: number;
  /** A store registered with registerStoreBackend; default 'local' (a folder). */
  readonly store?: string;
  /** Passed as they are to the store's factory (joblib's `backend_options`); default `{}`. */
  readonly storeOptions?: Readonly<Record<string, unknown>>;
}

/**
 * Options of `memory.cache(fn, options)`. Unknown names are an `InvalidOptionError`.
 *
 * @category Memory
 */
export interface CacheOptions {
  /** Parameters left out of the key (e.g. a `debug` flag). Unknown names are an error. */
  readonly ignore?: readonly string[];
  /** The function's name in the cache (default `fn.name`). */
  readonly name?: string;
  /** This function's verbosity, as `MemoryOptions.verbose`; default the Memory's. */
  readonly verbose?: number;
  /**
   * Decides whether a stored result may be served: called with the entry's metadata on each hit;
   * `false` recomputes and stores anew (joblib's `cache_validation_callback`). See `expiresAfter`.
   */
  readonly cacheValidationCallback?: (metadata: CacheMetadata) => boolean;
}

/**
 * A span of time: milliseconds, or `{ days, hours, minutes, seconds }` (summed; each may be
 * fractional). Negative totals are an `InvalidOptionError`.
 *
 * @category Memory
 */
export type Duration =
  | number
  | {
    /** Days of 24 hours. */
    readonly days?: number;
    /** Hours. */
    readonly hours?: number;
    /** Minutes. */
    readonly minutes?: number;
    /** Seconds. */
    readonly seconds?: number;
  };

/**
 * Limits for `reduceSize`; each is optional (absent: no limit). Unknown names are an `InvalidOptionError`.
 *
 * @category Memory
 */
export interface SizeLimits {
  /** Total size to keep: bytes or '3K', '100M', '1G'. */
  readonly bytesLimit?: number | string;
  /** Number of entries to keep. */
  readonly itemsLimit?: number;
  /** Entries not used for longer than this are removed. */
  readonly ageLimit?: Duration;
}

/** Milliseconds in a Duration; negative values are an error. */
export function durationMs(duration: Duration, option: string): number {
  const ms = typeof duration === 'number' ? duration
    : 1000 * ((duration.days ?? 0) * 86_400 + (duration.hours ?? 0) * 3600 + (duration.minutes ?? 0) * 60
      + (duration.seconds ?? 0));
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidOptionError(`${option} must be a non-negative duration (ms or { days, hours, minutes, seconds }), got ${JSON.stringify(duration)}.`);
  }
  return ms;
}

/**
 * A `cacheValidationCallback` that serves a result only while it is younger than `duration`,
 * counted from when it was stored (its metadata's `createdAt`; joblib's `expires_after`).
 *
 * @throws {@link InvalidOptionError} for a negative or non-finite duration.
 * @category Memory
 * @example
 * const fetchPage = memory.cache(fetchText, { cacheValidationCallback: expiresAfter({ hours: 1 }) });
 */
export function expiresAfter(duration: Duration): (metadata: CacheMetadata) => boolean {
  const ms = durationMs(duration, 'expiresAfter');
  return (metadata) => Date.now() - Date.parse(metadata.createdAt) < ms;
}

const MEMORY_OPTIONS = new Set(['compress', 'verbose', 'store', 'storeOptions']);
const CACHE_OPTIONS = new Set(['ignore', 'name', 'verbose', 'cacheValidationCallback']);

/**
 * Disk memoization (joblib's Memory). `null` as location gives a Memory that never caches
 * and prints nothing.
 *
 * Entries live under `<location>/<module>/<function>/<key>/` (`output.<ext>` and
 * `metadata.json`), every write atomic; many processes may share a location. The key hashes
 * the function's code and its arguments by parameter name, defaults applied.
 *
 * @category Memory
 * @example
 * const memory = new Memory('./cachedir', { compress: 'lz4' });
 * const costly = memory.cache(function costly(data: Float64Array, column = 0) { ... });
 * costly(data, 2); // computes and stores
 * costly(data, 2); // loads
 * memory.reduceSize({ bytesLimit: '1G', ageLimit: { days: 30 } });
 */
export class Memory {
  /** The folder (or store location), or null when caching is off. */
  readonly location: string | null;
  private readonly entries: CacheEntries | null;
  private readonly verbose: number;

  /**
   * @param location - A folder (path or file URL; made on first write), or `null` for no caching.
   * @param options - Compression, verbosity and store.
   * @throws {@link InvalidOptionError} for a bad location, an unknown option name, a bad
   *   `compress` or `verbose`, or an unknown store.
   */
  constructor(location: string | URL | null, options: MemoryOptions = {}) {
    refuseUnknownOptions(options, MEMORY_OPTIONS, 'Memory');
    if (location !== null && typeof location !== 'string' && !(location instanceof URL)) {
      throw new InvalidOptionError(`A Memory's location must be a folder path, a file URL or null, got ${typeof location}.`);
    }
    if (options.verbose !== undefined && !(typeof options.verbose === 'number' && options.verbose >= 0)) {
      throw new InvalidOptionError(`verbose must be a non-negative number, got ${JSON.stringify(options.verbose)}.`);
    }
    this.location = location === null ? null : location instanceof URL ? fileURLToPath(location) : location;
    const compress = options.compress ?? false;
    resolveCompression(compress); // a bad compress option fails here, not at the first store
    if (this.location === null) {
      this.entries = null;
    } else {
      registerBuiltinStores();
      const storeName = options.store ?? 'local';
      const store = createStore(storeName, this.location, options.storeOptions ?? {});
      this.entries = new CacheEntries(store, storeName, compress);
    }
    this.verbose = options.verbose ?? 1;
  }

  /**
   * Wraps `fn` so its results are cached (joblib's `Memory.cache`). The wrapper keeps `fn`'s
   * calling convention: a sync function stays sync, an async one returns a promise (and identical
   * concurrent calls share one computation). Exceptions are never cached.
   *
   * @typeParam F - The function's type: the cached function is called the same way.
   * @throws {@link InvalidOptionError} for an unknown option, an `ignore` name that is not a
   *   parameter of `fn`, or a sync function on a store without sync primitives.
   */
  cache<F extends AnyFunction>(fn: F, options?: CacheOptions): MemorizedFunc<F>;
  /** `memory.cache(options)` returns a decorator: `memory.cache({ ignore: ['debug'] })(fn)`. */
  cache(options: CacheOptions): (
    /**
     * Caches `fn` with the options given to `memory.cache(options)`.
     *
     * @typeParam F - The function's type: the cached function is called the same way.
     */
    <F extends AnyFunction>(fn: F) => MemorizedFunc<F>
  );
  cache<F extends AnyFunction>(
    fnOrOptions: F | CacheOptions, options: CacheOptions = {},
  ): MemorizedFunc<F> | (<G extends AnyFunction>(fn: G) => MemorizedFunc<G>) {
    if (typeof fnOrOptions !== 'function') {
      const decoratorOptions = fnOrOptions;
      refuseUnknownOptions(decoratorOptions, CACHE_OPTIONS, 'memory.cache');
      return <G extends AnyFunction>(fn: G) => this.cache(fn, decoratorOptions);
    }
    const fn = fnOrOptions;
    refuseUnknownOptions(options, CACHE_OPTIONS, 'memory.cache');
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new InvalidOptionError(`name must be a non-empty string, got ${JSON.stringify(options.name)}.`);
    }
    const validate = options.cacheValidationCallback;
    if (validate !== undefined && typeof validate !== 'function') {
      throw new InvalidOptionError('cacheValidationCallback must be a function of the entry\'s metadata returning a boolean.');
    }
    if (!this.entries) return callableFor<F>(new NotMemorizedFunction(fn, options.name ?? fn.name), fn.name);
    const identity = identify(fn, options.name, this.entries.store.location);
    const signature = signatureOf(identity.target);
    const ignore = checkIgnore(signature, options.ignore, identity.name);
    const settings = { identity, signature, ignore, verbose: options.verbose ?? this.verbose, validate };
    const isAsync = fn.constructor.name === 'AsyncFunction';
    if (!isAsync && !this.entries.canRunSync) this.entries.syncIO(); // refuses with the store's name
    const behaviour = isAsync
      ? new AsyncMemorizedFunction(fn, this.entries, settings)
      : new MemorizedFunction(fn, this.entries, settings);
    const memorized = callableFor<F>(behaviour, identity.name);
    // Parallel finds the cached function where the user exports it (beside the function it wraps).
    if (identity.location) markWrapper(memorized, identity.location.url, `the cached function ${identity.name}`);
    return memorized;
  }

  /**
   * Calls `fn(...args)` through the cache (joblib's Memory.eval): `memory.cache(fn)(...args)`.
   *
   * @typeParam F - The function's type: its parameters and result type.
   */
  eval<F extends AnyFunction>(fn: F, ...args: Parameters<F>): ReturnType<F> {
    return (this.cache(fn) as (...a: Parameters<F>) => ReturnType<F>)(...args);
  }

  /**
   * Removes entries until the cache fits the limits: first those unused for longer than
   * `ageLimit`, then the least recently used until it has at most `itemsLimit` entries and
   * `bytesLimit` bytes (joblib's `reduce_size`). Use is recorded when an entry is read, at
   * most once a minute per entry and process. Returns what was removed; nothing without a location.
   *
   * @throws {@link InvalidOptionError} for an unknown limit name, a malformed limit, or a store
   *   without sync primitives.
   */
  reduceSize(limits: SizeLimits = {}): {
    /** Entries removed. */
    removedItems: number;
    /** Their size in bytes, as recorded by the store. */
    removedBytes: number;
  } {
    const resolved = sizeLimitsInBytes(limits);
    const entries = this.entries;
    if (!entries) return { removedItems: 0, removedBytes: 0 };
    const { removed } = runSync(entries.reduce(resolved), entries.syncIO(), () => entries.asyncIO()) as Reduction;
    return { removedItems: removed.length, removedBytes: removed.reduce((sum, item) => sum + item.sizeBytes, 0) };
  }

  /**
   * Removes every cached result in this location (joblib's `Memory.clear`).
   *
   * @throws {@link InvalidOptionError} on a store without sync primitives.
   */
  clear(): void {
    const entries = this.entries;
    if (entries) runSync(entries.clearAll(), entries.syncIO(), () => entries.asyncIO());
  }
}

const SIZE_LIMITS = new Set(['bytesLimit', 'itemsLimit', 'ageLimit']);

/** `reduceSize`'s limits checked and in bytes, a count and milliseconds (Infinity where not given). */
export function sizeLimitsInBytes(limits: SizeLimits): SizeLimitsInBytes {
  refuseUnknownOptions(limits, SIZE_LIMITS, 'reduceSize');
  const bytesLimit = limits.bytesLimit === undefined ? Infinity : parseBytes(limits.bytesLimit, 'bytesLimit');
  const itemsLimit = limits.itemsLimit ?? Infinity;
  if (!(itemsLimit >= 0)) throw new InvalidOptionError(`itemsLimit must be a non-negative integer, got ${itemsLimit}.`);
  const ageLimit = limits.ageLimit === undefined ? Infinity : durationMs(limits.ageLimit, 'ageLimit');
  return { bytesLimit, itemsLimit, ageLimit };
}
