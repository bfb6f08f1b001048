// One process pool per process, shared by every Parallel call and by libraries
// (loky's get_reusable_executor): reused when its options match, resized when only the worker
// count differs, replaced when anything else changes.

import { InvalidOptionError, ShutdownExecutorError } from '../../../errors.js';
import type { AnyFunction } from '../../../serialization/function-ref.js';
import { cpuCount } from '../../cpu-count.js';
import type { TaskFunction } from '../../delayed.js';
import { registerFunction } from '../../function-table.js';
import { parseBytes } from '../../options.js';
import { rebuildTaskError } from '../../remote-error.js';
import { type JobOutcome, ProcessExecutor } from './executor.js';
import { workerExecArgv } from './worker-process.js';

/** Options of the process pool. */
export interface ExecutorOptions {
  /** Worker processes; default: `cpuCount()`. */
  readonly maxWorkers?: number;
  /** An idle worker exits after this many milliseconds (default 300 000, as joblib). */
  readonly idleTimeout?: number;
  /** Replace a worker after it ran this many tasks (default: never). */
  readonly maxTasksPerWorker?: number;
  /**
   * loky's leak guard: a worker whose RSS grew by more than this since its first task (after a
   * garbage collection) is replaced between tasks. Bytes or '300M'; default '300M'; 0 disables.
   */
  readonly workerMemoryLimit?: number | string;
  /** Extra environment variables for the workers. */
  readonly env?: Readonly<Record<string, string>>;
}

let current: { key: string; executor: Executor } | undefined;

/**
 * The process pool of this process, created on first use and shared: workers started for one
 * call serve the next. Libraries should use this rather than start their own pools.
 *
 * @example
 * const ex = getReusableExecutor({ maxWorkers: 2 });
 * const r = await ex.submit(Math.sqrt, 16); // 4
 */
export function getReusableExecutor(options: ExecutorOptions = {}): Executor {
  const maxWorkers = options.maxWorkers ?? cpuCount();
  if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
    throw new InvalidOptionError(`maxWorkers must be a positive integer, got ${String(maxWorkers)}.`);
  }
  const idleTimeoutMs = options.idleTimeout ?? 300_000;
  if (!(idleTimeoutMs > 0)) throw new InvalidOptionError(`idleTimeout must be a positive number of milliseconds, got ${idleTimeoutMs}.`);
  const maxTasksPerWorker = options.maxTasksPerWorker ?? 0;
  if (!Number.isInteger(maxTasksPerWorker) || maxTasksPerWorker < 0) {
    throw new InvalidOptionError(`maxTasksPerWorker must be a positive integer, got ${maxTasksPerWorker}.`);
  }
  const memoryLimit = parseBytes(options.workerMemoryLimit ?? '300M', 'workerMemoryLimit');
  const nesting = Number(process.env.JOBLIB_TS_NESTING_LEVEL ?? 0);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    JOBLIB_TS_NESTING_LEVEL: String(nesting + 1),
    JOBLIB_TS_WORKER_MEMORY_LIMIT: String(memoryLimit),
  };
  const execArgv = workerExecArgv();
  const key = JSON.stringify([idleTimeoutMs, maxTasksPerWorker, memoryLimit, options.env ?? {}, execArgv]);
  if (current && current.key === key && !current.executor.pool.isShut) {
    current.executor.pool.resize(maxWorkers);
    return current.executor;
  }
  if (current && !current.executor.pool.isShut) void current.executor.shutdown();
  const pool = new ProcessExecutor({ maxWorkers, idleTimeoutMs, maxTasksPerWorker, spawn: { execArgv, env } });
  current = { key, executor: new Executor(pool) };
  return current.executor;
}

/** A pool of worker processes: submit single calls or map a function over inputs. */
export class Executor {
  /** @internal */
  constructor(readonly pool: ProcessExecutor) {}

  /** Number of workers the pool may run at once. */
  get maxWorkers(): number {
    return this.pool.maxWorkers;
  }

  /** Process ids of the workers alive now. */
  get pids(): number[] {
    return this.pool.pids;
  }

  /** Runs `fn(...args)` in a worker. */
  async submit<F extends TaskFunction>(fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    const [result] = await this.runBatch(fn, [args], 0);
    return result as Awaited<ReturnType<F>>;
  }

  /** `fn` over each input, in order; `chunkSize` inputs travel together. */
  async map<F extends (arg: never) => unknown>(
    fn: F, inputs: Iterable<Parameters<F>[0]>, { chunkSize = 1 }: { chunkSize?: number } = {},
  ): Promise<Awaited<ReturnType<F>>[]> {
    const all = [...inputs].map((input) => [input] as const);
    const chunks: Promise<unknown[]>[] = [];
    for (let start = 0; start < all.length; start += chunkSize) {
      chunks.push(this.runBatch(fn, all.slice(start, start + chunkSize), start));
    }
    return (await Promise.all(chunks)).flat() as Awaited<ReturnType<F>>[];
  }

  /** Stops the pool; with `kill`, running tasks are killed instead of awaited. */
  shutdown(options: { kill?: boolean } = {}): Promise<void> {
    if (current?.executor === this) current = undefined;
    return this.pool.shutdown(options);
  }

  private async runBatch(fn: AnyFunction, calls: (readonly unknown[])[], firstIndex: number): Promise<unknown[]> {
    if (this.pool.isShut) throw new ShutdownExecutorError();
    const registered = await registerFunction(fn);
    const outcome = await new Promise<JobOutcome>((settle) => {
      this.pool.submitJob({
        functions: [registered], fnIds: calls.map(() => registered.id), args: calls, firstIndex,
        timeoutMs: undefined, owner: this, settle,
      });
    });
    if (outcome.ok) return outcome.results;
    if (!outcome.remote) throw outcome.error;
    throw await rebuildTaskError(outcome.error, outcome.stack ?? '', firstIndex + outcome.index, registered.ref, outcome.pid);
  }
}
