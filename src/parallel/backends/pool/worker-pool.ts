// The worker pool (loky's executor), for processes and threads alike: starts workers lazily up
// to `maxWorkers`, sends them batches (an idle worker first, then a new one, then a batch queued
// behind a busy one so no worker waits on a round trip), heals after crashes and timeouts,
// recycles workers that leak or reach `maxTasksPerWorker`, lets idle workers exit after
// `idleTimeout`, and never keeps the parent alive while idle.

import {
  InvalidOptionError, ShutdownExecutorError, TaskTimeoutError, TempFolderError, type TerminatedWorkerError,
  TypeReferenceError,
} from '../../../errors.js';
import { emitJoblibWarning } from '../../../warnings.js';
import type { FunctionDef } from '../wire/function-table.js';
import { MAX_TIMER_MS } from '../../option-checks.js';
import { type Job, type JobOutcome, JobQueue, LiveJob, localFailure } from './jobs.js';
import { batchMessage, unencodableArguments, unsendableResult, type WorkerMessage } from '../wire/messages.js';
import type { PoolSettings } from './pool-settings.js';
import type { PoolWorker, Spawner, WorkerFactory } from './pool-worker.js';
import { undecodableResult } from '../wire/undecodable.js';
import { crashDuringTask, spawnFailure, startupFailure } from './worker-exit.js';
import { onKeptFilesRemoved } from './large-argument-cache.js';

/** Batches one worker may hold: the running one and those queued behind it (see PIPELINE_MAX_BATCH_MS). */
const PIPELINE_DEPTH = 16;
/**
 * Queue a batch behind a busy worker only when its last batch took less than this: tiny tasks
 * then skip a round trip, while a batch never waits behind a slow one another worker could run.
 */
const PIPELINE_MAX_BATCH_MS = 2;

const livePools = new Set<WorkerPool>();
let exitHookInstalled = false;

export class WorkerPool {
  private readonly workers = new Set<PoolWorker>();
  private readonly queue = new JobQueue<LiveJob>();
  private readonly jobs = new Map<number, LiveJob>();
  private nextJobId = 1;
  private startupFailure: TerminatedWorkerError | undefined;
  private isShutdown = false;
  private readonly corked = new Set<PoolWorker>();
  private uncorkScheduled = false;
  maxWorkers: number;
  /** Starts one worker (a process or a thread). */
  private readonly spawn: WorkerFactory;
  /** Ends the subscription to removed large-argument files (their copies are dropped in workers). */
  private readonly stopListening: () => void;

