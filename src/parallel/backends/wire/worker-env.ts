// The environment contract between a pool and its workers: the variables a pool sets for each
// worker, and what the worker (and a Parallel called inside one of its tasks) reads back. Written
// and read only here, so both sides always agree on the names.

import { hugePagesWanted } from '../../../huge-pages.js';

/** Variables native libraries read for their thread count (joblib sets the same). */
const THREAD_COUNT_VARIABLES = ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
  'BLIS_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS'] as const;
const NESTING_LEVEL = 'JOBLIB_TS_NESTING_LEVEL';
const NESTED_BACKEND = 'JOBLIB_TS_NESTED_BACKEND';
const MEMORY_LIMIT = 'JOBLIB_TS_WORKER_MEMORY_LIMIT';
/**
 * glibc (2.35+) then backs big allocations (a worker's copy of a large argument, a big result)
 * with transparent huge pages: one page fault per 2 MiB instead of per 4 KiB. Other C libraries
 * and older glibc ignore it.
 */
const GLIBC_HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** What a pool tells a worker it starts. */
export interface WorkerEnvironment {
  /** The user's variables (`env` option), over this process's. */
  readonly userEnv: Readonly<Record<string, string>>;
  /** Threads for native libraries: set unless the user set them. */
  readonly innerThreads: number;
  /** The backend a Parallel inside a task uses when none is named. */
  readonly nestedBackend: string;
  /** The leak guard's limit in bytes (0: off). */
  readonly memoryLimit: number;
}

/** The environment of a new worker: this process's, the user's, and the contract's variables. */
export function workerEnvironment(settings: WorkerEnvironment): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...settings.userEnv };
  for (const name of THREAD_COUNT_VARIABLES) env[name] ??= String(settings.innerThreads);
  env[NESTING_LEVEL] = String(nestingLevel() + 1);
  env[NESTED_BACKEND] = settings.nestedBackend;
  env[MEMORY_LIMIT] = String(settings.memoryLimit);
  return env;
}

/** How deep in workers this code runs: 0 in the user's process, 1 in its workers, … */
export function nestingLevel(): number {
  return Number(process.env[NESTING_LEVEL] ?? 0);
}

/** Inside a worker, the backend a Parallel uses when none is named (its pool's answer). */
export function nestedBackendName(): string | undefined {
  return process.env[NESTED_BACKEND];
}

/** Inside a worker, the leak guard's limit in bytes (0: off). */
export function workerMemoryLimit(): number {
  return Number(process.env[MEMORY_LIMIT] ?? 0);
}

/**
 * The environment of a worker *process* (a thread shares this process's malloc, set up when this
 * process started): `env` plus GLIBC_TUNABLES asking for huge pages on Linux, unless GLIBC_TUNABLES
 * is set already (the user's own tunables are passed as they are) or JOBLIB_TS_HUGE_PAGES is `0`.
 */
export function withHugePages(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (process.platform !== 'linux' || env.GLIBC_TUNABLES !== undefined || !hugePagesWanted(env)) return env;
  return { ...env, GLIBC_TUNABLES: GLIBC_HUGE_PAGES };
}
