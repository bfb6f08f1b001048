// The interface every Parallel backend implements, and the registry of backends by name.
// Parallel itself owns batching, dispatch order, progress, errors and cancellation; a backend
// is only "where batches run". The built-in backends (sequential, process, threads) are
// registered through the same `registerParallelBackend` a user calls.

import { InvalidOptionError } from '../../errors.js';
import type { DelayedTask, TaskFunction } from '../delayed.js';

/**
 * Consecutive tasks of one Parallel call, sent together.
 *
 * @category Parallel backends
 */
export interface TaskBatch {
  /** The tasks, in input order: run them in this order. */
  readonly tasks: readonly DelayedTask[];
  /** Position of the first task in the call's input. */
  readonly firstIndex: number;
  /** The call the batch belongs to: `abort(owner)` ends all of its batches. */
  readonly owner: object;
  /** Per-task limit in milliseconds, when the call has one and the backend supports it. */
  readonly timeoutMs: number | undefined;
}

/**
 * All results of a batch, or its first failure (with the results of the tasks before it).
 *
 * @category Parallel backends
 */
export type BatchOutcome =
  | {
    /** Every task of the batch succeeded. */
    readonly ok: true;
    /** One result per task, in the batch's order. */
    readonly results: unknown[];
  }
  | {
    /** A task failed; the tasks after it were not run. */
    readonly ok: false;
    /** What the task threw. */
    readonly error: Error;
    /** Position of the failed task in the batch (0 for its first task). */
    readonly index: number;
    /** The results of the tasks before it, in order. */
    readonly partial: unknown[];
  };

/**
 * What a backend can do; Parallel adapts to it.
 *
 * @category Parallel backends
 */
export interface BackendCapabilities {
  /**
   * Whether `batchSize: 'auto'` should grow batches (joblib's rule, worth it when a batch crosses
   * to another process), or keep one task per batch.
   */
  readonly autoBatching: boolean;
  /** Whether a task running past `timeout` can be stopped; without it the option is ignored with a warning. */
  readonly timeout: boolean;
  /** Whether tasks see the caller's SharedArrayBuffers (`require: 'sharedmem'` needs it). */
  readonly sharedMemory: boolean;
  /**
   * What auto-batching aims a batch's duration at, in milliseconds: `[min, max]`, default
   * `[200, 2000]` (joblib's, for a local pool). A backend whose round trip costs more (a
   * network queue) or that balances load across machines sets its own (joblib's dask backend
   * aims at 0.2–1 s).
   */
  readonly idealBatchDurationMs?: readonly [min: number, max: number];
}

/**
 * What `Parallel` hands a backend factory (joblib's `configure`): the call's resolved settings.
 *
 * @category Parallel backends
 */
export interface BackendSettings {
  /** `nJobs` as the user gave it (`-1`, `-2`, `n`, or `null`): the backend resolves it. */
  readonly nJobs: number | null;
  /** Binary values longer than this cross once per call rather than once per task (bytes; Infinity: never). */
  readonly maxNbytes: number;
  /** Where a process backend writes large arguments; undefined: JOBLIB_TEMP_FOLDER, /dev/shm or the OS temp folder. */
  readonly tempFolder: string | undefined;
  /** Extra environment variables for workers. */
  readonly env: Readonly<Record<string, string>> | undefined;
  /** Runs once in each worker before its first task. */
  readonly initializer: TaskFunction | undefined;
  /** Idle workers exit after this many milliseconds. */
  readonly idleTimeout: number | undefined;
  /** Replace a worker after this many tasks. */
  readonly maxTasksPerWorker: number | undefined;
  /** Replace a worker whose memory grew by more than this. */
  readonly workerMemoryLimit: number | string | undefined;
  /** Threads for native libraries in each worker. */
  readonly innerMaxNumThreads: number | undefined;
  /**
   * The `backendParams` given beside this backend's name (in `Parallel` or `parallelConfig`),
   * `{}` when none: a factory checks them and refuses those it does not know.
   */
  readonly backendParams: Readonly<Record<string, unknown>>;
}

/**
 * A place Parallel can run batches of delayed calls: implement it and register a factory with
 * `registerParallelBackend` to run `Parallel` on anything (a job queue, a cluster, a GPU).
 *
 * The lifecycle of one Parallel call: `begin` (optional) once, `prepare` with the functions known up front, then
 * `submit` batches (more while earlier ones run, up to `preDispatch` tasks ahead); every
 * submitted batch must call `done` exactly once, unless its call was aborted. `abort(owner)`
 * comes once per call, at its end: after success too, so a backend can release what the call used.
 *
 * @category Parallel backends
 */
