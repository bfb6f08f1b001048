// One run of a Parallel callable over its input (joblib's dispatch loop): pull tasks lazily,
// cut them into batches, keep `preDispatch` tasks in flight, dispatch one more batch each time
// one finishes, record results in input order, stop everything at the first error.

import { InvalidOptionError, TaskTimeoutError } from '../errors.js';
import { emitJoblibWarning } from '../warnings.js';
import type { BatchOutcome, ParallelBackend } from './backends/backend.js';
import type { AutoBatcher } from './batching.js';
import { type DelayedTask, isDelayedTask, isThenable, type TaskFunction } from './delayed.js';
import { preDispatchCount } from './pre-dispatch.js';
import type { ProgressReporter } from './progress.js';

export interface CallSettings {
  readonly batchSize: 'auto' | number;
  /** As given (`'2*nJobs'`, a number, `'all'`): evaluated once the backend knows its worker count. */
  readonly preDispatch: 'all' | number | string | undefined;
  readonly timeoutMs: number | undefined;
  readonly onTimeout: 'abort' | 'continue';
  readonly signal: AbortSignal | undefined;
  /** Keep the completion order (for `generatorUnordered`). */
  readonly trackOrder: boolean;
}

type TaskSource = Iterator<unknown> | AsyncIterator<unknown>;

/**
 * How long a finished call waits for its backend's release: long enough for a remote queue to
 * remove its jobs and keys, bounded so that a backend that cannot reach its server never hangs
 * the caller (the release goes on, and its failure becomes a warning).
 */
const RELEASE_WAIT_MS = 2000;

/** The backend's worker count now: at least one, or the backend is misconfigured. */
export function workerCount(backend: ParallelBackend): number {
  const nJobs = backend.effectiveNJobs();
  if (!Number.isInteger(nJobs) || nJobs < 1) {
    throw new InvalidOptionError(`The backend ${backend.name} reported ${String(nJobs)} workers; a backend must ` +
      'run at least one. Check nJobs and the backend\'s configuration.');
  }
  return nJobs;
}

/**
 * The backend's `abort(owner)`: undefined when it released at once, else a promise that never
 * rejects (a failed release is a warning).
 */
function releaseOf(backend: ParallelBackend, owner: object): Promise<void> | undefined {
  const warn = (error: unknown): void => emitJoblibWarning('JoblibWarning', 'JOBLIB_BACKEND_RELEASE_FAILED',
    `The backend ${backend.name} could not release what a finished call used: ${error instanceof Error ? error.message : String(error)}`);
  try {
    const release = backend.abort(owner);
    return isThenable(release) ? Promise.resolve(release).catch(warn) : undefined;
  } catch (error) {
    warn(error);
    return undefined;
  }
}

/** `promise`, or a timeout of `ms` (a timer that does not keep the process alive), whichever comes first. */
async function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([promise, waited]);
  clearTimeout(timer);
}

export class ParallelCall {
  readonly results: unknown[];
  /** Completion order, for `generatorUnordered`. */
  readonly completionOrder: number[] = [];
  private readonly have: Uint8Array | number[];
  private completed = 0;
  private pulled = 0;
  private dispatchedTasks = 0;
  private dispatchedBatches = 0;
  private inFlight = 0;
  private exhausted = false;
  private failure: unknown;
  private aborted = false;
  private finished = false;
  private readonly readyBatches: { tasks: DelayedTask[]; firstIndex: number }[] = [];
  private dispatching: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  /** The input's iterator, unless it is an array. */
  private readonly source: TaskSource | undefined;
  private readonly known: readonly unknown[] | undefined;
  /** Tasks to read ahead of the workers, once known (at start). */
  private preDispatch = 1;
  /** The backend's release of this call, once aborted (it may take a while: a remote queue); undefined: done. */
  private released: Promise<void> | undefined;
  private whenFinished: Promise<void> | undefined;
  private onFinished: (() => void) | undefined;

