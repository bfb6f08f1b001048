// A function wrapped by `memory.cache` (joblib's three classes): MemorizedFunction keeps a sync
// function sync, AsyncMemorizedFunction overrides only how the call flow runs (awaited, with
// identical concurrent calls sharing one computation), and NotMemorizedFunction is what a
// Memory without a location gives. The flow is written once, as a program of store steps:
//
//   call(this, args) ─ key = hash(code id, this?, args by parameter name) ─┐
//      lookup: [validate metadata] → read output → check its tag = key ───┤ hit → value
//      miss: call fn (await if it returns a promise) → write output,       │
//            then metadata (a value that cannot be stored is returned,     │
//            with a CacheWarning) ─────────────────────────────────────────┘ → value

import { SerializationError } from '../errors.js';
import type { AnyFunction } from '../serialization/functions/any-function.js';
import { hash } from '../serialization/hash.js';
import { emitJoblibWarning } from '../warnings.js';
import { normalizeArguments, type Signature } from './arguments.js';
import { type CacheEntries, type CacheMetadata, METADATA, type OutputRead, PROMISE_MARKER } from './cache-entries.js';
import {
  call, exists, isThenable, type Program, remove, runAsync, runSync, settle, write,
} from './cache-program.js';
import { describeCall } from './call-description.js';
import type { FunctionIdentity } from './function-identity.js';
import { MemorizedResult, NotMemorizedResult, type ShelvedResult } from './memorized-result.js';

export type { CacheMetadata };

/**
 * `call()`'s result: the freshly computed output and the metadata stored with it.
 *
 * @category Memory
 */
export interface CallOutcome<R> {
  /** What the function returned (its promise settled). */
  readonly output: R;
  /** The entry's metadata, as stored beside it. */
  readonly metadata: CacheMetadata;
}

/** What the function's promise, if any, resolves to. */
type Settled<F extends AnyFunction> = Awaited<ReturnType<F>>;
/** `Promise<T>` for a function that returns a promise, else `T`: the cached function's calling convention. */
type Convention<F extends AnyFunction, T> = ReturnType<F> extends PromiseLike<unknown> ? Promise<T> : T;

/**
 * A cached function: call it like `F` (as a method too); plus joblib's MemorizedFunc methods.
 * Made by `memory.cache(fn)`.
 *
 * @typeParam F - The function cached: its parameters, result and calling convention.
 * @category Memory
 */
export type MemorizedFunc<F extends AnyFunction> = F & {
  /**
   * Computes and stores even if cached; returns the output and its metadata (a promise of them
   * when `F` returns a promise).
   */
  call(...args: Parameters<F>): Convention<F, CallOutcome<Settled<F>>>;
  /**
   * Makes sure the result is cached and returns a reference to it instead of the value (a
   * promise of it when `F` returns a promise); see {@link MemorizedResult}.
   */
  callAndShelve(...args: Parameters<F>): Convention<F, ShelvedResult<Settled<F>>>;
  /** Whether this call's result is cached (and valid under `cacheValidationCallback`). */
  checkCallInCache(...args: Parameters<F>): boolean;
  /** Removes every cached result of this function. */
  clear(): void;
  /** The original function. */
  readonly func: F;
};

/** How a cached function was set up by `memory.cache`. */
export interface MemorizeSettings {
  readonly identity: FunctionIdentity;
  readonly signature: Signature;
  readonly ignore: ReadonlySet<string>;
  readonly verbose: number;
  readonly validate: ((metadata: CacheMetadata) => boolean) | undefined;
}

/** One call, keyed. */
interface KeyedCall {
  readonly key: string;
  readonly entry: readonly string[];
  readonly keyed: Readonly<Record<string, unknown>>;
}

/** What the call flow gives back. */
interface Computed {
  readonly value: unknown;
  /** Undefined for a hit. */
  readonly metadata: CacheMetadata | undefined;
  /** Whether the entry is in the store now. */
  readonly stored: boolean;
}

