// One pool worker as the parent sees it: the child process, its two pipes, the batches sent to
// it (in the order it will run them), the functions it already knows, and how it ended.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FrameReader, writeFrame } from './channel.js';
import type { BatchMessage, WorkerMessage } from './messages.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** Node options that belong to the parent's own command line, not to a worker's. */
const PARENT_ONLY_FLAGS = /^--(inspect|debug|test|watch|eval|print|input-type|check|interactive|prof)\b|^-[epci]$/;
const FLAGS_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/** The parent's `execArgv` minus what would make a worker evaluate, debug or watch: loaders stay. */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i]!;
    if (PARENT_ONLY_FLAGS.test(arg)) {
      if (FLAGS_WITH_VALUE.has(arg)) i += 1;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}

export interface WorkerEvents {
  message(worker: WorkerProcess, message: WorkerMessage): void;
  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
  protocolError(worker: WorkerProcess, error: unknown): void;
}

export interface SpawnOptions {
  readonly execArgv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Batch ids sent and not yet finished, in run order. */
  readonly outstanding: number[] = [];
  /** Function ids this worker has loaded (definitions go once per worker). */
  readonly knownFunctions = new Set<number>();
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
  private held = false;
  private referenced: boolean | undefined;
  private readonly taskPipe: Socket;
  private readonly resultPipe: Socket;

  constructor(options: SpawnOptions, events: WorkerEvents) {
    this.child = spawn(process.execPath, [...options.execArgv, WORKER_MAIN], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
      env: options.env,
      serialization: 'json',
    });
    this.pid = this.child.pid;
    this.taskPipe = this.child.stdio[3] as Socket;
    this.resultPipe = this.child.stdio[4] as Socket;
    // A dead worker's pipe errors (EPIPE); its exit event reports the death.
    this.taskPipe.on('error', () => undefined);
    this.resultPipe.on('error', () => undefined);
    new FrameReader(this.resultPipe, (message) => {
      events.message(this, message as WorkerMessage);
    }, (error) => events.protocolError(this, error));
    this.child.on('error', () => undefined);
    this.child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exited = true;
      events.exit(this, code, signal);
    });
    this.setReferenced(false);
  }

  get busy(): boolean {
    return this.outstanding.length > 0;
  }

  /** Sends a batch. Throws `SerializationError` (nothing sent) when an argument cannot be encoded. */
  send(message: BatchMessage): void {
    writeFrame(this.taskPipe, message);
    this.outstanding.push(message.id);
    this.setReferenced(true);
  }

  /** Keeps this process alive for the worker (while it finishes its last batches). */
  hold(): void {
    this.held = true;
    this.setReferenced(true);
  }

  cork(): void {
    this.taskPipe.cork();
  }

  uncork(): void {
    this.taskPipe.uncork();
  }

  finished(batchId: number): void {
    const at = this.outstanding.indexOf(batchId);
    if (at >= 0) this.outstanding.splice(at, 1);
    if (this.outstanding.length === 0 && !this.held) this.setReferenced(false);
  }

  /** Asks the worker to exit once its pipe drains (closing it is the signal). */
  close(): void {
    this.retiring = true;
    clearTimeout(this.idleTimer);
    this.taskPipe.end();
  }

  kill(): void {
    this.retiring = true;
    clearTimeout(this.idleTimer);
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /**
   * An idle worker must not keep the parent's event loop alive; a busy one must, or a
   * script awaiting only its results would exit under it.
   */
  private setReferenced(referenced: boolean): void {
    if (referenced === this.referenced) return; // three native calls per batch otherwise
    this.referenced = referenced;
    const method = referenced ? 'ref' : 'unref';
    this.child[method]();
    this.taskPipe[method]();
    this.resultPipe[method]();
  }
}
