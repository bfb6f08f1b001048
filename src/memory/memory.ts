// `new Memory(location)`: joblib's Memory. `cache(fn)` wraps functions so their results are
// stored under `<location>/<module>/<function>/<key>/`; `reduceSize` evicts the least recently
// used entries; a function whose source changed has its entries cleared, with a message.

import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBytes } from '../byte-size.js';
import { InvalidOptionError } from '../errors.js';
import { emitJoblibWarning, type JoblibWarningCode } from '../warnings.js';
import type { CompressOption } from '../serialization/compressors.js';
import { resolveCompression } from '../serialization/compressors.js';
import { type FunctionLocation, locateFunction } from '../serialization/function-locator.js';
import { markWrapper } from '../serialization/function-ref.js';
import { checkIgnore, parametersOf } from './arguments.js';
import { type AnyFunction, type CacheMetadata, type MemorizedFunc, memorize } from './memorized-func.js';
import { registerBuiltinStores } from './stores/builtins.js';
import { createStore, type StoreBackend } from './stores/store.js';

/** Options of `new Memory(location, options)`. */
export interface MemoryOptions {
  /** How outputs are compressed: dump's `compress` forms (false, true, 1–9, 'zlib', 'gzip', 'lz4', …). */
  readonly compress?: CompressOption;
  /** 0 silent (default 1, as joblib: a line per computation), 2+ also a line per load. */
  readonly verbose?: number;
  /** A store registered with registerStoreBackend; default 'local' (a folder). */
  readonly store?: string;
  readonly storeOptions?: Readonly<Record<string, unknown>>;
}

/** Options of `memory.cache(fn, options)`. */
export interface CacheOptions {
  /** Parameters left out of the key (e.g. a `debug` flag). Unknown names are an error. */
  readonly ignore?: readonly string[];
  /** The function's name in the cache (default `fn.name`). */
  readonly name?: string;
  readonly verbose?: number;
  /** Decides whether a stored result may be served; see `expiresAfter`. */
  readonly cacheValidationCallback?: (metadata: CacheMetadata) => boolean;
}

/** A span of time: milliseconds, or `{ days, hours, minutes, seconds }`. */
export type Duration =
  | number
  | { readonly days?: number; readonly hours?: number; readonly minutes?: number; readonly seconds?: number };

/** Limits for `reduceSize`; each is optional. */
export interface SizeLimits {
  /** Total size to keep: bytes or '3K', '100M', '1G'. */
  readonly bytesLimit?: number | string;
  readonly itemsLimit?: number;
  /** Entries not used for longer than this are removed. */
  readonly ageLimit?: Duration;
}

const FUNCTION_SOURCE = 'func_code.js';
/** Functions seen in this process by identity: a second, different one under the same identity warns. */
const identities = new Map<string, string>();

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
 * A `cacheValidationCallback` that serves a result only while it is younger than `duration`.
 *
 * @example
 * const fetchPage = memory.cache(fetchText, { cacheValidationCallback: expiresAfter({ hours: 1 }) });
 */
export function expiresAfter(duration: Duration): (metadata: CacheMetadata) => boolean {
  const ms = durationMs(duration, 'expiresAfter');
  return (metadata) => Date.now() - Date.parse(metadata.createdAt) < ms;
}

/**
 * Disk memoization (joblib's Memory). `null` as location gives a Memory that never caches.
 *
 * @example
 * const memory = new Memory('./cachedir', { compress: 'lz4' });
 * const costly = memory.cache(function costly(data: Float64Array, column = 0) { ... });
 */
export class Memory {
  /** The folder (or store location), or null when caching is off. */
  readonly location: string | null;
  private readonly store: StoreBackend | null;
  private readonly storeName: string;
  private readonly compress: CompressOption;
  private readonly outputName: string;
  private readonly verbose: number;
  /** Function folders whose stored source was checked in this process. */
  private readonly checked = new Set<string>();

  constructor(location: string | URL | null, options: MemoryOptions = {}) {
    this.location = location === null ? null : location instanceof URL ? fileURLToPath(location) : location;
    registerBuiltinStores();
    this.storeName = options.store ?? 'local';
    this.store = this.location === null ? null : createStore(this.storeName, this.location, options.storeOptions ?? {});
    this.compress = options.compress ?? false;
    const { compressor } = resolveCompression(this.compress);
    this.outputName = `output.${compressor ? compressor.extensions[0]?.replace(/^\./, '') ?? compressor.name : 'bin'}`;
    this.verbose = options.verbose ?? 1;
  }

