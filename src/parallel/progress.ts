// Progress of one Parallel call: joblib's verbose lines on stderr (stdout from verbose 50),
// throttled as joblib throttles them, the `onProgress` callback, and with `progress: true` a
// live bar on a terminal (elsewhere, the verbose lines of verbose 10).

import { isLiveTerminal, ProgressBar, type ProgressEnding } from '../progress-bar.js';

/**
 * What `onProgress` receives after every finished batch.
 *
 * @category Parallel
 */
export interface ProgressEvent {
  /** Tasks finished so far. */
  readonly completed: number;
  /** Tasks in the input, once known (arrays: from the start; iterators: once exhausted). */
  readonly total: number | undefined;
  /** Milliseconds since the call started. */
  readonly elapsedMs: number;
}

/** `  1.2s` up to a minute, then ` 1.5min` (joblib's short_format_time). */
export function shortFormatTime(seconds: number): string {
  return seconds > 60 ? `${(seconds / 60).toFixed(1).padStart(4)}min` : ` ${seconds.toFixed(1).padStart(5)}s`;
}

/** joblib's _verbosity_filter: true means skip this line; lines thin out quadratically. */
export function skipLine(index: number, verbose: number): boolean {
  if (!verbose) return true;
  if (verbose > 10 || index === 0) return false;
  const scale = 0.5 * (11 - verbose) ** 2;
  return Math.trunc(Math.sqrt((index + 1) / scale)) === Math.trunc(Math.sqrt(index / scale));
}

/**
 * `progress: true` on a terminal draws a bar, which replaces the `Done …` lines of `verbose`
 * (its other lines print above the bar); anywhere else it prints the lines of verbose 10.
 */
export class ProgressReporter {
  /** Tasks read ahead of the workers; the call sets it once the backend knows its worker count. */
  preDispatch = 1;
  private readonly started = performance.now();
  private readonly width: number;
  private readonly verbose: number;
  private readonly live: boolean;
  private bar: ProgressBar | undefined;

  constructor(
    private readonly label: string,
    verbose: number,
    private readonly onProgress: ((event: ProgressEvent) => void) | undefined,
    private readonly knownTotal: number | undefined,
    progress = false,
  ) {
    this.width = knownTotal ? Math.floor(Math.log10(Math.max(knownTotal, 1))) + 1 : 3;
    this.live = progress && isLiveTerminal(process.stderr);
    this.verbose = progress && !this.live ? Math.max(verbose, 10) : verbose;
  }

  /** Whether batching messages (verbose 10 and above) are printed. */
  get printsBatching(): boolean {
    return this.verbose >= 10;
  }

  /** The call starts: the bar (if any) starts counting; its first drawing comes within 100 ms. */
  begin(): void {
    if (!this.live || this.bar) return;
    this.bar = new ProgressBar({ label: this.label, unit: 'tasks', live: true });
    this.bar.update(0, this.knownTotal);
  }

  /** Prints one verbose line (used for the start line and batching messages too), above the bar. */
  print(message: string): void {
    if (!this.verbose) return;
    const line = `[${this.label}]: ${message}`;
    if (this.verbose < 50) {
      if (this.bar) this.bar.note(line);
      else process.stderr.write(`${line}\n`);
      return;
    }
    this.bar?.clear();
    process.stdout.write(`${line}\n`);
  }

  /** A task failed and the call goes on (a timeout under `onTimeout: 'continue'`). */
  countFailure(): void {
    this.bar?.countFailure();
  }

  /** The call ended with `completed` of `total` tasks: the bar's final line (the first ending counts). */
  end(ending: ProgressEnding, completed: number, total: number | undefined): void {
    if (!this.bar) return;
    this.bar.update(completed, total);
    this.bar.end(ending);
  }

  /**
   * After a batch: `completed` tasks done, `dispatched` sent, `total` (for onProgress) once
   * known; `dispatchDone` once every task was sent, which switches joblib's lines from
   * `Done N tasks` (throttled by `batches`) to `Done N out of M … remaining`.
   */
  update(
    completed: number, dispatched: number, total: number | undefined, batches: number, dispatchDone: boolean,
  ): void {
    const elapsed = (performance.now() - this.started) / 1000;
    this.onProgress?.({ completed, total, elapsedMs: elapsed * 1000 });
    if (this.bar) {
      this.bar.update(completed, total);
      return;
    }
    if (!this.verbose) return;
    const n = (value: number): string => String(value).padStart(this.width);
    if (dispatchDone && completed === dispatched) {
      this.print(`Done ${n(completed)} out of ${n(completed)} | elapsed: ${shortFormatTime(elapsed)} finished`);
    } else if (!dispatchDone) {
      if (!skipLine(batches, this.verbose)) this.print(`Done ${n(completed)} tasks      | elapsed: ${shortFormatTime(elapsed)}`);
    } else {
      if (completed !== 0) {
        const cursor = dispatched - completed + 1 - this.preDispatch;
        const frequency = Math.trunc(dispatched / this.verbose) + 1;
        if (completed + 1 === dispatched || cursor % frequency !== 0) return;
      }
      const remaining = completed > 0 ? (elapsed / completed) * (dispatched - completed) : 0;
      this.print(`Done ${n(completed)} out of ${n(dispatched)} | elapsed: ${shortFormatTime(elapsed)} ` +
        `remaining: ${shortFormatTime(remaining)}`);
    }
  }
}
