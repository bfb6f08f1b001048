// What a reusable pool is made of, checked once for processes and threads alike, and the
// environment its workers start with.

import { InvalidOptionError } from '../../../errors.js';
import { cpuCount } from '../../cpu-count.js';
import type { FunctionDef } from '../wire/function-table.js';
import { checkDuration, checkEnv, parseBytes } from '../../option-checks.js';
import { hugePagesWanted } from '../../../huge-pages.js';
import { workerEnvironment } from '../wire/worker-env.js';

/**
 * Options of a worker pool (processes or threads): of `getReusableExecutor` and `new Executor`
 * (loky's `get_reusable_executor` arguments; `idleTimeout` is its `timeout`). Unknown names are
 * an `InvalidOptionError`, and so are values out of range.
 *
 * @category Parallel
 */
export interface ExecutorOptions {
  /** Workers; default: `cpuCount()`. */
  readonly maxWorkers?: number | undefined;
  /** An idle worker exits after this many milliseconds (default 300 000, as joblib; Infinity: never). */
  readonly idleTimeout?: number | undefined;
  /** Replace a worker after it ran this many tasks (default: never). */
  readonly maxTasksPerWorker?: number | undefined;
  /**
   * loky's leak guard: a worker whose memory grew by more than this since its first task (after
   * a garbage collection) is replaced between tasks: a process's RSS, a thread's own heap.
   * Bytes or '300M'; default '300M'; 0 disables.
   */
  readonly workerMemoryLimit?: number | string | undefined;
  /** Extra environment variables for the workers. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /**
   * Threads each worker's native libraries (OpenMP, BLAS) may use; default
   * `max(floor(cpuCount() / workers), 1)`. Variables the user set are never overridden.
   */
  readonly innerMaxNumThreads?: number | undefined;
}

/** The names an ExecutorOptions bag may use (typed over its keys, so none is forgotten). */
const EXECUTOR_OPTIONS: { readonly [K in keyof ExecutorOptions]-?: true } = {
  maxWorkers: true, idleTimeout: true, maxTasksPerWorker: true, workerMemoryLimit: true, env: true,
  innerMaxNumThreads: true,
};
export const EXECUTOR_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(EXECUTOR_OPTIONS));

/** What a Parallel inside a pool worker defaults to: the workers are the parallelism. */
export const NESTED_BACKEND = 'sequential';

export interface PoolSettings {
  readonly maxWorkers: number;
  readonly idleTimeoutMs: number;
  readonly maxTasksPerWorker: number;
  readonly memoryLimit: number;
  /** Same key: the same pool serves (resized if only `maxWorkers` differs). */
  readonly key: string;
  /** The environment of a worker started while the pool has `workers` workers. */
  env(workers: number): Record<string, string | undefined>;
}

export function poolSettings(options: ExecutorOptions, initializer?: FunctionDef): PoolSettings {
  const maxWorkers = options.maxWorkers ?? cpuCount();
  if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
    throw new InvalidOptionError(`maxWorkers must be a positive integer, got ${String(maxWorkers)}.`);
  }
  const idleTimeoutMs = checkDuration(options.idleTimeout, 'idleTimeout') ?? 300_000;
  const maxTasksPerWorker = options.maxTasksPerWorker ?? 0;
  if (!Number.isInteger(maxTasksPerWorker) || maxTasksPerWorker < 0) {
    throw new InvalidOptionError(`maxTasksPerWorker must be an integer ≥ 0 (0: never), got ${String(maxTasksPerWorker)}.`);
  }
  const inner = options.innerMaxNumThreads;
  if (inner !== undefined && (!Number.isInteger(inner) || inner < 1)) {
    throw new InvalidOptionError(`innerMaxNumThreads must be a positive integer, got ${inner}.`);
  }
  const memoryLimit = parseBytes(options.workerMemoryLimit ?? '300M', 'workerMemoryLimit');
  if (options.env !== undefined) checkEnv(options.env, 'env');
  const userEnv = options.env ?? {};
  // Refuses a JOBLIB_TS_HUGE_PAGES other than 0 or 1: the workers' (env over this process's),
  // and this process's own, which its frame buffers read (a bad value must fail here, not there).
  hugePagesWanted({ ...process.env, ...userEnv });
  hugePagesWanted(process.env);
  const key = JSON.stringify([idleTimeoutMs, maxTasksPerWorker, memoryLimit, userEnv, inner ?? null,
    initializer?.id ?? null]);
  return {
    maxWorkers, idleTimeoutMs, maxTasksPerWorker, memoryLimit, key,
    env: (workers) => workerEnvironment({
      userEnv, memoryLimit, nestedBackend: NESTED_BACKEND,
      innerThreads: inner ?? Math.max(Math.floor(cpuCount() / workers), 1),
    }),
  };
}