export interface ParallelBackend {
  /** Shown in verbose output: `Using backend ProcessBackend with 2 concurrent workers.` */
  readonly name: string;
  /** What it can do: auto-batching, timeouts, shared memory. */
  readonly capabilities: BackendCapabilities;
  /**
   * Workers that run batches at once (joblib's `effective_n_jobs`); fewer than 1 is an error.
   * Read after `begin`, and again before each round of batches, so it may change during a call.
   */
  effectiveNJobs(): number;
  /**
   * Optional, once per call before anything else: a backend that learns its worker count
   * asynchronously (a cluster, a remote queue) connects and refreshes `effectiveNJobs()` here;
   * `preDispatch` is evaluated after it. A rejection fails the call (e.g. no worker alive).
   */
  begin?(owner: object): Promise<void>;
  /**
   * The backend `Parallel` calls inside this backend's tasks default to (joblib's
   * `get_nested_backend`). The built-in pools answer `'sequential'`: their workers are the parallelism.
   */
  nestedBackend(): string;
  /**
   * Checks that these functions can run on this backend, before `taskCount` tasks using them
   * are dispatched; throws (e.g. FunctionReferenceError) before anything is sent.
   */
  prepare(functions: ReadonlySet<TaskFunction>, taskCount: number): Promise<void>;
  /** Runs the batch's tasks in order and reports their results (or the first failure) through `done`. */
  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void;
  /**
   * Ends the owner's call: queued batches are dropped, running ones stopped where possible,
   * resources released. A release that takes time (removing a remote queue's jobs) returns a
   * promise: the call's result waits for it, at most 2 s, and a rejection becomes a warning.
   */
  abort(owner: object): void | Promise<void>;
}

/**
 * Makes a backend for one `Parallel(...)` runner.
 *
 * @category Parallel backends
 */
export type ParallelBackendFactory = (settings: BackendSettings) => ParallelBackend;

const factories = new Map<string, ParallelBackendFactory>();
/** joblib's names for the built-ins. */
const ALIASES: Readonly<Record<string, string>> = { loky: 'process', processes: 'process', threading: 'threads' };
let defaultBackend = 'process';

/**
 * Registers a backend under `name`; `Parallel({ backend: name })` and `parallelConfig` then use
 * it (joblib's `register_parallel_backend`). With `makeDefault`, it also becomes the backend of
 * every Parallel that names none. A name already registered is replaced.
 *
 * @throws {@link InvalidOptionError} for an empty name or a factory that is not a function.
 * @category Parallel backends
 * @example
 * registerParallelBackend('inline', (settings) => new MyBackend(settings), { makeDefault: true });
 */
export function registerParallelBackend(
  name: string, factory: ParallelBackendFactory, { makeDefault = false }: { makeDefault?: boolean } = {},
): void {
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('A backend name must be a non-empty string.');
  if (typeof factory !== 'function') {
    throw new InvalidOptionError(`The factory of backend '${name}' must be a function returning a ParallelBackend.`);
  }
  factories.set(name, factory);
  if (makeDefault) defaultBackend = name;
}

/** Whether a backend (or alias) is registered under `name`. */
export function isBackendRegistered(name: string): boolean {
  return factories.has(canonicalBackendName(name));
}

/** The name `Parallel` uses when neither the call nor `parallelConfig` names a backend. */
export function defaultBackendName(): string {
  return defaultBackend;
}

/** `'loky'` → `'process'`, `'threading'` → `'threads'`; other names as they are. */
export function canonicalBackendName(name: string): string {
  return ALIASES[name] ?? name;
}

/** The factory registered under `name` (or an alias); an unknown name is an error listing the known ones. */
export function backendFactory(name: string): ParallelBackendFactory {
  const factory = factories.get(canonicalBackendName(name));
  if (!factory) {
    const known = [...factories.keys(), ...Object.keys(ALIASES)].sort().map((n) => `'${n}'`).join(', ');
    throw new InvalidOptionError(
      `Unknown backend '${name}'. Registered backends: ${known}. Register others with registerParallelBackend(name, factory).`);
  }
  return factory;
}