/** The three behaviours a callable forwards to. */
interface CachedBehaviour {
  readonly fn: AnyFunction;
  invoke(receiver: unknown, args: readonly unknown[]): unknown;
  call(args: readonly unknown[]): unknown;
  callAndShelve(receiver: unknown, args: readonly unknown[]): unknown;
  checkCallInCache(args: readonly unknown[]): boolean;
  clear(): void;
}

/** A cached sync function (joblib's MemorizedFunc). */
export class MemorizedFunction implements CachedBehaviour {
  protected readonly folder: readonly string[];
  /** The entries' generation whose stored source this function checked (-1: not yet). */
  private codeChecked = -1;
  private returnsPromise: boolean | undefined;

  constructor(
    readonly fn: AnyFunction, protected readonly entries: CacheEntries, protected readonly settings: MemorizeSettings,
  ) {
    this.folder = [settings.identity.module, settings.identity.folder];
  }

  invoke(receiver: unknown, args: readonly unknown[]): unknown {
    return this.execute(() => this.flow(this.keyed(receiver, args), receiver, args, false),
      (done) => this.valueOf(done));
  }

  call(args: readonly unknown[]): unknown {
    return this.execute(() => this.flow(this.keyed(undefined, args), undefined, args, true),
      (done) => ({ output: done.value, metadata: done.metadata! }));
  }

  callAndShelve(receiver: unknown, args: readonly unknown[]): unknown {
    let entry: readonly string[] = [];
    return this.execute(() => {
      const call = this.keyed(receiver, args);
      entry = call.entry;
      return this.flow(call, receiver, args, false);
    }, (done): ShelvedResult<unknown> => {
      if (!done.stored) return new NotMemorizedResult(done.value);
      const { store, storeName, outputName } = this.entries;
      return new MemorizedResult(store.location, storeName, entry, outputName);
    });
  }

  /** Sync whatever the function's convention: it only looks. */
  checkCallInCache(args: readonly unknown[]): boolean {
    const { entry } = this.keyed(undefined, args);
    return runSync(this.inCache(entry), this.entries.syncIO(), () => this.entries.asyncIO()) as boolean;
  }

  clear(): void {
    runSync(this.entries.removeFolder(this.folder), this.entries.syncIO(), () => this.entries.asyncIO());
  }

  /**
   * Runs a program with this function's convention, then `finish`: synchronously, until a step
   * returns a promise (a sync function that returns one); errors throw.
   */
  protected execute<T, U>(program: () => Program<T>, finish: (result: T) => U): U | Promise<U> {
    const result = runSync(program(), this.entries.syncIO(), () => this.entries.asyncIO());
    return isThenable(result) ? (result as Promise<T>).then(finish) : finish(result as T);
  }

  /** A hit of a function that returns promises returns a promise too. */
  protected valueOf(done: Computed): unknown {
    return done.metadata === undefined && this.returnsPromise ? Promise.resolve(done.value) : done.value;
  }

  private* inCache(entry: readonly string[]): Program<boolean> {
    yield* this.checkCode();
    if (!(yield* this.entries.hasEntry(entry))) return false;
    if (!this.settings.validate) return true;
    const metadata = yield* this.entries.readMetadata(entry);
    return metadata !== undefined && this.settings.validate(metadata);
  }

  /** The key of a call: the code id, the receiver when the function reads `this`, the arguments by name. */
  protected keyed(receiver: unknown, args: readonly unknown[]): KeyedCall {
    const { identity, signature, ignore } = this.settings;
    const { bound } = identity;
    const thisArg = bound ? bound.thisArg : receiver;
    if (signature.usesThis && thisArg === undefined) {
      throw new TypeError(`The cached function ${identity.name} reads \`this\` but was called without a receiver. ` +
        `Call it as a method (obj.${identity.name}(...)), cache a bound function (memory.cache(fn.bind(obj))), or ` +
        'pass the value as an argument. (call() and callAndShelve() have no receiver: bind the function for them.)');
    }
    const keyed = normalizeArguments(signature.parameters, ignore, bound ? [...bound.args, ...args] : args);
    const withThis = signature.usesThis && !ignore.has('this') ? { this: thisArg, ...keyed } : keyed;
    const key = hash([identity.codeId, withThis]);
    return { key, entry: [...this.folder, key], keyed: withThis };
  }

