// Parallel on the shared process pool: functions are resolved to references (refused before
// dispatch when they cannot cross), batches become pool jobs, worker errors are rebuilt.

import type { AnyFunction } from '../../../serialization/function-ref.js';
import type { TaskFunction } from '../../delayed.js';
import { registerFunction, type RegisteredFunction } from '../../function-table.js';
import { rebuildTaskError } from '../../remote-error.js';
import type { BatchOutcome, ParallelBackend, TaskBatch } from '../backend.js';
import { type Executor, type ExecutorOptions, getReusableExecutor } from './reusable-executor.js';

export class ProcessBackend implements ParallelBackend {
  readonly name = 'ProcessBackend';
  readonly autoBatching = true;
  readonly supportsTimeout = true;
  private executor: Executor;

  constructor(readonly nJobs: number, private readonly options: Omit<ExecutorOptions, 'maxWorkers'>) {
    this.executor = getReusableExecutor({ ...options, maxWorkers: nJobs });
  }

  async prepare(functions: ReadonlySet<TaskFunction>, taskCount: number): Promise<void> {
    // The pool is shared: another runner may have resized it, or someone shut it down.
    if (this.executor.pool.isShut) this.executor = getReusableExecutor({ ...this.options, maxWorkers: this.nJobs });
    else if (this.executor.pool.maxWorkers !== this.nJobs) this.executor.pool.resize(this.nJobs);
    // Workers take ~0.1 s to boot: start them before resolving functions (which may take as long).
    this.executor.pool.prestart(Math.min(this.nJobs, taskCount));
    await Promise.all([...functions].map((fn) => registerFunction(fn)));
  }

  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    void this.run(batch).then(done);
  }

  cancel(owner: object): void {
    this.executor.pool.cancel(owner);
  }

  private async run(batch: TaskBatch): Promise<BatchOutcome> {
    let functions: RegisteredFunction[];
    const byFn = new Map<AnyFunction, RegisteredFunction>();
    try {
      for (const { fn } of batch.tasks) if (!byFn.has(fn)) byFn.set(fn, await registerFunction(fn));
      functions = [...byFn.values()];
    } catch (error) {
      return { ok: false, error: error as Error, index: 0, partial: [] };
    }
    const fnIds = batch.tasks.map((task) => byFn.get(task.fn)!.id);
    const args = batch.tasks.map((task) => task.args);
    const outcome = await new Promise<Parameters<Parameters<Executor['pool']['submitJob']>[0]['settle']>[0]>((settle) => {
      this.executor.pool.submitJob({ functions, fnIds, args, firstIndex: batch.firstIndex, timeoutMs: batch.timeoutMs,
        owner: batch.owner, settle });
    });
    if (outcome.ok || !outcome.remote) return outcome;
    const ref = byFn.get(batch.tasks[outcome.index]!.fn)?.ref;
    const error = await rebuildTaskError(outcome.error, outcome.stack ?? '', batch.firstIndex + outcome.index, ref, outcome.pid);
    return { ok: false, error, index: outcome.index, partial: outcome.partial };
  }
}
