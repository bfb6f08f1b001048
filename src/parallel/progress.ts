// Progress of one Parallel call: joblib's verbose lines on stderr (stdout from verbose 50),
// throttled as joblib throttles them, and the `onProgress` callback for progress bars.

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

export class ProgressReporter {
  /** Tasks read ahead of the workers; the call sets it once the backend knows its worker count. */
  preDispatch = 1;
  private readonly started = performance.now();
  private readonly width: number;

  constructor(
    private readonly label: string,
    private readonly verbose: number,
    private readonly onProgress: ((event: ProgressEvent) => void) | undefined,
    knownTotal: number | undefined,
  ) {
    this.width = knownTotal ? Math.floor(Math.log10(Math.max(knownTotal, 1))) + 1 : 3;
  }

  /** Prints one verbose line (used for the start line and batching messages too). */
  print(message: string): void {
    if (!this.verbose) return;
    const stream = this.verbose < 50 ? process.stderr : process.stdout;
    stream.write(`[${this.label}]: ${message}\n`);
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