  /** The call flow, once for both conventions: look up unless `force`, else compute and store. */
  protected* flow(call: KeyedCall, receiver: unknown, args: readonly unknown[], force: boolean): Program<Computed> {
    yield* this.checkCode();
    const { identity, verbose, validate } = this.settings;
    if (!force) {
      let found: OutputRead | undefined;
      if (validate) {
        const metadata = yield* this.entries.readMetadata(call.entry);
        if (metadata !== undefined && validate(metadata)) found = yield* this.entries.readOutput(call.entry, call.key);
      } else {
        found = yield* this.entries.readOutput(call.entry, call.key);
      }
      if (found?.kind === 'hit') {
        yield* this.entries.touch(call.entry, call.key);
        this.returnsPromise ??= yield* exists([...this.folder, PROMISE_MARKER]);
        if (verbose > 1) process.stderr.write(`[Memory] Loading ${identity.name} from ${call.entry.join('/')}\n`);
        return { value: found.value, metadata: undefined, stored: true };
      }
      if (found?.kind === 'unreadable') {
        warn('JOBLIB_CACHE_UNREADABLE', `The cached result of ${identity.name} in ${this.entries.store.location}/` +
          `${call.entry.join('/')} could not be loaded (${reason(found.error)}); recomputing it.`);
      }
    }
    const description = describeCall(identity.name, call.keyed); // only on a miss: hits skip building it
    if (verbose > 0) {
      process.stderr.write(`${'_'.repeat(80)}\n[Memory] Calling ${identity.module}.${identity.name}...\n${description}\n`);
    }
    const started = performance.now();
    let { result: value } = yield* this.callFunction(receiver, args);
    if (isThenable(value)) {
      if (!this.returnsPromise) yield* this.markReturnsPromise();
      value = yield* settle(value);
    }
    const durationMs = performance.now() - started;
    if (verbose > 0) {
      const seconds = durationMs / 1000;
      process.stderr.write(`${`${identity.name} - ${seconds.toFixed(1)}s, ${(seconds / 60).toFixed(1)}min`.padStart(80, '_')}\n`);
    }
    const metadata = (sizeBytes: number): CacheMetadata => ({
      functionName: identity.name, module: identity.module, key: call.key, args: description, durationMs,
      createdAt: new Date().toISOString(), sizeBytes,
    });
    return yield* this.persist(call, value, metadata);
  }

  private* callFunction(receiver: unknown, args: readonly unknown[]): Program<{ readonly result: unknown }> {
    return yield* call(() => Reflect.apply(this.fn, receiver, args));
  }

  /** Stores output then metadata; a value that cannot be stored is returned anyway, with a warning. */
  private* persist(call: KeyedCall, value: unknown, metadata: (size: number) => CacheMetadata): Program<Computed> {
    let size: number;
    try {
      size = yield* this.entries.writeOutput(call.entry, call.key, value);
    } catch (error) {
      const why = error instanceof SerializationError ? 'its output cannot be serialized' : 'writing it failed';
      warn('JOBLIB_CACHE_NOT_STORED', `The result of ${this.settings.identity.name} was returned but not cached: ${why} (${reason(error)}).`);
      return { value, metadata: metadata(0), stored: false };
    }
    const meta = metadata(size);
    try {
      yield* this.entries.writeMetadata(call.entry, meta);
    } catch (error) {
      // An output without metadata would never be evicted: take it back.
      try {
        yield* remove(call.entry);
      } catch {
        // the store is failing; the entry is incomplete and never listed
      }
      warn('JOBLIB_CACHE_NOT_STORED', `The result of ${this.settings.identity.name} was returned but not cached: ` +
        `writing its ${METADATA} failed (${reason(error)}).`);
      return { value, metadata: meta, stored: false };
    }
    return { value, metadata: meta, stored: true };
  }

