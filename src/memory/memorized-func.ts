// A function wrapped by `memory.cache`: same calling convention as the original (sync stays
// sync, async returns a promise), results stored on disk under a key made from the arguments.
// Hits load the stored output (typed arrays as views of one read); misses compute, store the
// output then its metadata (each atomically), and return. Exceptions are never stored.

import { hash } from '../serialization/hash.js';
import { SerializationError } from '../errors.js';
import type { JoblibWarningCode } from '../warnings.js';
import type { CompressOption } from '../serialization/compressors.js';
import { normalizeArguments, type Parameter } from './arguments.js';
import { MemorizedResult, NotMemorizedResult, type ShelvedResult } from './memorized-result.js';
import { describeCall } from './call-description.js';
import type { StoreBackend } from './stores/store.js';

/** What is stored beside each output, and what `cacheValidationCallback` receives. */
export interface CacheMetadata {
  readonly functionName: string;
  readonly module: string;
  /** The entry's key: the hash of the normalized arguments. */
  readonly key: string;
  /** A short description of the call, e.g. `costly(data=Float64Array(1000), column=2)`. */
  readonly args: string;
  readonly durationMs: number;
  /** When the output was computed (ISO 8601). */
  readonly createdAt: string;
  readonly sizeBytes: number;
}

/** `call()`'s result: the freshly computed output and the metadata stored with it. */
export interface CallOutcome<R> {
  readonly output: R;
  readonly metadata: CacheMetadata;
}

export type AnyFunction = (...args: never[]) => unknown;
type Settled<F extends AnyFunction> = Awaited<ReturnType<F>>;
type Convention<F extends AnyFunction, T> = ReturnType<F> extends PromiseLike<unknown> ? Promise<T> : T;

/** A cached function: call it like `F`; plus joblib's MemorizedFunc methods. */
export type MemorizedFunc<F extends AnyFunction> = F & {
  /** Computes and stores even if cached; returns the output and its metadata. */
  call(...args: Parameters<F>): Convention<F, CallOutcome<Settled<F>>>;
  /** Makes sure the result is cached and returns a reference to it instead of the value. */
  callAndShelve(...args: Parameters<F>): Convention<F, ShelvedResult<Settled<F>>>;
  /** Whether this call's result is cached (and valid under `cacheValidationCallback`). */
  checkCallInCache(...args: Parameters<F>): boolean;
  /** Removes every cached result of this function. */
  clear(): void;
  /** The original function. */
  readonly func: F;
};

export interface FunctionContext {
  readonly fn: AnyFunction;
  readonly name: string;
  readonly module: string;
  readonly parameters: readonly Parameter[];
  readonly ignore: ReadonlySet<string>;
  readonly store: StoreBackend | null;
  readonly storeName: string;
  readonly compress: CompressOption;
  readonly outputName: string;
  readonly verbose: number;
  readonly validate: ((metadata: CacheMetadata) => boolean) | undefined;
  /** Checks the stored function source once per process (clears entries when it changed). */
  readonly ensureCurrent: () => void;
  readonly warn: (message: string, code: JoblibWarningCode) => void;
}

const MISS = Symbol('miss');
/**
 * A hit records its access (for LRU eviction) at most this often per entry and process: the
 * `utimes` call would otherwise be a third of a small hit's time, and eviction needs no finer clock.
 */
const TOUCH_INTERVAL_MS = 60_000;
/** Marks a function folder whose (non-async) function returns promises: hits must return promises too. */
const PROMISE_MARKER = 'returns-promise';
const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function')
  && typeof (value as PromiseLike<unknown>).then === 'function';

