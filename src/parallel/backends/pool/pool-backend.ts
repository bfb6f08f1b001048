// Parallel on a shared worker pool (processes or threads): functions are resolved to references
// (refused before dispatch when they cannot cross), batches become pool jobs, worker errors are
// rebuilt, and each call's large arguments are shared once and released when it ends.

import type { AnyFunction } from '../../../serialization/functions/any-function.js';
import type { TaskFunction } from '../../delayed.js';
import { registeredFunction, registerFunction, type RegisteredFunction } from '../wire/function-table.js';
import { rebuildTaskError } from '../../remote-error.js';
import type { BackendCapabilities, BackendSettings, BatchOutcome, ParallelBackend, TaskBatch } from '../backend.js';
import type { WorkerPool } from './worker-pool.js';
import type { JobOutcome } from './jobs.js';
import { LargeArguments } from './large-arguments.js';
import { NESTED_BACKEND } from './pool-settings.js';
import type { Spawner } from './pool-worker.js';
import { sharedPool } from './shared-pool.js';

export class PoolBackend implements ParallelBackend {
  private pool: WorkerPool | undefined;
  private readonly large = new Map<object, LargeArguments>();
  /** Calls that ended: a batch still resolving its functions must not reach the pool. */
  private readonly ended = new WeakSet<object>();

  constructor(
    readonly name: string,
    readonly capabilities: BackendCapabilities,
    private readonly nJobs: number,
    private readonly settings: BackendSettings,
    private readonly spawner: Spawner,
  ) {}

  effectiveNJobs(): number {
    return this.nJobs;
  }

  nestedBackend(): string {
    return NESTED_BACKEND;
  }

  async prepare(functions: ReadonlySet<TaskFunction>, taskCount: number): Promise<void> {
    // The pool is shared: another runner may have resized or replaced it, or someone shut it down.
    // (prepare runs for every chunk of an iterator input: only then is the pool looked up again.)
    if (!this.pool || this.pool.isShut || this.pool.maxWorkers !== this.nJobs) {
      const { initializer, idleTimeout, maxTasksPerWorker, workerMemoryLimit, env, innerMaxNumThreads } = this.settings;
      const registeredInit = initializer && await registerFunction(initializer);
      this.pool = sharedPool(this.spawner, {
        maxWorkers: this.nJobs, idleTimeout, maxTasksPerWorker, workerMemoryLimit, env, innerMaxNumThreads,
      }, registeredInit);
    }
    // Workers take a while to boot: start them before resolving functions (which may take as long).
    this.pool.prestart(Math.min(this.nJobs, taskCount));
    // A runner's later calls find every function resolved: no promise per function then.
    let unresolved: Promise<unknown>[] | undefined;
    for (const fn of functions) if (!registeredFunction(fn)) (unresolved ??= []).push(registerFunction(fn));
    if (unresolved) await Promise.all(unresolved);
  }

  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    // Functions resolve once; after that a batch goes to the pool without a promise in between.
    const known = new Map<AnyFunction, RegisteredFunction>();
    for (const { fn } of batch.tasks) {
      const registered = known.get(fn) ?? registeredFunction(fn);
      if (!registered) {
        void this.resolveThenDispatch(batch, done);
        return;
      }
      known.set(fn, registered);
    }
    this.dispatch(batch, known, done);
  }

  abort(owner: object): void {
    this.ended.add(owner);
    const large = this.large.get(owner);
    this.large.delete(owner);
    const files = large?.files;
    // First, so that workers are told to drop the copies of files removed past the cache's bound
    // rather than to check them.
    large?.dispose();
    this.pool?.cancel(owner, files);
  }

  private largeArguments(owner: object): LargeArguments | undefined {
    const { maxNbytes, tempFolder } = this.settings;
    if (maxNbytes === Infinity) return undefined; // SharedArrayBuffers still cross threads shared
    let large = this.large.get(owner);
    if (!large) {
      large = new LargeArguments(maxNbytes, tempFolder);
      this.large.set(owner, large);
    }
    return large;
  }

  private async resolveThenDispatch(batch: TaskBatch, done: (outcome: BatchOutcome) => void): Promise<void> {
    const byFn = new Map<AnyFunction, RegisteredFunction>();
    try {
      for (const { fn } of batch.tasks) if (!byFn.has(fn)) byFn.set(fn, await registerFunction(fn));
    } catch (error) {
      done({ ok: false, error: error as Error, index: 0, partial: [] });
      return;
    }
    this.dispatch(batch, byFn, done);
  }

  private dispatch(batch: TaskBatch, byFn: Map<AnyFunction, RegisteredFunction>,
    done: (outcome: BatchOutcome) => void): void {
    if (this.ended.has(batch.owner)) return; // the call ended while its functions resolved
    const { tasks, firstIndex, owner, timeoutMs } = batch;
    this.pool!.submitJob({
      functions: [...byFn.values()],
      fnIds: tasks.map((task) => byFn.get(task.fn)!.id),
      args: tasks.map((task) => task.args),
      firstIndex, timeoutMs, owner, large: this.largeArguments(owner),
      settle: (outcome: JobOutcome) => {
        if (outcome.ok || !outcome.remote) {
          done(outcome);
          return;
        }
        const ref = byFn.get(tasks[outcome.index]!.fn)?.ref;
        void rebuildTaskError(outcome.error, outcome.stack ?? '', firstIndex + outcome.index, ref, outcome.pid,
          outcome.threadId).then((error) => done({ ok: false, error, index: outcome.index, partial: outcome.partial }));
      },
    });
  }
}
