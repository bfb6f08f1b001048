// `Parallel(options)(tasks)`: joblib's Parallel for Node. Picks the backend (a process pool, or
// this process for nJobs: 1 and inside workers), runs one ParallelCall per invocation, and
// returns results in input order, or as an async generator in input or completion order.

import { InvalidOptionError, ParallelBusyError } from '../errors.js';
import { emitJoblibWarning } from '../warnings.js';
import {
  backendFactory, type BackendSettings, canonicalBackendName, defaultBackendName, type ParallelBackend,
} from './backends/backend.js';
import { registerBuiltinBackends } from './backends/builtins.js';
import { nestedBackendName, nestingLevel } from './backends/wire/worker-env.js';
import { AutoBatcher } from './batching.js';
import { activeParallelConfig, type ParallelConfig } from './config.js';
import type { DelayedTask, TaskFunction } from './delayed.js';
import {
  checkBatchSize, checkDuration, checkParallelOptions, PARALLEL_OPTION_NAMES, parseBytes, preDispatchCount,
} from './options.js';
import { ParallelCall } from './parallel-call.js';
import { type ProgressEvent, ProgressReporter } from './progress.js';

/** How a Parallel call hands back results. */
export type ReturnAs = 'array' | 'generator' | 'generatorUnordered';

/** Options of `Parallel`, joblib's in camelCase plus Node's own (`signal`, `onProgress`). */
export interface ParallelOptions<M extends ReturnAs = ReturnAs> {
  /** Workers: -1 all CPUs, -2 all but one, 1 runs in this process; default (null): `parallelConfig`'s, else 1. */
  readonly nJobs?: number | null;
  /**
   * Where tasks run: `'process'` (default; alias `'loky'`), `'threads'` (alias `'threading'`),
   * `'sequential'`, a name given to `registerParallelBackend`, or a `ParallelBackend` object
   * (joblib's `backend=MyBackend()`), used as it is: it was configured when it was made, so nJobs
   * and the worker options do not reach it, and its `effectiveNJobs()` says how many workers run.
   */
  readonly backend?: string | ParallelBackend;
  /**
   * Parameters for the factory of the backend named beside them in the same options (joblib's
   * `parallel_config(backend='custom', endpoint=...)`), received as `settings.backendParams`. A
   * backend validates its own; the built-in backends take none and refuse any.
   */
  readonly backendParams?: Readonly<Record<string, unknown>>;
  /** Soft hint when no backend is named (here or in `parallelConfig`): `'threads'` picks the threads backend. */
  readonly prefer?: 'processes' | 'threads' | null;
  /**
   * `'sharedmem'`: tasks must see the caller's SharedArrayBuffers (writes included), so the
   * threads backend is used; a named backend without shared memory is an error.
   */
  readonly require?: 'sharedmem' | null;
  /**
   * Binary values (typed arrays, Buffers) longer than this cross to workers once per call, not
   * once per task: threads view one SharedArrayBuffer copy; processes read one file from
   * `tempFolder`. Bytes or `'1M'` (default); `null` disables.
   */
  readonly maxNbytes?: number | string | null;
  /**
   * Folder for process workers' large-argument files; default `JOBLIB_TEMP_FOLDER`, else
   * /dev/shm if it has room, else the OS temp folder.
   */
  readonly tempFolder?: string;
  /**
   * Runs once in every new worker before its first task (a module-level function, as tasks
   * are); in this process (nJobs 1, `'sequential'`), once per runner before its first task.
   */
  readonly initializer?: TaskFunction;
  /**
   * Threads each worker's native libraries may use (OMP_NUM_THREADS and the like, unless set);
   * default max(cpus / nJobs, 1).
   */
  readonly innerMaxNumThreads?: number;
  /** `'array'` (default): a promise of all results in input order; the generators yield as results arrive. */
  readonly returnAs?: M;
  /** `'auto'` (default: joblib's 0.2–2 s batches on process pools) or a fixed number of tasks per batch. */
  readonly batchSize?: 'auto' | number;
  /** Tasks read ahead of the workers: `'2*nJobs'` (default), a number, or `'all'`. */
  readonly preDispatch?: 'all' | number | string;
  /** Per-task limit in milliseconds, counted from the task's start; the worker is killed and replaced. */
  readonly timeout?: number;
  /** On timeout: reject the call (`'abort'`, default), or make that task's result a TaskTimeoutError and go on. */
  readonly onTimeout?: 'abort' | 'continue';
  /** Cancels the call; it rejects with the signal's reason and running tasks are killed. */
  readonly signal?: AbortSignal;
  /** 0 silent; 1–10 progress lines on stderr, more often as it grows; above 10 every batch; 50+ on stdout. */
  readonly verbose?: number;
  /**
   * Called after every finished batch, in every mode. If it throws, the call stops as on a task
   * error and rejects with the thrown error itself.
   */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Idle workers exit after this many milliseconds (default 300 000). */
  readonly idleTimeout?: number;
  /** Replace a worker after this many tasks (default: never). */
  readonly maxTasksPerWorker?: number;
  /** Replace a worker whose memory grew by more than this after a task (default '300M'; 0 disables). */
  readonly workerMemoryLimit?: number | string;
  /** Extra environment variables for the workers. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The result of calling a Parallel runner with tasks resolving to `R`. */
export type ParallelResult<R, M extends ReturnAs> = M extends 'array' ? Promise<R[]> : AsyncGenerator<R, void, undefined>;

/** What `Parallel(options)` returns: call it with tasks; dispose it to reset its state. */
export interface ParallelRunner<M extends ReturnAs> {
  <R>(tasks: Iterable<DelayedTask<R>> | AsyncIterable<DelayedTask<R>>): ParallelResult<R, M>;
  /** Ends the managed block: batch statistics are reset. Workers stay in the shared pool until idle. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs `delayed(fn)(...args)` tasks on a pool of worker processes and returns their results in
 * order. `await using parallel = Parallel(...)` keeps batching statistics across calls.
 *
 * @example
 * import { Parallel, delayed } from 'joblib-ts';
 * const roots = await Parallel({ nJobs: 2 })([1, 4, 9].map((x) => delayed(Math.sqrt)(x))); // [1, 2, 3]
 */
export function Parallel<M extends ReturnAs = 'array'>(options: ParallelOptions<M> = {}): ParallelRunner<M> {
  registerBuiltinBackends();
  // Here, not when the call is made: a bad callback must not surface later inside the pool.
  // (parallelConfig checked its own options when it was entered.)
  checkParallelOptions(options, PARALLEL_OPTION_NAMES, 'Parallel');
  const returnAs: ReturnAs = options.returnAs ?? 'array';
  const config = activeParallelConfig();
  // Explicit option > parallelConfig > default, option by option. As in joblib, nJobs, prefer and
  // require given as null defer to the configuration; maxNbytes: null means "never share".
  const pick = <K extends keyof ParallelConfig>(key: K): ParallelConfig[K] => {
    const value = options[key];
    return value === undefined || (value === null && DEFERRING_NULL.has(key)) ? config[key] : value;
  };
  const backend = makeBackend(options, config, pick);
  const nJobs = backend.effectiveNJobs();
  if (!Number.isInteger(nJobs) || nJobs < 1) {
    throw new InvalidOptionError(`The backend ${backend.name} reported ${String(nJobs)} workers; a backend must ` +
      'run at least one. Check nJobs and the backend\'s configuration.');
  }
  const batchSize = checkBatchSize(pick('batchSize'));
  const preDispatch = preDispatchCount(pick('preDispatch'), nJobs);
  // Infinity is no limit: no timer, and no per-task start messages from the workers.
  const timeout = checkDuration(pick('timeout'), 'timeout');
  const timeoutMs = timeout === Infinity ? undefined : timeout;
  const onTimeout = options.onTimeout ?? 'abort';
  const verbose = pick('verbose') ?? 0;
  const label = `Parallel(nJobs=${pick('nJobs') ?? 'null'})`;
  const batcher = new AutoBatcher((message) => {
    if (verbose >= 10) process.stderr.write(`[${label}]: ${message}\n`);
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
    let progress: ProgressReporter;
    try {
      const knownTotal = Array.isArray(tasks) ? tasks.length : undefined;
      progress = new ProgressReporter(label, verbose, options.onProgress, knownTotal, preDispatch);
      call = new ParallelCall(backend, tasks, {
        batchSize, preDispatch, timeoutMs: backend.capabilities.timeout ? timeoutMs : undefined, onTimeout,
        signal: options.signal, trackOrder: returnAs === 'generatorUnordered',
      }, batcher, progress);
    } catch (error) {
      running = false;
      throw error;
    }
    progress.print(`Using backend ${backend.name} with ${nJobs} concurrent worker${nJobs > 1 ? 's' : ''}.`);
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

const DEFERRING_NULL = new Set<keyof ParallelConfig>(['nJobs', 'prefer', 'require']);

/**
 * joblib's choice: a backend given (here, else in `parallelConfig`), by name or as an object;
 * else inside a worker the nested backend (sequential); else `'threads'` when shared memory is
 * required or threads are preferred; else the default. `require: 'sharedmem'` moves a configured
 * or default backend without shared memory to threads, and refuses one given here.
 */
function makeBackend(
  options: ParallelOptions, config: ParallelConfig, pick: <K extends keyof ParallelConfig>(key: K) => ParallelConfig[K],
): ParallelBackend {
  const prefer = pick('prefer');
  const require = pick('require');
  const nested = nestingLevel() > 0;
  const given = options.backend ?? config.backend;
  const maxNbytes = pick('maxNbytes');
  const settings: BackendSettings = {
    // A nested Parallel runs in its worker unless a backend was named for it.
    nJobs: nested && given === undefined ? 1 : pick('nJobs') ?? null,
    maxNbytes: maxNbytes === null ? Infinity : parseBytes(maxNbytes ?? '1M', 'maxNbytes'),
    tempFolder: pick('tempFolder'),
    env: pick('env'),
    initializer: pick('initializer'),
    idleTimeout: pick('idleTimeout'),
    maxTasksPerWorker: pick('maxTasksPerWorker'),
    workerMemoryLimit: pick('workerMemoryLimit'),
    innerMaxNumThreads: pick('innerMaxNumThreads'),
    // They travel with the backend named beside them (checked: never without one).
    backendParams: (options.backend !== undefined ? options.backendParams : config.backendParams) ?? {},
  };
  let backend: ParallelBackend;
  if (typeof given === 'object') {
    backend = given;
  } else {
    let name = given;
    if (name === undefined) {
      if (nested) name = nestedBackendName() ?? 'sequential';
      else if (require === 'sharedmem' || prefer === 'threads') name = 'threads';
      else name = defaultBackendName();
    }
    backend = backendFactory(name)(settings);
  }
  if (require !== 'sharedmem' || backend.capabilities.sharedMemory) return backend;
  if (options.backend !== undefined) {
    const which = typeof options.backend === 'string' ? `'${options.backend}'` : backend.name;
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
    call.abort();
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
    call.abort();
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
    call.abort();
    release();
  }
}
