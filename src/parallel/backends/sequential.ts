// nJobs: 1, and every Parallel inside a worker: the calls run here, one after another, with
// the same ordering, errors, progress and cancellation as a pool. Errors are the originals.

import { isThenable, type TaskFunction } from '../delayed.js';
import { type BackendCapabilities, type BatchOutcome, defaultBackendName, type ParallelBackend, type TaskBatch } from './backend.js';

export class SequentialBackend implements ParallelBackend {
  readonly name = 'SequentialBackend';
  /** Tasks see the caller's memory itself: every object, not only SharedArrayBuffers. */
  readonly capabilities: BackendCapabilities = { autoBatching: false, timeout: false, sharedMemory: true };
  private readonly cancelled = new WeakSet<object>();
  private initialized: Promise<void> | undefined;

  /** `initializer`: run once, before this runner's first task (this process is its worker). */
  constructor(private readonly initializer?: TaskFunction) {}

  effectiveNJobs(): number {
    return 1;
  }

  /** Tasks run in this process: a Parallel inside them is chosen as a top-level one (joblib's "active backend"). */
  nestedBackend(): string {
    return defaultBackendName();
  }

  /** Nothing crosses a process boundary: every function can run. Runs the initializer once. */
  async prepare(): Promise<void> {
    const init = this.initializer as (() => unknown) | undefined;
    this.initialized ??= init ? Promise.resolve().then(() => init()).then(() => undefined) : Promise.resolve();
    await this.initialized;
  }

  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    // Start on a later turn so a long input never recurses through dispatch → done → dispatch.
    setImmediate(() => void this.run(batch, done));
  }

  abort(owner: object): void {
    this.cancelled.add(owner);
  }

  private async run(batch: TaskBatch, done: (outcome: BatchOutcome) => void): Promise<void> {
    const results: unknown[] = [];
    for (let index = 0; index < batch.tasks.length; index += 1) {
      if (this.cancelled.has(batch.owner)) return;
      const { fn, args } = batch.tasks[index]!;
      try {
        let value = (fn as (...a: readonly unknown[]) => unknown)(...args);
        if (isThenable(value)) value = await value;
        results.push(value);
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(`A non-Error value was thrown: ${String(thrown)}`);
        done({ ok: false, error, index, partial: results });
        return;
      }
    }
    done({ ok: true, results });
  }
}
