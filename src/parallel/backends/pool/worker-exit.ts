// What the end of a worker means, in words: the TerminatedWorkerError for a worker that could
// not start, or died while running a task. Kept apart from the pool, which only decides whom
// the error goes to.

import { TerminatedWorkerError } from '../../../errors.js';
import type { LiveJob } from './jobs.js';
import type { PoolWorker } from './pool-worker.js';

/** How a worker ended: its exit code or signal, and what the runtime said, when it said anything. */
export interface WorkerEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly detail?: string | undefined;
}

/** A worker that ended before it was ready: its command line or a loader is broken. */
export function startupFailure(worker: PoolWorker, end: WorkerEnd): TerminatedWorkerError {
  return new TerminatedWorkerError(
    `A ${worker.label} exited with ${describeEnd(end)} before it was ready. ` +
      'The worker command line is broken: check the loaders in process.execArgv (workers inherit them) and the ' +
      'stderr output above. joblib-ts does not respawn workers that fail to start.',
    { pid: worker.pid, threadId: worker.threadId, exitCode: end.code, signal: end.signal, duringStartup: true });
}

/** A worker Node refused to create (`new Worker` threw): nothing ran, so nothing is respawned. */
export function spawnFailure(error: unknown): TerminatedWorkerError {
  const reason = error instanceof Error ? error.message : String(error);
  return new TerminatedWorkerError(
    `A worker could not be started: ${reason}. Node refused to create it; workers inherit this process's Node ` +
      'options (process.execArgv): start it without the option named, or use the other backend. joblib-ts does not ' +
      'retry until the next call.',
    { pid: undefined, exitCode: null, signal: null, duringStartup: true, cause: error });
}

/** A worker that died while running `job`. */
export function crashDuringTask(worker: PoolWorker, job: LiveJob, end: WorkerEnd): TerminatedWorkerError {
  const { firstIndex, timeoutMs, fnIds } = job.spec;
  const index = firstIndex + job.current;
  // Without a timeout, a batch does not report each task's start: any of its tasks may be the one.
  const where = timeoutMs === undefined && fnIds.length > 1
    ? `tasks #${firstIndex}–#${firstIndex + fnIds.length - 1}`
    : `task #${index}`;
  const causes = worker.threadId === undefined
    ? 'process.exit() in the task, a native crash, or the operating system killing it for using too much memory'
    : 'process.exit() in the task, an error thrown outside it (in a timer or callback), or the thread running ' +
      'out of heap';
  return new TerminatedWorkerError(
    `A ${worker.label} was unexpectedly terminated with ${describeEnd(end)} while running ${where} ` +
      `(${job.functionName(job.current)}). This can be caused by ${causes}. The pool replaced the worker.`,
    { pid: worker.pid, threadId: worker.threadId, exitCode: end.code, signal: end.signal, taskIndex: index });
}

/** `exit code 3`, `signal SIGKILL (detail)`: how a worker ended, for messages. */
function describeEnd({ code, signal, detail }: WorkerEnd): string {
  const how = signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
  return detail ? `${how} (${detail})` : how;
}
