// A pool worker that is a `node` child process: batches go down fd 3, results come back on
// fd 4, stdout and stderr stay the user's terminal. Large arguments travel as files.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { encodePipeFrame, FrameReader, type PipeFrame, writePipeFrame } from '../wire/frames.js';
import type { LargeArguments } from '../pool/large-arguments.js';
import { type BatchMessage, frameTag, type ParentMessage } from '../wire/messages.js';
import { PoolWorker, type Spawner, type WorkerEvents } from '../pool/pool-worker.js';
import { workerEntry, workerExecArgv } from '../pool/worker-launch.js';
import { withHugePages } from '../wire/worker-env.js';

export interface SpawnOptions {
  /** The worker's entry module. */
  readonly entry: string;
  readonly execArgv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export class WorkerProcess extends PoolWorker<PipeFrame> {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly threadId = undefined;
  readonly label: string;
  readonly closed: Promise<void>;
  private readonly taskPipe: Socket;
  private readonly resultPipe: Socket;

  constructor(options: SpawnOptions, events: WorkerEvents) {
    super();
    this.child = spawn(process.execPath, [...options.execArgv, options.entry], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
      env: options.env,
      serialization: 'json',
    });
    this.pid = this.child.pid;
    this.label = `worker process (pid ${this.pid})`;
    this.taskPipe = this.child.stdio[3] as Socket;
    this.resultPipe = this.child.stdio[4] as Socket;
    // A dead worker's pipe errors (EPIPE); its exit event reports the death.
    this.taskPipe.on('error', () => undefined);
    this.taskPipe.unref();
    this.resultPipe.on('error', () => undefined);
    new FrameReader(this.resultPipe, (frame) => this.receive(events, frame));
    this.child.on('error', () => undefined);
    // 'close', not 'exit': the last results may still be in the pipe when the process ends.
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exited = true;
      events.exit(this, code, signal);
    });
    this.setReferenced(false);
  }

  cork(): void {
    this.taskPipe.cork();
  }

  uncork(): void {
    this.taskPipe.uncork();
  }

  protected encode(message: BatchMessage | ParentMessage, large: LargeArguments | undefined,
    onRegisteredType: ((name: string) => void) | undefined): PipeFrame {
    const tag = frameTag(message);
    if (!large) return encodePipeFrame(message, { tag, onRegisteredType });
    return encodePipeFrame(message, { tag, onRegisteredType, external: (bytes) => {
      if (bytes.byteLength <= large.maxNbytes) return undefined;
      const place = large.file(bytes);
      this.knownFiles.add(place.key);
      return place;
    } });
  }

  protected post(frame: PipeFrame): void {
    writePipeFrame(this.taskPipe, frame);
  }

  /** Closing the pipe asks the worker to exit once it drains. */
  protected end(): void {
    this.taskPipe.end();
  }

  protected terminate(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * The child and its result pipe keep this process alive while results are due (and its exit
   * must be seen). The task pipe never needs to: a write under way keeps the loop alive by itself.
   */
  protected reference(referenced: boolean): void {
    const method = referenced ? 'ref' : 'unref';
    this.child[method]();
    this.resultPipe[method]();
  }
}

/**
 * The process runtime: each worker a `node` child running process/entry.js with the parent's
 * loaders, and huge pages for its big allocations (`withHugePages`).
 */
export const spawnProcesses: Spawner = (settings, pool) => {
  const entry = workerEntry('process');
  const execArgv = workerExecArgv();
  return (events) => new WorkerProcess({ entry, execArgv, env: withHugePages(settings.env(pool.maxWorkers)) }, events);
};
