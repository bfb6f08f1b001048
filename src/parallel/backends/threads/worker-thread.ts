// A pool worker that is a worker_thread of this process: the same worker code and frames as a
// worker process, posted as buffers (large ones transferred) instead of written to a pipe.
// SharedArrayBuffers (and arguments over `maxNbytes`, copied once into one) go by reference:
// every task views the same memory. A thread is ended with `terminate()`, which stops even a
// busy loop.

import { type ResourceLimits, Worker } from 'node:worker_threads';
import { type PackedFrame, packForThread, receivedFrames, type ThreadPost, transferList } from '../wire/frames.js';
import type { LargeArguments } from '../pool/large-arguments.js';
import { type BatchMessage, frameTag, type ParentMessage } from '../wire/messages.js';
import { PoolWorker, type Spawner, type WorkerEvents } from '../pool/pool-worker.js';
import { threadLaunch, workerEntry, workerExecArgv } from '../pool/worker-launch.js';

export interface ThreadOptions {
  /** The worker's entry module. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Node options of the thread: those of the parent's a thread accepts (`threadLaunch`). */
  readonly execArgv: readonly string[];
  /** Its V8 limits: the parent's heap and stack flags. */
  readonly resourceLimits: ResourceLimits;
}

export class WorkerThread extends PoolWorker<PackedFrame> {
  readonly pid = process.pid;
  readonly threadId: number;
  readonly label: string;
  readonly closed: Promise<void>;
  private readonly worker: Worker;
  private corked = 0;
  private frames: PackedFrame[] = [];
  private shared: SharedArrayBuffer[] = [];
  /** Why it died, when it threw outside a task (an error the runtime reported). */
  private crash: string | undefined;

  constructor(options: ThreadOptions, events: WorkerEvents) {
    super();
    this.worker = new Worker(options.entry, {
      env: options.env,
      execArgv: [...options.execArgv],
      resourceLimits: options.resourceLimits,
    });
    this.threadId = this.worker.threadId;
    this.label = `worker thread ${this.threadId} (in process ${process.pid})`;
    this.worker.on('message', (post: ThreadPost) => {
      for (const frame of receivedFrames(post)) this.receive(events, frame);
    });
    this.worker.on('error', (error) => {
      this.crash = `${error.name}: ${error.message}`;
    });
    this.closed = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('exit', (code) => {
      this.exited = true;
      events.exit(this, code, null, this.crash);
    });
    this.setReferenced(false);
  }

  cork(): void {
    this.corked += 1;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.flush();
  }

  protected encode(message: BatchMessage | ParentMessage, large: LargeArguments | undefined,
    onRegisteredType: ((name: string) => void) | undefined): PackedFrame {
    const toShared = large
      && ((bytes: Uint8Array) => (bytes.byteLength > large.maxNbytes ? large.shared(bytes) : undefined));
    return packForThread(message, this.shared, toShared, { tag: frameTag(message), onRegisteredType });
  }

  protected post(frame: PackedFrame): void {
    this.frames.push(frame);
    if (this.corked === 0) this.flush();
  }

  private flush(): void {
    if (this.frames.length === 0 || this.exited) return;
    const post: ThreadPost = { frames: this.frames, shared: this.shared };
    this.frames = [];
    this.shared = [];
    this.worker.postMessage(post, transferList(post.frames));
  }

  protected end(): void {
    this.notify({ t: 'close' });
  }

  protected terminate(): void {
    void this.worker.terminate();
  }

  protected reference(referenced: boolean): void {
    if (referenced) this.worker.ref();
    else this.worker.unref();
  }
}

/** The thread runtime: each worker a worker_thread running threads/entry.js with the options threads accept. */
export const spawnThreads: Spawner = (settings, pool) => {
  const entry = workerEntry('thread');
  const launch = threadLaunch(workerExecArgv());
  return (events) => new WorkerThread({ entry, env: settings.env(pool.maxWorkers), ...launch }, events);
};
