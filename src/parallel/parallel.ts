// `Parallel(options)(tasks)`: joblib's Parallel for Node. Picks the backend (a process pool, or
// this process for nJobs: 1 and inside workers), runs one ParallelCall per invocation, and
// returns results in input order, or as an async generator in input or completion order.

import { InvalidOptionError, ParallelBusyError } from '../errors.js';
import { emitJoblibWarning } from '../warnings.js';
import { backendFactory, canonicalBackendName, defaultBackendName, type ParallelBackend } from './backends/backend.js';
import { registerBuiltinBackends } from './backends/builtins.js';
import { nestedBackendName, nestingLevel } from './backends/wire/worker-env.js';
import { AutoBatcher } from './batching.js';
import { activeParallelConfig } from './config.js';
import type { DelayedTask } from './delayed.js';
import {
  checkParallelOptions, PARALLEL_OPTION_NAMES, type ParallelOptions, resolveParallelOptions, type ResolvedOptions,
  type ReturnAs,
} from './options.js';
import { ParallelCall, workerCount } from './parallel-call.js';
import { ProgressReporter } from './progress.js';

/**
 * The result of calling a Parallel runner with tasks resolving to `R`: a promise of all results
 * in input order for `returnAs: 'array'`, else an async generator of them (in input order, or in
 * completion order for `'generatorUnordered'`).
 *
 * @category Parallel
 */
export type ParallelResult<R, M extends ReturnAs> = M extends 'array' ? Promise<R[]> : AsyncGenerator<R, void, undefined>;

/**
 * What `Parallel(options)` returns: call it with tasks; dispose it to reset its state.
 *
 * @category Parallel
 */
