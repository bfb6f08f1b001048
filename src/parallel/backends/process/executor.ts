// The public face of the process pool (loky's API): `getReusableExecutor()` for the pool every
// Parallel call shares (pool/shared-pool.ts), `new Executor()` for a pool of one's own; both
// submit single calls or map a function over inputs.

import { InvalidOptionError, ShutdownExecutorError } from '../../../errors.js';
import { refuseUnknownOptions } from '../../../unknown-options.js';
import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import type { TaskFunction } from '../../delayed.js';
import { registerFunction } from '../wire/function-table.js';
import { rebuildTaskError } from '../../remote-error.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { JobOutcome } from '../pool/jobs.js';
import { EXECUTOR_OPTION_NAMES, type ExecutorOptions, poolSettings } from '../pool/pool-settings.js';
import { sharedPool } from '../pool/shared-pool.js';
import { spawnProcesses } from './worker-process.js';

export type { ExecutorOptions };

/**
 * The process pool of this process, created on first use and shared: workers started for one
 * call serve the next. Libraries should use this rather than start their own pools (loky's
 * `get_reusable_executor`). The pool is reused when the options match the pool's, resized when
 * only `maxWorkers` differs, and replaced otherwise.
 *
 * @throws {@link InvalidOptionError} for an unknown option name or a value out of range.
 * @category Parallel
 * @example
 * const ex = getReusableExecutor({ maxWorkers: 2 });
 * const r = await ex.submit(Math.sqrt, 16); // 4
 */
export function getReusableExecutor(options: ExecutorOptions = {}): Executor {
  refuseUnknownOptions(options, EXECUTOR_OPTION_NAMES, 'getReusableExecutor');
  const pool = sharedPool(spawnProcesses, options);
  let executor = executors.get(pool);
  if (!executor) {
    // Around the shared pool, not a pool of its own: the constructor is not run.
    executor = Object.create(Executor.prototype) as Executor;
    Object.defineProperty(executor, 'pool', { value: pool });
    executors.set(pool, executor);
  }
  return executor;
}

/** The Executor of each shared pool, so that getReusableExecutor() returns the same object while the pool lives. */
const executors = new WeakMap<WorkerPool, Executor>();

/**
 * A pool of worker processes (loky's `ProcessPoolExecutor`): submit single calls or map a
 * function over inputs. `new Executor(options)` makes one of its own, apart from the shared pool
 * `Parallel` and `getReusableExecutor()` use; its idle workers exit after `idleTimeout` and never
 * keep this process alive. `shutdown()` ends it.
 *
 * A task that throws rejects with an error of its class, the worker-side stack as a
 * {@link RemoteTaskError} `cause`; a worker that dies fails its tasks with
 * {@link TerminatedWorkerError} and is replaced; work given after `shutdown()` rejects with
 * {@link ShutdownExecutorError}.
 *
 * @category Parallel
 * @example
 * const ex = new Executor({ maxWorkers: 4 });
 * const squares = await ex.map((x: number) => x * x, [1, 2, 3]); // [1, 4, 9]
 * await ex.shutdown();
 */
export class Executor {
  /** @internal The pool that runs its work. */
  readonly pool: WorkerPool;

  /**
   * Makes a pool of its own; workers start when work comes.
   *
   * @throws {@link InvalidOptionError} for an unknown option name or a value out of range.
   */
  constructor(options: ExecutorOptions = {}) {
    refuseUnknownOptions(options, EXECUTOR_OPTION_NAMES, 'Executor');
    this.pool = new WorkerPool(poolSettings(options), spawnProcesses);
  }

  /** Number of workers the pool may run at once. */
  get maxWorkers(): number {
    return this.pool.maxWorkers;
  }

  /** Process ids of the workers alive now. */
  get pids(): number[] {
    return this.pool.pids;
  }

  /**
   * Runs `fn(...args)` in a worker and resolves to its result (a promise it returns is awaited).
   * `fn` crosses as `delayed`'s functions do: by reference, or by source when self-contained.
   */
  async submit<F extends TaskFunction>(fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    const [result] = await this.runBatch(fn, [args], 0);
    return result as Awaited<ReturnType<F>>;
  }

  /**
   * `fn` over each input, results in input order; `chunkSize` (default 1) inputs travel
   * together, as one message to one worker. Rejects with the first error.
   *
   * @typeParam F - A function of one argument.
   */
  async map<F extends (arg: never) => unknown>(
    fn: F, inputs: Iterable<Parameters<F>[0]>, { chunkSize = 1 }: { chunkSize?: number } = {},
  ): Promise<Awaited<ReturnType<F>>[]> {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new InvalidOptionError(`chunkSize must be a positive integer, got ${String(chunkSize)}.`);
    }
    const all = [...inputs].map((input) => [input] as const);
    const chunks: Promise<unknown[]>[] = [];
    for (let start = 0; start < all.length; start += chunkSize) {
      chunks.push(this.runBatch(fn, all.slice(start, start + chunkSize), start));
    }
    return (await Promise.all(chunks)).flat() as Awaited<ReturnType<F>>[];
  }

  /**
   * Stops the pool; with `kill`, running tasks are killed instead of awaited. Resolves when the
   * workers are gone. On the shared pool, the next `getReusableExecutor()` makes a new one.
   */
  shutdown(options: { kill?: boolean } = {}): Promise<void> {
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