  constructor(
    private readonly backend: ParallelBackend,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    private readonly settings: CallSettings,
    private readonly batcher: AutoBatcher,
    private readonly progress: ProgressReporter,
  ) {
    if (Array.isArray(input)) this.known = input;
    this.results = this.known ? new Array<unknown>(this.known.length) : [];
    this.have = this.known ? new Uint8Array(this.known.length) : [];
    // An array is read by index (`pull`): no iterator.
    if (this.known) return;
    const asyncIterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator];
    const syncIterator = (input as Iterable<unknown>)[Symbol.iterator];
    if (typeof syncIterator === 'function') this.source = syncIterator.call(input);
    else if (typeof asyncIterator === 'function') this.source = asyncIterator.call(input);
    else throw new InvalidOptionError('Parallel expects an iterable or async iterable of delayed(fn)(...args) tasks.');
  }

  /** Total number of tasks, once known. */
  get total(): number | undefined {
    return this.known?.length ?? (this.exhausted ? this.pulled : undefined);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  get error(): unknown {
    return this.failure;
  }

  async start(): Promise<void> {
    const { signal } = this.settings;
    this.progress.begin();
    if (signal?.aborted) return this.fail(signal.reason);
    signal?.addEventListener('abort', this.onAbortSignal, { once: true });
    try {
      // A backend may learn its worker count only now (a cluster); preDispatch depends on it.
      // (Without `begin`, nothing here awaits: the start line is printed as the call is made.)
      if (this.backend.begin) await this.backend.begin(this);
      const nJobs = workerCount(this.backend);
      this.preDispatch = preDispatchCount(this.settings.preDispatch, nJobs);
      this.progress.preDispatch = this.preDispatch;
      this.progress.print(`Using backend ${this.backend.name} with ${nJobs} concurrent worker${nJobs > 1 ? 's' : ''}.`);
      if (this.known) {
        await this.backend.prepare(this.functionsOf(this.known), this.known.length);
        // An array is dispatched synchronously: nothing can run in between.
        while (!this.aborted && this.dispatchedTasks < this.preDispatch && (this.dispatchOne(true) as boolean));
      } else {
        // One dispatch at a time: a batch finishing during pre-dispatch (an async input, a quick
        // backend) queues its follow-up behind this loop instead of pulling the same positions.
        const preDispatch = this.dispatching.then(async () => {
          while (!this.aborted && this.dispatchedTasks < this.preDispatch && (await this.dispatchOne(true)));
        });
        this.dispatching = preDispatch.catch(() => undefined);
        await preDispatch;
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.checkFinished();
  }

  /** Resolves when something changed: a batch finished, the call failed or ended. */
  changed(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Resolves once the call ended, successfully or not. */
  settled(): Promise<void> {
    if (this.finished) return Promise.resolve();
    // One promise for the whole call, not one per finished batch.
    this.whenFinished ??= new Promise((resolve) => {
      this.onFinished = resolve;
    });
    return this.whenFinished;
  }

  isDone(index: number): boolean {
    return this.have[index] === 1;
  }

  private readonly onAbortSignal = (): void => this.fail(this.settings.signal?.reason);

  /**
   * Stops the call and waits (at most RELEASE_WAIT_MS) for the backend to release what it used:
   * queued batches dropped, running ones stopped, a remote queue's keys removed. Idempotent.
   * Undefined when the backend released at once (the built-in ones): nothing to wait for.
   */
  abortAndRelease(): Promise<void> | undefined {
    this.abort();
    return this.released && waitAtMost(this.released, RELEASE_WAIT_MS);
  }

  /** Stops the call: no more dispatch, the backend drops its batches. Idempotent. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.released = releaseOf(this.backend, this);
    // A signal reused across calls must not collect a listener per call.
    this.settings.signal?.removeEventListener('abort', this.onAbortSignal);
    // Let a generator given as input run its finally blocks.
    if (!this.exhausted && this.source) void Promise.resolve(this.source.return?.()).catch(() => undefined);
    this.finish();
  }

  private fail(error: unknown): void {
    if (this.aborted) return;
    this.failure = error;
    this.abort();
  }

  private finish(): void {
    // The first end counts: a call that completed is aborted afterwards too (its release).
    const { signal } = this.settings;
    this.progress.end(this.failure !== undefined
      ? { kind: signal?.aborted && this.failure === signal.reason ? 'aborted' : 'failed', error: this.failure }
      : { kind: this.aborted ? 'cancelled' : 'done' }, this.completed, this.total);
    this.finished = true;
    this.onFinished?.();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Checks every item is a task and collects the distinct functions, in one pass. */
  private functionsOf(items: readonly unknown[]): Set<TaskFunction> {
    const functions = new Set<TaskFunction>();
    let last: TaskFunction | undefined;
    for (let index = 0; index < items.length; index += 1) {
      const task = items[index];
      this.checkTask(task, index + (items === this.known ? 0 : this.pulled - items.length));
      if (task.fn !== last) {
        last = task.fn;
        functions.add(last);
      }
    }
    return functions;
  }

  private checkTask(task: unknown, index: number): asserts task is DelayedTask {
    if (!isDelayedTask(task)) {
      throw new InvalidOptionError(
        `Parallel expects tasks made with delayed(fn)(...args); item #${index} is ${task === null ? 'null' : typeof task}.`);
    }
  }

  /** The next `count` tasks of an array input: checked and prepared up front, so a slice. */
  private take(count: number): DelayedTask[] {
    const known = this.known!;
    const tasks = known.slice(this.pulled, this.pulled + count) as DelayedTask[];
    this.pulled += tasks.length;
    if (this.pulled === known.length) this.exhausted = true;
    return tasks;
  }

  /** The next `count` tasks of an iterator input (fewer at its end), checked and prepared. */
  private async pull(count: number): Promise<DelayedTask[]> {
    const tasks: DelayedTask[] = [];
    while (tasks.length < count && !this.exhausted) {
      const step = this.source!.next();
      const result = step instanceof Promise ? await step : (step as IteratorResult<unknown>);
      if (result.done) {
        this.exhausted = true;
        break;
      }
      tasks.push(result.value as DelayedTask);
      this.pulled += 1;
    }
    if (tasks.length > 0) await this.backend.prepare(this.functionsOf(tasks), tasks.length);
    return tasks;
  }

  /**
   * joblib's dispatch_one_batch: refill the ready batches when empty, then send one. False when
   * there was nothing left to send. Synchronous for an array input (no promise per batch).
   */
  private dispatchOne(preDispatching: boolean): boolean | Promise<boolean> {
    if (this.readyBatches.length > 0) return this.sendReady();
    const nJobs = workerCount(this.backend);
    const size = this.settings.batchSize !== 'auto' ? this.settings.batchSize
      : this.backend.capabilities.autoBatching ? this.batcher.next() : 1;
    const big = size * nJobs;
    const want = preDispatching ? Math.min(big, this.preDispatch - this.dispatchedTasks) : big;
    const firstIndex = this.pulled;
    if (this.known) return this.cut(this.take(want), firstIndex, preDispatching, nJobs, big);
    return this.pull(want).then((tasks) => this.cut(tasks, firstIndex, preDispatching, nJobs, big));
  }

  /** Cuts pulled tasks into ready batches and sends the first; false when there are none. */
  private cut(tasks: DelayedTask[], firstIndex: number, preDispatching: boolean, nJobs: number, big: number): boolean {
    if (tasks.length === 0 || this.aborted) return false;
    // Near the end of the input, smaller batches so no worker straggles with a big one.
    const finalSize = !preDispatching && tasks.length < big
      ? Math.max(1, Math.trunc(tasks.length / (10 * nJobs)))
      : Math.max(1, Math.trunc(tasks.length / nJobs));
    for (let start = 0; start < tasks.length; start += finalSize) {
      this.readyBatches.push({ tasks: tasks.slice(start, start + finalSize), firstIndex: firstIndex + start });
    }
    return this.sendReady();
  }

  private sendReady(): true {
    const batch = this.readyBatches.shift()!;
    this.submit(batch.tasks, batch.firstIndex);
    this.dispatchedBatches += 1;
    return true;
  }

  private submit(tasks: DelayedTask[], firstIndex: number): void {
    this.inFlight += 1;
    this.dispatchedTasks += tasks.length;
    const sentAt = performance.now();
    const size = tasks.length;
    this.backend.submit({ tasks, firstIndex, owner: this, timeoutMs: this.settings.timeoutMs }, (outcome) => {
      this.onBatchDone(tasks, firstIndex, size, sentAt, outcome);
    });
  }

  private onBatchDone(
    tasks: DelayedTask[], firstIndex: number, size: number, sentAt: number, outcome: BatchOutcome,
  ): void {
    this.inFlight -= 1;
    if (this.aborted) return;
    if (outcome.ok) {
      const { results } = outcome;
      for (let i = 0; i < results.length; i += 1) this.record(firstIndex + i, results[i]);
      if (this.settings.batchSize === 'auto' && this.backend.capabilities.autoBatching) {
        this.batcher.completed(size, (performance.now() - sentAt) / 1000);
      }
    } else if (outcome.error instanceof TaskTimeoutError && this.settings.onTimeout === 'continue') {
      outcome.partial.slice(0, outcome.index).forEach((value, i) => this.record(firstIndex + i, value));
      this.record(firstIndex + outcome.index, outcome.error);
      this.progress.countFailure();
      const rest = tasks.slice(outcome.index + 1);
      this.dispatchedTasks -= rest.length;
      if (rest.length > 0) this.submit(rest, firstIndex + outcome.index + 1);
    } else {
      this.fail(outcome.error);
      return;
    }
    const dispatchDone = this.exhausted || (this.known !== undefined && this.pulled === this.known.length);
    try {
      this.progress.update(this.completed, this.dispatchedTasks, this.total ?? (dispatchDone ? this.pulled : undefined),
        this.dispatchedBatches, dispatchDone && this.readyBatches.length === 0);
    } catch (error) {
      // The user's onProgress threw: the call ends as on a task error, with that error. Thrown
      // on, it would escape from the pool's message handler as an uncaught exception.
      this.fail(error);
      return;
    }
    this.notify();
    // Every task of an array sent already (a short call, the end of a long one): nothing to dispatch.
    if (this.known && this.exhausted && this.readyBatches.length === 0) {
      this.checkFinished();
      return;
    }
    this.dispatching = this.dispatching.then(() => this.dispatchNext());
  }

  /** One more batch after one finished (queued behind any dispatch under way), then checks the end. */
  private dispatchNext(): Promise<void> | undefined {
    if (this.aborted) return undefined;
    let sent: boolean | Promise<boolean>;
    try {
      sent = this.dispatchOne(false);
    } catch (error) {
      this.fail(error);
      return undefined;
    }
    if (typeof sent === 'boolean') {
      this.checkFinished();
      return undefined;
    }
    return sent.then(() => this.checkFinished(), (error: unknown) => this.fail(error));
  }

  private record(index: number, value: unknown): void {
    this.results[index] = value;
    this.have[index] = 1;
    if (this.settings.trackOrder) this.completionOrder.push(index);
    this.completed += 1;
  }

  private checkFinished(): void {
    if (!this.aborted && this.exhausted && this.inFlight === 0 && this.readyBatches.length === 0) this.finish();
    else if (!this.aborted && this.known && this.completed === this.known.length) this.finish();
  }
}