export interface ParallelRunner<M extends ReturnAs> {
  /**
   * Runs `tasks` (an iterable or async iterable of `delayed(fn)(...args)`, read lazily:
   * `preDispatch` tasks ahead of the workers). The first task that fails (or times out, unless
   * `onTimeout: 'continue'`) stops the call, which rejects (or its generator throws) with that
   * error, of its original class, its worker-side stack as a {@link RemoteTaskError} `cause`.
   * Leaving a generator early cancels the rest.
   *
   * @throws {@link ParallelBusyError} when this runner's previous call is still running.
   */
  <R>(tasks: Iterable<DelayedTask<R>> | AsyncIterable<DelayedTask<R>>): ParallelResult<R, M>;
  /** Ends the managed block: batch statistics are reset. Workers stay in the shared pool until idle. */
  close(): Promise<void>;
  /** `close()`, for `await using parallel = Parallel(...)` (joblib's `with Parallel() as p:`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs `delayed(fn)(...args)` tasks on a pool of worker processes and returns their results in
 * order (joblib's `Parallel`). `await using parallel = Parallel(...)` keeps batching statistics
 * across calls. Options not given come from {@link parallelConfig}, read here, then defaults.
 *
 * @param options - See {@link ParallelOptions}; joblib's names in camelCase.
 * @throws {@link InvalidOptionError} for an unknown option name (naming the nearest valid one),
 *   a value of the wrong type, an unknown backend, or `require: 'sharedmem'` with a backend
 *   given here whose tasks cannot share memory.
 * @category Parallel
 * @example
 * import { Parallel, delayed } from 'joblib-ts';
 * const roots = await Parallel({ nJobs: 2 })([1, 4, 9].map((x) => delayed(Math.sqrt)(x))); // [1, 2, 3]
 *
 * // Results as they finish; one runner for several calls keeps its batch statistics.
 * await using parallel = Parallel({ nJobs: -1, returnAs: 'generatorUnordered' });
 * for await (const root of parallel(inputs.map((x) => delayed(Math.sqrt)(x)))) console.log(root);
 */
export function Parallel<M extends ReturnAs = 'array'>(options: ParallelOptions<M> = {}): ParallelRunner<M> {
  registerBuiltinBackends();
  // Here, not when the call is made: a bad callback must not surface later inside the pool.
  // (parallelConfig checked its own options when it was entered.)
  checkParallelOptions(options, PARALLEL_OPTION_NAMES, 'Parallel');
  const resolved = resolveParallelOptions(options, activeParallelConfig());
  const backend = chooseBackend(resolved);
  // A backend that counts its workers only when a call begins (a cluster) is checked then.
  if (!backend.begin) workerCount(backend);
  const { returnAs, verbose, label, timeoutMs } = resolved;
  // The batcher outlives a call; its messages go through the running call's reporter (above its bar).
  let reporter: ProgressReporter | undefined;
  const batcher = new AutoBatcher(backend.capabilities.idealBatchDurationMs, (message) => {
    if (reporter?.printsBatching) reporter.print(message);
  });
  let running = false;
  if (timeoutMs !== undefined && !backend.capabilities.timeout) {
    emitJoblibWarning('JoblibWarning', 'JOBLIB_TIMEOUT_UNSUPPORTED', `The backend ${backend.name} does not support timeout: ` +
      `${backend.name === 'SequentialBackend' ? 'nJobs is 1, so tasks run in this process and' : 'its tasks'} ` +
      `cannot be stopped. The 'timeout' of ${timeoutMs} ms will not be used.`);
  }

  const runner = (<R>(tasks: Iterable<DelayedTask<R>> | AsyncIterable<DelayedTask<R>>): ParallelResult<R, M> => {
    if (running) throw new ParallelBusyError();
    running = true;
    let call: ParallelCall;
    try {
      const total = Array.isArray(tasks) ? tasks.length : undefined;
      const progress = new ProgressReporter(label, verbose, resolved.onProgress, total, resolved.progress);
      reporter = progress;
      call = new ParallelCall(backend, tasks, {
        batchSize: resolved.batchSize, preDispatch: resolved.preDispatch,
        timeoutMs: backend.capabilities.timeout ? timeoutMs : undefined, onTimeout: resolved.onTimeout,
        signal: resolved.signal, trackOrder: returnAs === 'generatorUnordered',
      }, batcher, progress);
    } catch (error) {
      running = false;
      throw error;
    }
    const release = (): void => {
      running = false;
    };
    void call.start();
    // Busy while the call runs, not while its results wait to be read: a generator that is never
    // iterated (or read later) does not block the runner.
    void call.settled().then(release);
    if (returnAs === 'array') return allResults<R>(call, release) as ParallelResult<R, M>;
    const generator = returnAs === 'generatorUnordered' ? unorderedResults<R>(call, release) : orderedResults<R>(call, release);
    return generator as ParallelResult<R, M>;
  }) as ParallelRunner<M>;

  // One runner keeps its batch statistics across calls (joblib's `with Parallel() as p`); close() resets them.
  runner.close = async () => {
    batcher.reset();
  };
  runner[Symbol.asyncDispose] = runner.close;
  return runner;
}

/**
 * joblib's choice: a backend given (here, else in `parallelConfig`), by name or as an object;
 * else inside a worker the nested backend (sequential); else `'threads'` when shared memory is
 * required or threads are preferred; else the default. `require: 'sharedmem'` moves a configured
 * or default backend without shared memory to threads, and refuses one given here.
 */
function chooseBackend(resolved: ResolvedOptions): ParallelBackend {
  const { prefer, require, settings } = resolved;
  let backend: ParallelBackend;
  if (typeof resolved.backend === 'object') {
    backend = resolved.backend;
  } else {
    let name = resolved.backend;
    if (name === undefined) {
      if (nestingLevel() > 0) name = nestedBackendName() ?? 'sequential';
      else if (require === 'sharedmem' || prefer === 'threads') name = 'threads';
      else name = defaultBackendName();
    }
    backend = backendFactory(name)(settings);
  }
  if (require !== 'sharedmem' || backend.capabilities.sharedMemory) return backend;
  if (resolved.backendGivenHere) {
    const which = typeof resolved.backend === 'string' ? `'${resolved.backend}'` : backend.name;
    throw new InvalidOptionError(`require: 'sharedmem' needs a backend whose tasks share this process's memory, ` +
      `and backend ${which} does not. Use backend: 'threads' (or drop the backend option).`);
  }
  return backendFactory(canonicalBackendName('threads'))({ ...settings, backendParams: {} });
}

async function allResults<R>(call: ParallelCall, release: () => void): Promise<R[]> {
  try {
    await call.settled();
    if (call.error !== undefined) throw call.error;
    return call.results as R[];
  } finally {
    await call.abortAndRelease();
    release();
  }
}

async function* orderedResults<R>(call: ParallelCall, release: () => void): AsyncGenerator<R, void, undefined> {
  try {
    for (let index = 0; ; index += 1) {
      while (!call.isDone(index)) {
        if (call.isFinished) {
          if (call.error !== undefined) throw call.error;
          if (call.total === undefined || index >= call.total) return;
        }
        await call.changed();
      }
      yield call.results[index] as R;
      call.results[index] = undefined; // the consumer holds it now
    }
  } finally {
    await call.abortAndRelease();
    release();
  }
}

async function* unorderedResults<R>(call: ParallelCall, release: () => void): AsyncGenerator<R, void, undefined> {
  let position = 0;
  try {
    for (;;) {
      while (position >= call.completionOrder.length) {
        if (call.isFinished) {
          if (call.error !== undefined) throw call.error;
          return;
        }
        await call.changed();
      }
      const index = call.completionOrder[position++]!;
      yield call.results[index] as R;
      call.results[index] = undefined;
    }
  } finally {
    await call.abortAndRelease();
    release();
  }
}
