// Jobs: batches of calls on their way through the pool, and the queue where they wait for a
// worker. A call with `preDispatch: 'all'` queues every batch at once, so taking from the front
// must not move the rest (Array#shift does, per call).

import type { FunctionDef } from '../wire/function-table.js';
import type { LargeArguments } from './large-arguments.js';
import type { PoolWorker } from './pool-worker.js';

/** The outcome of one batch: all results, or the first failure and what finished before it. */
export type JobOutcome =
  | { readonly ok: true; readonly results: unknown[] }
  | { readonly ok: false; readonly error: Error; readonly index: number; readonly partial: unknown[];
    readonly stack: string | undefined; readonly pid: number | undefined; readonly remote: boolean;
    readonly threadId?: number | undefined; };

/** A failure found in this process (a timeout, a crash, a refusal): no worker-side stack to rebuild. */
export function localFailure(error: Error, pid?: number, index = 0, partial: unknown[] = []): JobOutcome {
  return { ok: false, error, index, partial, stack: undefined, pid, remote: false };
}

/** A batch of calls on its way through the pool. */
export interface Job {
  readonly functions: readonly FunctionDef[];
  /** Function id of each call. */
  readonly fnIds: readonly number[];
  /** Arguments of each call (the caller's arrays, not copies). */
  readonly args: readonly (readonly unknown[])[];
  /** Position of the first call in the caller's input, for error messages. */
  readonly firstIndex: number;
  readonly timeoutMs: number | undefined;
  /** Who submitted it: `cancel(owner)` drops all of its jobs. */
  readonly owner: object;
  /** The call's large arguments: binary values over its `maxNbytes` go by reference. */
  readonly large?: LargeArguments | undefined;
  readonly settle: (outcome: JobOutcome) => void;
}

/** A job in the pool: a class, so every job has one shape (a spread made each one a dictionary). */
export class LiveJob {
  worker: PoolWorker | undefined = undefined;
  partial: unknown[] = [];
  current = 0;
  timer: NodeJS.Timeout | undefined = undefined;
  sentAt = 0;
  /** A streamed result holds a value this process cannot rebuild: the job fails when it is done. */
  undecodable = false;

  constructor(readonly id: number, readonly spec: Job) {}

  /** The name of call `index`'s function, for messages. */
  functionName(index: number): string {
    const id = this.spec.fnIds[index];
    return this.spec.functions.find((f) => f.id === id)?.ref.name ?? '<function>';
  }
}

export class JobQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T; // let it be collected
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `items` back at the front, in their order. */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Removes (and returns) every item `drop` selects, keeping the others in order. */
  remove(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const dropped: T[] = [];
    for (let i = this.head; i < this.items.length; i += 1) (drop(this.items[i]!) ? dropped : kept).push(this.items[i]!);
    this.items = kept;
    this.head = 0;
    return dropped;
  }
}
