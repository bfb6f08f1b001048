// Every option of Parallel: its type, its check (unknown names refused, values of the wrong
// type too, before anything runs), and its resolution against parallelConfig and the defaults
// into one object the runner and the backend's factory use.

import { InvalidOptionError } from '../errors.js';
import { checkProgressOption } from '../progress-bar.js';
import { refuseUnknownOptions } from '../unknown-options.js';
import type { BackendSettings, ParallelBackend } from './backends/backend.js';
import { nestingLevel } from './backends/wire/worker-env.js';
import {
  checkBatchSize, checkDuration, checkEnv, checkPositiveInteger, describe, effectiveNJobs, parseBytes,
} from './option-checks.js';
import { checkPreDispatch } from './pre-dispatch.js';
import type { ProgressEvent } from './progress.js';
import type { TaskFunction } from './delayed.js';

/**
 * How a Parallel call hands back results: `'array'`, a promise of them all in input order;
 * `'generator'`, an async generator in input order; `'generatorUnordered'`, in completion order
 * (joblib's `return_as='list' | 'generator' | 'generator_unordered'`).
 *
 * @category Parallel
 */
export type ReturnAs = 'array' | 'generator' | 'generatorUnordered';

/**
 * Options of `Parallel`, joblib's in camelCase plus Node's own (`signal`, `onProgress`). Unknown
 * names and values of the wrong type are an `InvalidOptionError` when `Parallel` is called.
 *
 * @category Parallel
 */
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
  /**
   * Per-task limit in milliseconds, counted from the task's start; the worker is killed and replaced.
   * Default none (`Infinity`); at most 2^31 − 1. A backend that cannot stop tasks (this process:
   * nJobs 1, `'sequential'`) ignores it, with a warning.
   */
  readonly timeout?: number;
  /** On timeout: reject the call (`'abort'`, default), or make that task's result a TaskTimeoutError and go on. */
  readonly onTimeout?: 'abort' | 'continue';
  /** Cancels the call; it rejects with the signal's reason and running tasks are killed. */
  readonly signal?: AbortSignal;
  /** 0 silent; 1–10 progress lines on stderr, more often as it grows; above 10 every batch; 50+ on stdout. */
  readonly verbose?: number;
  /**
   * A live progress bar on stderr when it is a terminal: done/total (`37/?` while a lazy input is
   * still being read), a bar, tasks/s, elapsed, ETA, tasks failed so far, redrawn in place at most
   * 10 times a second and ended by a final line (with the error that ended the call, if one did).
   * It replaces verbose's `Done …` lines; verbose's other lines print above it. When stderr is not
   * a terminal (a pipe, a file, CI), the verbose lines of `verbose: 10` are printed instead (or
   * those of a higher `verbose`). Ignored inside a worker (a nested Parallel). Default false.
   */
  readonly progress?: boolean;
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

/** Every option but those of one call (`returnAs`, `onTimeout`, `signal`, `onProgress`). */
const CONFIGURABLE = ['backend', 'backendParams', 'nJobs', 'prefer', 'require', 'verbose', 'progress', 'maxNbytes', 'tempFolder', 'innerMaxNumThreads',
  'env', 'initializer', 'idleTimeout', 'maxTasksPerWorker', 'workerMemoryLimit', 'batchSize', 'preDispatch',
  'timeout'] as const;
export const CONFIG_OPTION_NAMES: ReadonlySet<string> = new Set(CONFIGURABLE);

/**
 * The options `parallelConfig` can set (every option of {@link ParallelOptions} but `returnAs`,
 * `onTimeout`, `signal` and `onProgress`): explicit options of a Parallel win over them.
 *
 * @category Parallel
 * @interface
 */
export type ParallelConfig = Pick<ParallelOptions, (typeof CONFIGURABLE)[number]>;

type OptionCheck = (value: unknown, name: string) => void;

const oneOf = (...allowed: readonly unknown[]): OptionCheck => (value, name) => {
  if (!allowed.includes(value)) {
    throw new InvalidOptionError(`${name} must be ${allowed.map((a) => (a === null ? 'null' : `'${String(a)}'`)).join(', ')
      .replace(/, ([^,]*)$/, ' or $1')}, got ${describe(value)}.`);
  }
};