export function memorize<F extends AnyFunction>(context: FunctionContext, isAsync: boolean): MemorizedFunc<F> {
  const { fn, store } = context;
  const call = (args: readonly unknown[]): unknown => (fn as (...a: readonly unknown[]) => unknown)(...args);
  const dir = [context.module, context.name];
  const inFlight = new Map<string, Promise<unknown>>();
  let returnsPromise: boolean | undefined;
  const hitValue = (value: unknown): unknown => {
    returnsPromise ??= store!.itemExists([...dir, PROMISE_MARKER]);
    return returnsPromise ? Promise.resolve(value) : value;
  };
  const touched = new Map<string, number>();
  const touch = (entry: readonly string[]): void => {
    const id = entry[2]!;
    const now = Date.now();
    if (now - (touched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    touched.set(id, now);
    store!.touchItem(entry);
  };

  const keyOf = (args: readonly unknown[]): { key: string; entry: string[]; keyed: Record<string, unknown> } => {
    const keyed = normalizeArguments(context.parameters, context.ignore, args);
    const key = hash(keyed);
    return { key, entry: [...dir, key], keyed };
  };

  const readMetadata = (entry: readonly string[]): CacheMetadata | undefined => {
    const text = store!.readText([...entry, 'metadata.json']);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as CacheMetadata;
    } catch {
      return undefined;
    }
  };

  /** Whether a stored entry may be served: it has metadata and passes the validation callback. */
  const valid = (entry: readonly string[]): boolean => {
    if (!context.validate) return true;
    const metadata = readMetadata(entry);
    return metadata !== undefined && context.validate(metadata);
  };

  const onLoadError = (error: unknown, entry: readonly string[]): typeof MISS => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return MISS;
    context.warn(`The cached result of ${context.name} in ${store!.location}/${entry.join('/')} could not be loaded ` +
      `(${error instanceof Error ? error.message : String(error)}); recomputing it.`, 'JOBLIB_CACHE_UNREADABLE');
    return MISS;
  };

  const loadSync = (entry: readonly string[]): unknown => {
    if (!valid(entry)) return MISS;
    try {
      const value = store!.loadItem([...entry, context.outputName]);
      touch(entry);
      if (context.verbose > 1) process.stderr.write(`[Memory] Loading ${context.name} from ${entry.join('/')}\n`);
      return value;
    } catch (error) {
      return onLoadError(error, entry);
    }
  };

  const loadAsync = async (entry: readonly string[]): Promise<unknown> => {
    if (!valid(entry)) return MISS;
    try {
      const value = await store!.loadItemAsync([...entry, context.outputName]);
      touch(entry);
      return value;
    } catch (error) {
      return onLoadError(error, entry);
    }
  };

  const announce = (description: string): number => {
    if (context.verbose > 0) {
      process.stderr.write(`${'_'.repeat(80)}\n[Memory] Calling ${context.module}.${context.name}...\n${description}\n`);
    }
    return performance.now();
  };

  const metadataFor = (key: string, description: string, started: number, sizeBytes: number): CacheMetadata => {
    const durationMs = performance.now() - started;
    if (context.verbose > 0) {
      const seconds = durationMs / 1000;
      const line = `${context.name} - ${seconds.toFixed(1)}s, ${(seconds / 60).toFixed(1)}min`;
      process.stderr.write(`${line.padStart(80, '_')}\n`);
    }
    return { functionName: context.name, module: context.module, key, args: description, durationMs,
      createdAt: new Date().toISOString(), sizeBytes };
  };

  /** Stores output then metadata; a value that cannot be stored is returned anyway, with a warning. */
  /** Metadata goes after the output, so an entry with metadata always has its whole output. */
  const writeMetadata = (entry: string[], size: number, metadata: (size: number) => CacheMetadata): CacheMetadata => {
    const meta = metadata(size);
    store!.writeText([...entry, 'metadata.json'], JSON.stringify(meta));
    return meta;
  };

  const storeSync = (entry: string[], output: unknown, metadata: (size: number) => CacheMetadata): CacheMetadata => {
    try {
      return writeMetadata(entry, store!.dumpItem([...entry, context.outputName], output, context.compress), metadata);
    } catch (error) {
      return storeFailed(error, metadata);
    }
  };

  const storeAsync = async (
    entry: string[], output: unknown, metadata: (size: number) => CacheMetadata,
  ): Promise<CacheMetadata> => {
    try {
      const size = await store!.dumpItemAsync([...entry, context.outputName], output, context.compress);
      return writeMetadata(entry, size, metadata);
    } catch (error) {
      return storeFailed(error, metadata);
    }
  };

  const storeFailed = (error: unknown, metadata: (size: number) => CacheMetadata): CacheMetadata => {
    const why = error instanceof SerializationError ? 'its output cannot be serialized' : 'writing it failed';
    context.warn(`The result of ${context.name} was returned but not cached: ${why} ` +
      `(${error instanceof Error ? error.message : String(error)}).`, 'JOBLIB_CACHE_NOT_STORED');
    return metadata(0);
  };

  /** Computes and stores; for a sync function that returns a promise, stores once it settles. */
  const compute = (args: readonly unknown[]): { output: unknown; metadata: CacheMetadata | Promise<CacheMetadata> } => {
    const { key, entry, keyed } = keyOf(args);
    const description = describeCall(context.name, keyed); // only on a miss: hits skip building it
    const started = announce(description);
    const output = call(args);
    const metadata = (size: number): CacheMetadata => metadataFor(key, description, started, size);
    if (!store) return { output, metadata: metadata(0) };
    if (isThenable(output)) {
      if (!returnsPromise) {
        returnsPromise = true;
        store.writeText([...dir, PROMISE_MARKER], '');
      }
      const stored = Promise.resolve(output)
        .then(async (value) => ({ value, meta: await storeAsync(entry, value, metadata) }));
      return { output: stored.then((s) => s.value), metadata: stored.then((s) => s.meta) };
    }
    return { output, metadata: storeSync(entry, output, metadata) };
  };

  const invokeSync = (args: readonly unknown[]): unknown => {
    context.ensureCurrent();
    if (store) {
      const found = loadSync(keyOf(args).entry);
      if (found !== MISS) return hitValue(found);
    }
    return compute(args).output;
  };

  const invokeAsync = (args: readonly unknown[]): Promise<unknown> => {
    context.ensureCurrent();
    if (!store) return Promise.resolve(compute(args).output);
    const { key, entry } = keyOf(args);
    // Identical concurrent calls in this process share one computation (single flight).
    const pending = inFlight.get(key);
    if (pending) return pending;
    const run = (async () => {
      const found = await loadAsync(entry);
      if (found !== MISS) return found;
      const { output, metadata } = compute(args);
      const value = await output;
      await metadata;
      return value;
    })();
    inFlight.set(key, run);
    void run.then(() => inFlight.delete(key), () => inFlight.delete(key));
    return run;
  };

  const shelve = (args: readonly unknown[], value: unknown): ShelvedResult<unknown> => {
    if (!store) return new NotMemorizedResult(value);
    return new MemorizedResult(store.location, context.storeName, keyOf(args).entry, context.outputName);
  };

  const wrapper = (isAsync
    ? (...args: unknown[]) => invokeAsync(args)
    : (...args: unknown[]) => invokeSync(args)) as unknown as MemorizedFunc<F>;

  Object.defineProperty(wrapper, 'name', { value: context.name });
  Object.assign(wrapper, {
    func: fn,
    call: (...args: unknown[]) => {
      context.ensureCurrent();
      const { output, metadata } = compute(args);
      if (isAsync || isThenable(metadata)) {
        return Promise.all([output, metadata]).then(([value, meta]) => ({ output: value, metadata: meta }));
      }
      return { output, metadata };
    },
    callAndShelve: (...args: unknown[]) => {
      if (isAsync) return invokeAsync(args).then((value) => shelve(args, value));
      const value = invokeSync(args);
      return isThenable(value) ? Promise.resolve(value).then((v) => shelve(args, v)) : shelve(args, value);
    },
    checkCallInCache: (...args: unknown[]): boolean => {
      if (!store) return false;
      context.ensureCurrent();
      const { entry } = keyOf(args);
      return store.itemExists([...entry, context.outputName]) && store.itemExists([...entry, 'metadata.json']) && valid(entry);
    },
    clear: () => {
      store?.removeItem(dir);
    },
  });
  return wrapper;
}
