// The interface every Parallel backend implements: run batches of delayed calls somewhere and
// report each batch's outcome. Parallel itself owns batching, dispatch order, progress and
// errors, so a backend is only "where batches run".

import type { DelayedTask, TaskFunction } from '../delayed.js';

/** Consecutive tasks of one Parallel call, sent together. */
export interface TaskBatch {
  readonly tasks: readonly DelayedTask[];
  /** Position of the first task in the call's input. */
  readonly firstIndex: number;
  /** The call the batch belongs to: `cancel(owner)` drops all of its batches. */
  readonly owner: object;
  readonly timeoutMs: number | undefined;
}

/** All results of a batch, or its first failure (with the results of the tasks before it). */
export type BatchOutcome =
  | { readonly ok: true; readonly results: unknown[] }
  | { readonly ok: false; readonly error: Error; readonly index: number; readonly partial: unknown[] };

export interface ParallelBackend {
  /** Shown in verbose output: `Using backend ProcessBackend with 2 concurrent workers.` */
  readonly name: string;
  /** Workers that run batches at once. */
  readonly nJobs: number;
  /** Whether `batchSize: 'auto'` should grow batches (process pools), or keep 1 (in-process). */
  readonly autoBatching: boolean;
  readonly supportsTimeout: boolean;
  /**
   * Checks that these functions can run on this backend, before `taskCount` tasks using them
   * are dispatched; throws (e.g. FunctionReferenceError) before anything is sent.
   */
  prepare(functions: ReadonlySet<TaskFunction>, taskCount: number): Promise<void>;
  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void;
  /** Stops the owner's batches: queued ones are dropped, running ones killed where possible. */
  cancel(owner: object): void;
}