const positiveInteger: OptionCheck = checkPositiveInteger;

/**
 * What each option of Parallel may be (`undefined` always may: it means "not given"). Typed over
 * every key of ParallelOptions, so a new option cannot be added without its check; the keys are
 * also the names an options bag may use.
 */
const OPTION_CHECKS: { readonly [K in keyof ParallelOptions]-?: OptionCheck } = {
  nJobs: (value) => void (value === null || effectiveNJobs(value as number)),
  backend: (value, name) => {
    if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      const missing = BACKEND_MEMBERS.filter(([member, kind]) => typeof object[member] !== kind);
      if (missing.length === 0) return;
      throw new InvalidOptionError(`${name} must be the name of a registered backend or an object implementing ` +
        `ParallelBackend; the object given has no ${missing.map(([member]) => member).join(', ')}.`);
    }
    if (typeof value !== 'string' || value === '') {
      throw new InvalidOptionError(`${name} must be the name of a registered backend ('process', 'threads', ` +
        `'sequential', ...) or a ParallelBackend object, got ${describe(value)}.`);
    }
  },
  backendParams: (value, name) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidOptionError(`${name} must be an object of parameters for the backend's factory, got ${describe(value)}.`);
    }
  },
  prefer: oneOf('processes', 'threads', null),
  require: oneOf('sharedmem', null),
  maxNbytes: (value, name) => void (value === null || parseBytes(value as number, name)),
  tempFolder: (value, name) => {
    if (typeof value !== 'string') throw new InvalidOptionError(`${name} must be a folder path (a string), got ${describe(value)}.`);
  },
  initializer: (value, name) => {
    if (typeof value !== 'function') {
      throw new InvalidOptionError(`${name} must be a function, got ${describe(value)}: a module export or a ` +
        'self-contained function, as tasks are.');
    }
  },
  innerMaxNumThreads: positiveInteger,
  returnAs: oneOf('array', 'generator', 'generatorUnordered'),
  batchSize: (value) => void checkBatchSize(value),
  // An expression is evaluated once nJobs is known; its syntax is checked now.
  preDispatch: (value) => checkPreDispatch(value),
  timeout: (value, name) => void checkDuration(value, name),
  onTimeout: oneOf('abort', 'continue'),
  signal: (value, name) => {
    if (value !== null && !isAbortSignal(value)) {
      throw new InvalidOptionError(`${name} must be an AbortSignal (from new AbortController().signal or ` +
        `AbortSignal.timeout(ms)), got ${describe(value)}.`);
    }
  },
  verbose: (value, name) => {
    if (typeof value !== 'number' || !(value >= 0)) throw new InvalidOptionError(`${name} must be a number ≥ 0, got ${describe(value)}.`);
  },
  progress: checkProgressOption,
  onProgress: (value, name) => {
    if (typeof value !== 'function') {
      throw new InvalidOptionError(`${name} must be a function ({ completed, total, elapsedMs }) => void, got ${describe(value)}.`);
    }
  },
  idleTimeout: (value, name) => void checkDuration(value, name),
  maxTasksPerWorker: (value, name) => {
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new InvalidOptionError(`${name} must be an integer ≥ 0 (0: never), got ${describe(value)}.`);
    }
  },
  workerMemoryLimit: (value, name) => void parseBytes(value as number, name),
  env: (value, name) => checkEnv(value, name),
};

/** What an object must have to serve as a backend: the members of ParallelBackend. */
const BACKEND_MEMBERS: readonly (readonly [keyof ParallelBackend, string])[] = [['name', 'string'],
  ['capabilities', 'object'], ['effectiveNJobs', 'function'], ['nestedBackend', 'function'], ['prepare', 'function'],
  ['submit', 'function'], ['abort', 'function']];

/** Every option name of Parallel. */
export const PARALLEL_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(OPTION_CHECKS));

/**
 * Refuses, before anything runs, an options bag of `owner` (Parallel, parallelConfig) with a name
 * outside `known` or a value of the wrong type: a callback that is not a function would otherwise
 * throw inside the pool, where nothing can catch it.
 */