  /**
   * Once per process: compare the stored source with this function's. A changed source clears
   * the old entries (joblib's behaviour; keys hash the code, so this is about disk, not about
   * correctness). A read-only or full store is no reason to fail a call.
   */
  private* checkCode(): Program<void> {
    if (this.codeChecked === this.entries.generation) return;
    this.codeChecked = this.entries.generation;
    const { identity } = this.settings;
    const stored = yield* this.entries.readFunctionCode(this.folder);
    if (stored === identity.source) return;
    try {
      if (stored !== undefined && !identity.shared()) {
        warn('JOBLIB_CACHE_SOURCE_CHANGED', `The source of ${identity.module}.${identity.name} changed since its results ` +
          `were cached in ${this.entries.store.location}: clearing them.`);
        yield* this.entries.removeFolder(this.folder);
      }
      yield* this.entries.writeFunctionCode(this.folder, identity.source);
    } catch {
      // read-only or full: outputs will fail to store too, and say so
    }
  }

  private* markReturnsPromise(): Program<void> {
    this.returnsPromise = true;
    try {
      yield* write([...this.folder, PROMISE_MARKER], []);
    } catch {
      // without the marker, hits in another process return values; this one still knows
    }
  }
}

/** A cached async function: the same flow, awaited; identical concurrent calls share one run. */
export class AsyncMemorizedFunction extends MemorizedFunction {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  override invoke(receiver: unknown, args: readonly unknown[]): Promise<unknown> {
    let call: KeyedCall;
    try {
      call = this.keyed(receiver, args);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = this.inFlight.get(call.key);
    if (pending) return pending;
    const run = this.execute(() => this.flow(call, receiver, args, false), (done) => done.value);
    this.inFlight.set(call.key, run);
    const forget = (): void => {
      this.inFlight.delete(call.key);
    };
    run.then(forget, forget);
    return run;
  }

  protected override execute<T, U>(program: () => Program<T>, finish: (result: T) => U): Promise<U> {
    try {
      return runAsync(program(), this.entries.asyncIO()).then(finish);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** What a Memory without a location caches with: nothing (joblib's NotMemorizedFunc). */
export class NotMemorizedFunction implements CachedBehaviour {
  constructor(readonly fn: AnyFunction, private readonly name: string) {}

  invoke(receiver: unknown, args: readonly unknown[]): unknown {
    return Reflect.apply(this.fn, receiver, args);
  }

  call(args: readonly unknown[]): unknown {
    const started = performance.now();
    const output = Reflect.apply(this.fn, undefined, args);
    const metadata = (): CacheMetadata => ({
      functionName: this.name, module: '', key: '', args: '', durationMs: performance.now() - started,
      createdAt: new Date().toISOString(), sizeBytes: 0,
    });
    return isThenable(output)
      ? Promise.resolve(output).then((value) => ({ output: value, metadata: metadata() }))
      : { output, metadata: metadata() };
  }

  callAndShelve(receiver: unknown, args: readonly unknown[]): unknown {
    const output = this.invoke(receiver, args);
    return isThenable(output)
      ? Promise.resolve(output).then((value) => new NotMemorizedResult(value))
      : new NotMemorizedResult(output);
  }

  checkCallInCache(): boolean {
    return false;
  }

  clear(): void {
    // nothing is stored
  }
}

/** The callable users hold: `fn`'s calling convention (as a method too), and joblib's methods. */
export function callableFor<F extends AnyFunction>(behaviour: CachedBehaviour, name: string): MemorizedFunc<F> {
  const callable = function memorized(this: unknown, ...args: unknown[]): unknown {
    return behaviour.invoke(this, args);
  };
  Object.defineProperty(callable, 'name', { value: name });
  Object.assign(callable, {
    func: behaviour.fn,
    call: (...args: unknown[]) => behaviour.call(args),
    callAndShelve: (...args: unknown[]) => behaviour.callAndShelve(undefined, args),
    checkCallInCache: (...args: unknown[]) => behaviour.checkCallInCache(args),
    clear: () => behaviour.clear(),
  });
  return callable as unknown as MemorizedFunc<F>;
}

function warn(code: 'JOBLIB_CACHE_UNREADABLE' | 'JOBLIB_CACHE_NOT_STORED' | 'JOBLIB_CACHE_SOURCE_CHANGED', message: string): void {
  emitJoblibWarning('CacheWarning', code, message);
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
