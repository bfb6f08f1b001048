// One pool worker as the pool sees it, whatever runs it (a child process, a worker thread): the
// batches sent to it in run order, the functions it already knows, its timing statistics, and
// how it ended. The two runtimes differ only in how frames travel and how a worker is killed.

import type { ReceivedFrame } from './channel.js';
import type { LargeArguments } from './large-arguments.js';
import type { BatchMessage, ParentMessage, WorkerMessage } from './messages.js';
import { decodeLeniently } from './undecodable.js';

export interface WorkerEvents {
  /** `undecodable`: the message holds values this process cannot rebuild (see undecodable.ts). */
  message(worker: PoolWorker, message: WorkerMessage, undecodable: boolean): void;
  /** The worker is gone; `signal` is null for threads. `detail` says why when the runtime knows. */
  exit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null, detail?: string): void;
  protocolError(worker: PoolWorker, error: unknown): void;
}

/** Starts a worker of one runtime. */
export type WorkerFactory = (events: WorkerEvents) => PoolWorker;

export abstract class PoolWorker {
  /** Batch ids sent and not yet finished, in run order. */
  readonly outstanding: number[] = [];
  /** Function ids this worker has loaded (definitions go once per worker). */
  readonly knownFunctions = new Set<number>();
  /** Large-argument files this worker may have read (and cached), forgotten at each call's end. */
  readonly knownFiles = new Set<string>();
  ready = false;
  /** Set once we decided to end it (idle, shrink, kill): its exit is then expected. */
  retiring = false;
  exited = false;
  tasksDone = 0;
  /** Tasks sent to it so far (maxTasksPerWorker stops sending at the limit). */
  tasksAssigned = 0;
  /** How long its last batch ran (from when it could start); Infinity until one finished. */
  lastBatchMs = Infinity;
  lastDoneAt = 0;
  idleTimer: NodeJS.Timeout | undefined;
  /** When its last batch finished (performance.now()). */
  idleSince = 0;
  protected held = false;
  private referenced: boolean | undefined;
  /** Set at its first unreadable frame: what follows is not trusted (the pool kills it). */
  private unreadable = false;

  /** `worker process 1234` or `worker thread 3 (in process 1234)`: for messages. */
  abstract readonly label: string;
  /** The process running it (this one for a thread). */
  abstract readonly pid: number | undefined;
  /** The thread's id, for a thread. */
  abstract readonly threadId: number | undefined;
  /** Resolves once the worker ended and every message it sent has been delivered. */
  abstract readonly closed: Promise<void>;

  get busy(): boolean {
    return this.outstanding.length > 0;
  }

  /**
   * Sends a batch; its binary values over the call's `maxNbytes` go by reference. Throws
   * `SerializationError` or `TempFolderError` (nothing sent) when an argument cannot cross.
   */
  send(message: BatchMessage, large: LargeArguments | undefined): void {
    this.write(message, large);
    this.outstanding.push(message.id);
    this.setReferenced(true);
  }

  /** Sends a control message (no reply). */
  notify(message: ParentMessage): void {
    this.write(message, undefined);
  }

  /** Keeps this process alive for the worker (while it finishes its last batches). */
  hold(): void {
    this.held = true;
    this.setReferenced(true);
  }

  finished(batchId: number): void {
    const at = this.outstanding.indexOf(batchId);
    if (at >= 0) this.outstanding.splice(at, 1);
    if (this.outstanding.length === 0 && !this.held) this.setReferenced(false);
  }

  /** Asks the worker to exit once it finished what it was sent. */
  close(): void {
    this.retiring = true;
    clearTimeout(this.idleTimer);
    this.end();
  }

  kill(): void {
    this.retiring = true;
    clearTimeout(this.idleTimer);
    if (!this.exited) this.terminate();
  }

  /** Decodes a frame from the worker and hands it to the pool. */
  protected receive(events: WorkerEvents, frame: ReceivedFrame): void {
    if (this.unreadable) return;
    let decoded: ReturnType<typeof decodeLeniently>;
    try {
      decoded = decodeLeniently(frame);
    } catch (error) {
      this.unreadable = true;
      events.protocolError(this, error);
      return;
    }
    events.message(this, decoded.message as WorkerMessage, decoded.undecodable);
  }

  /** Holds this worker's outgoing messages until `uncork` (they then leave together). */
  abstract cork(): void;
  abstract uncork(): void;
  protected abstract write(message: BatchMessage | ParentMessage, large: LargeArguments | undefined): void;
  protected abstract end(): void;
  protected abstract terminate(): void;
  protected abstract reference(referenced: boolean): void;

  /**
   * An idle worker must not keep the parent's event loop alive; a busy one must, or a
   * script awaiting only its results would exit under it.
   */
  protected setReferenced(referenced: boolean): void {
    if (referenced === this.referenced) return; // native calls per batch otherwise
    this.referenced = referenced;
    this.reference(referenced);
  }
}