  /** A pool of the runtime `spawner` starts; `initializer` runs once in every worker before its first batch. */
  constructor(readonly settings: PoolSettings, spawner: Spawner, readonly initializer?: FunctionDef) {
    this.maxWorkers = settings.maxWorkers;
    this.spawn = spawner(settings, this);
    this.stopListening = onKeptFilesRemoved((files) => this.tellWorkers('release', files));
    livePools.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // process.exit() and a natural exit: take the workers down with us.
      process.on('exit', () => {
        for (const pool of livePools) for (const worker of pool.workers) worker.kill();
      });
    }
  }

  get isShut(): boolean {
    return this.isShutdown;
  }

  /** Pids of the live workers. */
  get pids(): number[] {
    return [...this.workers].filter((w) => !w.exited && w.pid !== undefined).map((w) => w.pid!);
  }

  submitJob(job: Job): void {
    if (this.isShutdown) {
      job.settle(localFailure(new ShutdownExecutorError()));
      return;
    }
    this.startupFailure = undefined;
    const id = this.nextJobId++;
    const live = new LiveJob(id, job);
    this.queue.push(live);
    this.pump();
  }

  /**
   * Ends the owner's call: drops its queued jobs, kills the workers running its others (other
   * owners' jobs move on), and tells the workers that read its large-argument `files` to check
   * their copies (its tasks may have written into them) before a later call uses them.
   */
  cancel(owner: object, files: readonly string[] = []): void {
    // A call that finished has nothing queued or running: nothing to walk, nothing to allocate.
    if (this.queue.length > 0) this.queue.remove((job) => job.spec.owner === owner);
    // Forget all of the owner's jobs first, so killing a worker requeues only other owners' jobs.
    let workers: Set<PoolWorker> | undefined;
    for (const job of this.jobs.values()) {
      if (job.spec.owner !== owner) continue;
      this.jobs.delete(job.id);
      clearTimeout(job.timer);
      if (job.worker) (workers ??= new Set()).add(job.worker);
    }
    for (const worker of workers ?? []) if (!worker.exited) this.killWorker(worker);
    if (files.length > 0) this.tellWorkers('verify', files);
    this.pump();
  }

  /** Sends `verify` or `release` for `files` to the workers that may hold copies of them. */
  private tellWorkers(what: 'verify' | 'release', files: readonly string[]): void {
    for (const worker of this.workers) {
      if (worker.exited) continue;
      const known = files.filter((file) => (what === 'release' ? worker.knownFiles.delete(file) : worker.knownFiles.has(file)));
      if (known.length > 0) worker.notify({ t: what, files: known });
    }
  }

  /** Starts `count` workers now (up to maxWorkers), so they boot while the caller prepares work. */
  prestart(count: number): void {
    if (this.isShutdown || this.startupFailure) return;
    const missing = Math.min(count, this.maxWorkers) - this.activeWorkers().length;
    for (let i = 0; i < missing && !this.startupFailure; i += 1) this.spawnWorker();
  }

  /** Grows at once (lazily, on demand); shrinks by retiring idle workers, busy ones when they finish. */
  resize(maxWorkers: number): void {
    this.maxWorkers = maxWorkers;
    let excess = this.activeWorkers().length - maxWorkers;
    for (const worker of this.activeWorkers().sort((a, b) => a.outstanding.length - b.outstanding.length)) {
      if (excess <= 0) break;
      worker.close();
      excess -= 1;
    }
    this.pump();
  }

  /** Stops accepting work; `kill` ends running tasks at once, otherwise they finish first. */
  async shutdown({ kill = false } = {}): Promise<void> {
    this.isShutdown = true;
    livePools.delete(this);
    this.stopListening();
    for (const job of this.queue.remove(() => true)) {
      job.spec.settle(localFailure(new ShutdownExecutorError('The executor was shut down before this task started.')));
    }
    const waits: Promise<void>[] = [];
    for (const worker of this.workers) {
      if (worker.exited) continue;
      waits.push(worker.closed);
      worker.hold(); // an awaited shutdown keeps this process alive until the workers are gone
      if (kill) this.killWorker(worker);
      else worker.close();
    }
    await Promise.all(waits);
  }

  private activeWorkers(): PoolWorker[] {
    return [...this.workers].filter((w) => !w.retiring && !w.exited);
  }

  private pump(): void {
    if (this.queue.length === 0) return;
    while (this.queue.length > 0) {
      const worker = this.pickWorker();
      if (!worker) break;
      // An idle worker gets its batch at once (latency); a busy one's batches wait for the end
      // of this tick and leave together: a burst of completions read in one chunk dispatches
      // its follow-ups with one write per worker.
      if (worker.busy && !this.corked.has(worker)) {
        worker.cork();
        this.corked.add(worker);
      }
      this.send(worker, this.queue.shift()!);
    }
    if (this.corked.size > 0 && !this.uncorkScheduled) {
      this.uncorkScheduled = true;
      process.nextTick(() => {
        this.uncorkScheduled = false;
        for (const worker of this.corked) worker.uncork();
        this.corked.clear();
      });
    }
  }

  /** An idle worker, else a new one, else the least loaded quick one (see PIPELINE_MAX_BATCH_MS). No array per pick. */
  private pickWorker(): PoolWorker | undefined {
    const { maxTasksPerWorker } = this.settings;
    let running = 0;
    let best: PoolWorker | undefined;
    for (const worker of this.workers) {
      if (worker.retiring || worker.exited) continue;
      running += 1;
      if (maxTasksPerWorker !== 0 && worker.tasksAssigned >= maxTasksPerWorker) continue;
      if (!worker.busy) return worker;
      const load = worker.outstanding.length;
      const quick = worker.lastBatchMs < PIPELINE_MAX_BATCH_MS;
      if (load < PIPELINE_DEPTH && quick && (!best || load < best.outstanding.length)) best = worker;
    }
    if (running < this.maxWorkers && !this.startupFailure) return this.spawnWorker();
    return best;
  }

  /** A new worker; undefined when Node refuses to create one (the queued jobs then fail with why). */
  private spawnWorker(): PoolWorker | undefined {
    let worker: PoolWorker;
    try {
      worker = this.spawn({
        message: (w, message, undecodable) => this.onMessage(w, message, undecodable),
        exit: (w, code, signal, detail) => this.onExit(w, code, signal, detail),
        protocolError: (w, error) => {
          emitJoblibWarning('JoblibWarning', 'JOBLIB_WORKER_PROTOCOL',
            `joblib-ts: an unreadable message from ${w.label} (${String(error)}); replacing it.`);
          this.killWorker(w);
        },
      });
    } catch (error) {
      this.failStartup(spawnFailure(error), undefined);
      return undefined;
    }
    this.workers.add(worker);
    const { initializer } = this;
    if (initializer) {
      worker.notify({ t: 'init', fn: [initializer.id, initializer.ref] });
      worker.knownFunctions.add(initializer.id);
    }
    return worker;
  }

  private send(worker: PoolWorker, job: LiveJob): void {
    const defs = job.spec.functions.filter((f) => !worker.knownFunctions.has(f.id)).map((f) => [f.id, f.ref] as const);
    const message = batchMessage(job.id, job.spec, defs);
    try {
      worker.send(message, job.spec.large);
    } catch (error) {
      // A file that cannot be written, a type that cannot travel, a wrong JOBLIB_TS_LARGE_ARGUMENT_CACHE: as they are.
      job.spec.settle(error instanceof TempFolderError || error instanceof TypeReferenceError
        || error instanceof InvalidOptionError ? localFailure(error) : this.encodeFailure(job, error));
      return;
    }
    for (const [id] of defs) worker.knownFunctions.add(id);
    job.worker = worker;
    worker.tasksAssigned += job.spec.fnIds.length;
    job.sentAt = performance.now();
    this.jobs.set(job.id, job);
    // With a timeout, the worker reports each task's start; the clock runs from there, so
    // neither a cold start nor a batch queued behind another counts against the task.
  }

  private encodeFailure(job: LiveJob, error: unknown): JobOutcome {
    const { index, error: wrapped } = unencodableArguments(job.spec.args, job.spec.firstIndex, error);
    return localFailure(wrapped, undefined, index);
  }

  private armTimeout(job: LiveJob): void {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => this.onTimeout(job), job.spec.timeoutMs);
  }

  private onTimeout(job: LiveJob): void {
    if (!this.jobs.has(job.id)) return;
    this.jobs.delete(job.id);
    const { firstIndex, timeoutMs } = job.spec;
    const error = new TaskTimeoutError(firstIndex + job.current, timeoutMs!, job.functionName(job.current));
    if (job.worker) this.killWorker(job.worker);
    job.spec.settle(localFailure(error, job.worker?.pid, job.current, job.partial));
  }

  private onMessage(worker: PoolWorker, message: WorkerMessage, undecodable: boolean): void {
    if (message.t === 'ready') {
      worker.ready = true;
      return;
    }
    const job = this.jobs.get(message.id);
    if (!job) {
      // Cancelled or timed out while this message was on its way.
      if (message.t === 'done' || message.t === 'fail') worker.finished(message.id);
      return;
    }
    switch (message.t) {
      case 'start':
        job.current = message.index;
        if (job.spec.timeoutMs !== undefined) this.armTimeout(job);
        return;
      case 'result':
        job.partial[message.index] = message.value;
        job.undecodable ||= undecodable;
        return;
      case 'done':
      case 'fail':
      case 'unsendable':
        break;
    }
    this.jobs.delete(job.id);
    clearTimeout(job.timer);
    worker.finished(job.id);
    const now = performance.now();
    worker.lastBatchMs = now - Math.max(job.sentAt, worker.lastDoneAt);
    worker.lastDoneAt = now;
    worker.tasksDone += message.t === 'done' ? job.spec.fnIds.length : message.index + 1;
    if (message.recycle) worker.retiring = true;
    if (message.t === 'done') {
      const { results } = message;
      const values = results === null ? job.partial
        : results instanceof Float64Array ? Array.from(results) : results as unknown[];
      const failure = (undecodable || job.undecodable) && undecodableResult(values, job.spec.firstIndex);
      job.spec.settle(failure ? localFailure(failure.error, worker.pid, failure.index, values.slice(0, failure.index))
        : { ok: true, results: values });
    } else if (message.t === 'unsendable') {
      const error = unsendableResult(job.spec.firstIndex + message.index, job.functionName(message.index), message.path,
        message.reason);
      job.spec.settle(localFailure(error, worker.pid, message.index, job.partial));
    } else {
      job.spec.settle({ ok: false, error: message.error as Error, index: message.index, partial: job.partial,
        stack: message.stack, pid: worker.pid, threadId: worker.threadId, remote: true });
    }
    this.afterBatch(worker);
    this.pump();
  }

  private afterBatch(worker: PoolWorker): void {
    const { maxTasksPerWorker } = this.settings;
    if (!worker.retiring && maxTasksPerWorker > 0 && worker.tasksDone >= maxTasksPerWorker) worker.retiring = true;
    if (worker.busy) return;
    if (worker.retiring) {
      worker.close();
      return;
    }
    worker.idleSince = performance.now();
    const { idleTimeoutMs } = this.settings;
    if (!worker.idleTimer && idleTimeoutMs !== Infinity) this.armIdleTimer(worker, idleTimeoutMs);
  }

  /**
   * One timer per worker, re-armed lazily: no timer churn per batch. Never past MAX_TIMER_MS
   * (Node fires a longer one at once): a longer wait re-arms for the rest.
   */
  private armIdleTimer(worker: PoolWorker, delay: number): void {
    worker.idleTimer = setTimeout(() => {
      worker.idleTimer = undefined;
      if (worker.busy || worker.retiring) return;
      const idleFor = performance.now() - worker.idleSince;
      if (idleFor >= this.settings.idleTimeoutMs) worker.close();
      else this.armIdleTimer(worker, this.settings.idleTimeoutMs - idleFor);
    }, Math.min(delay, MAX_TIMER_MS));
    worker.idleTimer.unref();
  }

  private killWorker(worker: PoolWorker): void {
    worker.kill();
    this.requeueOutstanding(worker);
  }

  /** Batches still in a dead worker's pipe never started: they go back to the front of the queue. */
  private requeueOutstanding(worker: PoolWorker): void {
    const innocent: LiveJob[] = [];
    for (const id of worker.outstanding) {
      const job = this.jobs.get(id);
      if (job) {
        this.jobs.delete(id);
        clearTimeout(job.timer);
        job.worker = undefined;
        innocent.push(job);
      }
    }
    worker.outstanding.length = 0;
    this.queue.unshift(innocent);
  }

  private onExit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null, detail?: string): void {
    this.workers.delete(worker);
    const end = { code, signal, detail };
    if (!worker.ready && !worker.retiring) {
      this.failStartup(startupFailure(worker, end), worker);
      return;
    }
    const running = worker.outstanding[0] === undefined ? undefined : this.jobs.get(worker.outstanding[0]);
    if (running) {
      this.failJob(running.id, crashDuringTask(worker, running, end));
      worker.outstanding.shift();
    }
    this.requeueOutstanding(worker);
    if (!this.isShutdown) this.pump();
  }

  /** No worker can start: its jobs and every queued one fail with why, and none is respawned until the next job. */
  private failStartup(error: TerminatedWorkerError, worker: PoolWorker | undefined): void {
    this.startupFailure = error;
    for (const id of worker?.outstanding ?? []) this.failJob(id, error);
    for (const job of this.queue.remove(() => true)) {
      job.spec.settle(localFailure(error, worker?.pid));
    }
  }

  private failJob(id: number, error: Error): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    clearTimeout(job.timer);
    job.spec.settle(localFailure(error, job.worker?.pid, job.current, job.partial));
  }
}
