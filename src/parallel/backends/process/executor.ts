// One process pool per process, shared by every Parallel call and by libraries
// (loky's get_reusable_executor): reused when its options match, resized when only the worker
// count differs, replaced when anything else changes. `new Executor()` makes a pool of one's own.

import { InvalidOptionError, ShutdownExecutorError } from '../../../errors.js';
import { refuseUnknownOptions } from '../../../unknown-options.js';
import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import type { TaskFunction } from '../../delayed.js';
import { type RegisteredFunction, registerFunction } from '../wire/function-table.js';
import { rebuildTaskError } from '../../remote-error.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { JobOutcome } from '../pool/jobs.js';
import { EXECUTOR_OPTION_NAMES, type ExecutorOptions, poolSettings } from '../pool/pool-settings.js';
import { workerEntry, workerExecArgv } from '../pool/worker-launch.js';
import { WorkerProcess } from './worker-process.js';

export type { ExecutorOptions };

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
  refuseUnknownOptions(options, EXECUTOR_OPTION_NAMES, 'getReusableExecutor');
  return processPool(options, undefined);
}

/** Where the shared pool's initializer rides in its options: no key a user can write, invisible to the public type. */
const INITIALIZER = Symbol('initializer');
type PoolOptions = ExecutorOptions & { readonly [INITIALIZER]?: RegisteredFunction | undefined };

/** The shared process pool, with workers that run `initializer` once before their first task. */
export function processPool(options: ExecutorOptions, initializer: RegisteredFunction | undefined): Executor {
  const settings = poolSettings(options, initializer);
  const key = JSON.stringify([settings.key, workerExecArgv()]);
  if (current && current.key === key && !current.executor.pool.isShut) {
    current.executor.pool.resize(settings.maxWorkers);
    return current.executor;
  }
  if (current && !current.executor.pool.isShut) void current.executor.shutdown();
  current = { key, executor: new Executor({ ...options, [INITIALIZER]: initializer } as PoolOptions) };
  return current.executor;
}

/**
 * A pool of worker processes (loky's `ProcessPoolExecutor`): submit single calls or map a
 * function over inputs. `new Executor(options)` makes one of its own, apart from the shared pool
 * `Parallel` and `getReusableExecutor()` use; its idle workers exit after `idleTimeout` and never
 * keep this process alive. `shutdown()` ends it.
 *
 * @example
 * const ex = new Executor({ maxWorkers: 4 });
 * const squares = await ex.map((x: number) => x * x, [1, 2, 3]); // [1, 4, 9]
 * await ex.shutdown();
 */
export class Executor {
  /** @internal The pool that runs its work. */
  readonly pool: WorkerPool;

  constructor(options: ExecutorOptions = {}) {
    refuseUnknownOptions(options, EXECUTOR_OPTION_NAMES, 'Executor');
    const initializer = (options as PoolOptions)[INITIALIZER];
    const settings = poolSettings(options, initializer);
    const execArgv = workerExecArgv();
    const entry = workerEntry('process');
    const pool: WorkerPool = new WorkerPool({
      ...settings, initializer,
      spawn: (events) => new WorkerProcess({ entry, execArgv, env: settings.env(pool.maxWorkers) }, events),
    });
    this.pool = pool;
  }

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