  /** Wraps `fn` so its results are cached; `memory.cache(options)` returns a decorator. */
  cache<F extends AnyFunction>(fn: F, options?: CacheOptions): MemorizedFunc<F>;
  cache(options: CacheOptions): <F extends AnyFunction>(fn: F) => MemorizedFunc<F>;
  cache<F extends AnyFunction>(
    fnOrOptions: F | CacheOptions, options: CacheOptions = {},
  ): MemorizedFunc<F> | (<G extends AnyFunction>(fn: G) => MemorizedFunc<G>) {
    if (typeof fnOrOptions !== 'function') {
      const decoratorOptions = fnOrOptions;
      return <G extends AnyFunction>(fn: G) => this.cache(fn, decoratorOptions);
    }
    const fn = fnOrOptions;
    const source = Function.prototype.toString.call(fn);
    const name = options.name ?? (fn.name || 'anonymous');
    const location = locateFunction(fn);
    const module = moduleOf(location);
    if (!options.name && !fn.name) {
      this.warn(`memory.cache: an anonymous function is cached as '${name}' in ${module}; name collisions between ` +
        'anonymous functions cannot be detected. Give it a name or pass { name }.', 'JOBLIB_CACHE_NAME_COLLISION');
    }
    const identity = `${this.location}\0${module}\0${name}`;
    const seen = identities.get(identity);
    if (seen !== undefined && seen !== source) {
      this.warn(`memory.cache: two different functions are cached as ${module}.${name}; their results would mix. ` +
        'Pass a distinct { name } to one of them.', 'JOBLIB_CACHE_NAME_COLLISION');
    }
    identities.set(identity, source);
    const parameters = parametersOf(fn);
    const ignore = checkIgnore(parameters, options.ignore, name);
    const dir = [module, name];
    const checkKey = dir.join('\0');
    const isAsync = fn.constructor.name === 'AsyncFunction';
    const memorized = memorize<F>({
      fn, name, module, parameters, ignore, store: this.store, storeName: this.storeName, compress: this.compress,
      outputName: this.outputName, verbose: options.verbose ?? this.verbose, validate: options.cacheValidationCallback,
      warn: (message, code) => this.warn(message, code),
      ensureCurrent: () => {
        if (!this.store || this.checked.has(checkKey)) return;
        this.checked.add(checkKey);
        const stored = this.store.readText([...dir, FUNCTION_SOURCE]);
        if (stored !== undefined && stored !== source) {
          this.warn(`The source of ${module}.${name} changed since its results were cached in ${this.location}: ` +
            'clearing them.', 'JOBLIB_CACHE_SOURCE_CHANGED');
          // Move the folder aside first so readers never see a half-removed function.
          const trash = [`.trash-${process.pid}-${Date.now()}`];
          try {
            this.store.moveItem(dir, trash);
          } catch {
            // another process cleared it first
          }
          this.store.removeItem(trash);
        }
        if (stored !== source) this.store.writeText([...dir, FUNCTION_SOURCE], source);
      },
    }, isAsync);
    // Parallel finds the cached function where the user exports it (beside the function it wraps).
    if (location) markWrapper(memorized, location.url, `the cached function ${name}`);
    return memorized;
  }

  /** Calls `fn(...args)` through the cache (joblib's Memory.eval). */
  eval<F extends AnyFunction>(fn: F, ...args: Parameters<F>): ReturnType<F> {
    return (this.cache(fn) as (...a: Parameters<F>) => ReturnType<F>)(...args);
  }

  /**
   * Removes entries until the cache fits the limits: first those unused for longer than
   * `ageLimit`, then the least recently used until it has at most `itemsLimit` entries and
   * `bytesLimit` bytes. Returns what was removed.
   */
  reduceSize(limits: SizeLimits = {}): { removedItems: number; removedBytes: number } {
    const bytesLimit = limits.bytesLimit === undefined ? Infinity : parseBytes(limits.bytesLimit, 'bytesLimit');
    const itemsLimit = limits.itemsLimit ?? Infinity;
    if (!(itemsLimit >= 0)) throw new InvalidOptionError(`itemsLimit must be a non-negative integer, got ${itemsLimit}.`);
    const ageLimit = limits.ageLimit === undefined ? Infinity : durationMs(limits.ageLimit, 'ageLimit');
    if (!this.store) return { removedItems: 0, removedBytes: 0 };
    const items = this.store.listItems().sort((a, b) => a.lastAccessMs - b.lastAccessMs); // least recently used first
    let totalBytes = items.reduce((sum, item) => sum + item.sizeBytes, 0);
    let count = items.length;
    const now = Date.now();
    let removedItems = 0;
    let removedBytes = 0;
    for (const item of items) {
      const tooOld = now - item.lastAccessMs > ageLimit;
      if (!tooOld && totalBytes <= bytesLimit && count <= itemsLimit) break;
      this.store.removeItem(item.path);
      totalBytes -= item.sizeBytes;
      count -= 1;
      removedItems += 1;
      removedBytes += item.sizeBytes;
    }
    // Old entries may sit after recent ones only if access times tie; a second pass catches them.
    if (ageLimit !== Infinity) {
      for (const item of this.store.listItems()) {
        if (now - item.lastAccessMs > ageLimit) {
          this.store.removeItem(item.path);
          removedItems += 1;
          removedBytes += item.sizeBytes;
        }
      }
    }
    return { removedItems, removedBytes };
  }

  /** Removes every cached result in this location. */
  clear(): void {
    if (!this.store) return;
    this.store.removeItem([]);
    this.checked.clear();
  }

  private warn(message: string, code: JoblibWarningCode): void {
    emitJoblibWarning(code === 'JOBLIB_CACHE_NAME_COLLISION' ? 'JoblibCollisionWarning' : 'CacheWarning', code, message);
  }
}

/** The module part of a function's cache folder: its file relative to cwd, `__main__` for eval and stdin. */
function moduleOf(location: FunctionLocation | undefined): string {
  if (!location) return '__native__';
  const { url } = location;
  if (url.includes('[eval') || url.includes('[stdin]')) return '__main__';
  if (url.startsWith('node:')) return url.replace(':', '.');
  let path = url;
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    const fromCwd = relative(process.cwd(), file);
    path = fromCwd.startsWith('..') ? file : fromCwd;
  }
  return path.replace(/\.[cm]?[jt]sx?$/, '').split(sep).filter(Boolean).join('.').replace(/[^\w.@-]/g, '_') || '__main__';
}