export function checkParallelOptions(options: unknown, known: ReadonlySet<string>, owner: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`The options of ${owner} must be an object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key) && PARALLEL_OPTION_NAMES.has(key)) {
      throw new InvalidOptionError(`'${key}' is an option of Parallel itself, not of ${owner}: pass it to Parallel(...).`);
    }
  }
  refuseUnknownOptions(options, known, owner);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) OPTION_CHECKS[key as keyof ParallelOptions](value, key);
  }
  // joblib's rule: parameters for a backend's constructor come with its name, and only then.
  const { backend, backendParams } = options as ParallelOptions;
  if (backendParams !== undefined && typeof backend === 'object') {
    throw new InvalidOptionError('backendParams cannot reach a backend given as an object (it was made already): pass ' +
      'them to its constructor, or register a factory with registerParallelBackend and name it.');
  }
  if (backendParams !== undefined && backend === undefined) {
    throw new InvalidOptionError('backendParams go to the factory of the backend named beside them: give backend: ' +
      '\'<name>\' in the same options.');
  }
}

/** An AbortSignal, or one from another realm or polyfill: what a call needs of it. */
function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null;
  return typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/** Parallel's options resolved against `parallelConfig` and the defaults: what a runner and its backend use. */
export interface ResolvedOptions {
  readonly returnAs: ReturnAs;
  /** The backend given here or in parallelConfig (a name or an object), if any. */
  readonly backend: string | ParallelBackend | undefined;
  /** Whether `backend` was given to Parallel itself (then `require` refuses it rather than replacing it). */
  readonly backendGivenHere: boolean;
  readonly prefer: 'processes' | 'threads' | null | undefined;
  readonly require: 'sharedmem' | null | undefined;
  /** What the backend's factory receives. */
  readonly settings: BackendSettings;
  readonly batchSize: 'auto' | number;
  /** As given: an expression is evaluated once the backend knows its worker count. */
  readonly preDispatch: 'all' | number | string | undefined;
  /** Per-task limit; undefined for none (Infinity included: no timer at all). */
  readonly timeoutMs: number | undefined;
  readonly onTimeout: 'abort' | 'continue';
  readonly signal: AbortSignal | undefined;
  readonly verbose: number;
  /** Draw a live bar (a terminal) or print verbose 10's lines (anything else). */
  readonly progress: boolean;
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  /** `Parallel(nJobs=2)`: how verbose lines name the runner. */
  readonly label: string;
}

/** As in joblib, these given as null defer to the configuration; `maxNbytes: null` means "never share". */
const DEFERRING_NULL = new Set<keyof ParallelConfig>(['nJobs', 'prefer', 'require']);

/** Explicit option > parallelConfig > default, option by option (both already checked). */
export function resolveParallelOptions(options: ParallelOptions, config: ParallelConfig): ResolvedOptions {
  const pick = <K extends keyof ParallelConfig>(key: K): ParallelConfig[K] => {
    const value = options[key];
    return value === undefined || (value === null && DEFERRING_NULL.has(key)) ? config[key] : value;
  };
  const backend = options.backend ?? config.backend;
  const maxNbytes = pick('maxNbytes');
  const timeout = checkDuration(pick('timeout'), 'timeout');
  return {
    returnAs: options.returnAs ?? 'array',
    backend,
    backendGivenHere: options.backend !== undefined,
    prefer: pick('prefer'),
    require: pick('require'),
    settings: {
      // Inside a worker, a Parallel runs in that worker unless a backend was named for it.
      nJobs: nestingLevel() > 0 && backend === undefined ? 1 : pick('nJobs') ?? null,
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
    },
    batchSize: checkBatchSize(pick('batchSize')),
    preDispatch: pick('preDispatch'),
    timeoutMs: timeout === Infinity ? undefined : timeout,
    onTimeout: options.onTimeout ?? 'abort',
    signal: options.signal,
    verbose: pick('verbose') ?? 0,
    // Inside a worker the terminal is the caller's bar's (the environment is read only when asked).
    progress: (pick('progress') ?? false) && nestingLevel() === 0,
    onProgress: options.onProgress,
    label: `Parallel(nJobs=${pick('nJobs') ?? 'null'})`,
  };
}
