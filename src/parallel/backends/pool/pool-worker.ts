// One pool worker as the pool sees it, whatever runs it (a child process, a worker thread): the
// batches sent to it in run order, the functions and registered types it already knows, its
// timing statistics, and how it ended. The two runtimes differ only in how frames travel and
// how a worker is killed.

import { resolveTypeRef, type TypeRef } from '../../../serialization/functions/type-ref.js';
import type { ReceivedFrame } from '../wire/frames.js';
import type { LargeArguments } from './large-arguments.js';
import type { PoolSettings } from './pool-settings.js';
import type { BatchMessage, ParentMessage, WorkerMessage } from '../wire/messages.js';
import { decodeLeniently } from '../wire/undecodable.js';

export interface WorkerEvents {
  /** `undecodable`: the message holds values this process cannot rebuild (see undecodable.ts). */
  message(worker: PoolWorker, message: WorkerMessage, undecodable: boolean): void;
  /** The worker is gone; `signal` is null for threads. `detail` says why when the runtime knows. */
  exit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null, detail?: string): void;
  protocolError(worker: PoolWorker, error: unknown): void;
}

/** Starts a worker of one runtime. */
export type WorkerFactory = (events: WorkerEvents) => PoolWorker;

/**
 * A runtime, as a pool uses it: given the pool's settings and the pool (whose size sets each new
 * worker's environment), how to start its workers. One per runtime: process/ and threads/.
 */
export type Spawner = (settings: PoolSettings, pool: { readonly maxWorkers: number }) => WorkerFactory;

/** A runtime's encoded message (`Frame`): made first, then posted, so type definitions can go ahead of a batch. */
export abstract class PoolWorker<Frame = unknown> {
  /** Batch ids sent and not yet finished, in run order. */
  readonly outstanding: number[] = [];
  /** Function ids this worker has loaded (definitions go once per worker). */
  readonly knownFunctions = new Set<number>();
  /** Large-argument files this worker may have read and kept: forgotten when they are removed. */
  readonly knownFiles = new Set<string>();
  /** Registered types this worker was sent (definitions go once per worker, ahead of the first batch holding one). */
  readonly knownTypes = new Set<string>();
  /** The types the batch being encoded holds that this worker was not sent yet. */
  private readonly newTypes = new Map<string, TypeRef>();
  /** Called by the encoder for each registered instance; a type that cannot travel throws TypeReferenceError. */
  private readonly noteType = (name: string): void => {
    if (!this.knownTypes.has(name) && !this.newTypes.has(name)) this.newTypes.set(name, resolveTypeRef(name));
  };

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
   * Sends a batch, preceded by the definitions of the registered types it holds that this worker
   * lacks; its binary values over the call's `maxNbytes` go by reference. Throws
   * `SerializationError`, `TempFolderError` or `TypeReferenceError` (nothing sent) when an
   * argument cannot cross.
   */
  send(message: BatchMessage, large: LargeArguments | undefined): void {
    this.newTypes.clear();
    const frame = this.encode(message, large, this.noteType);
    if (this.newTypes.size > 0) {
      // One write or post for both: a thread's batch names shared memory by its place in the post.
      this.cork();
      this.post(this.encode({ t: 'types', defs: [...this.newTypes.values()] }, undefined, undefined));
      this.post(frame);
      this.uncork();
      for (const name of this.newTypes.keys()) this.knownTypes.add(name);
    } else {
      this.post(frame);
    }
    this.outstanding.push(message.id);
    this.setReferenced(true);
  }

  /** Sends a control message (no reply). */
  notify(message: ParentMessage): void {
    this.post(this.encode(message, undefined, undefined));
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
  /** Encodes a message (nothing is sent); throws as `send` does. */
  protected abstract encode(message: BatchMessage | ParentMessage, large: LargeArguments | undefined,
    onRegisteredType: ((name: string) => void) | undefined): Frame;
  /** Sends an encoded message, after those posted before it. */
  protected abstract post(frame: Frame): void;
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
