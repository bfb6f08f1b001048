// The `progress` option of dump and load: a bar in bytes (written or read, MB/s, ETA) for big or
// slow work, drawn in place on a terminal and reduced to its final line anywhere else; small,
// quick work shows nothing. Also the check of dump's and load's options bags.

import path from 'node:path';
import { checkProgressOption, isLiveTerminal, ProgressBar } from '../progress-bar.js';
import { refuseUnknownOptions } from '../unknown-options.js';

/** Work on this many bytes shows its bar at once... */
export const BIG_BYTES = 64 * 1024 * 1024;
/** ...smaller work only once it has lasted this long. */
const SLOW_MS = 500;

/** Refuses an options bag of `owner` (dump, load) with an unknown name or a `progress` that is not a boolean. */
export function checkTransferOptions(options: unknown, known: ReadonlySet<string>, owner: string): void {
  refuseUnknownOptions(options as object | undefined, known, owner);
  checkProgressOption((options as { progress?: unknown } | undefined)?.progress, 'progress');
}

/** The bar of `dump` or `load` of `where` (a path; else the operation alone names it). */
export function byteProgress(operation: 'dump' | 'load', where: string | undefined): ProgressBar {
  return new ProgressBar({
    label: where === undefined ? operation : `${operation} ${path.basename(where)}`,
    unit: 'bytes', live: isLiveTerminal(process.stderr), showAfterMs: SLOW_MS, showFromTotal: BIG_BYTES,
  });
}

/** What adds the bytes of one step as they pass, toward `total`. */
function counter(bar: ProgressBar, total: number): (bytes: number) => void {
  let done = 0;
  return (bytes) => {
    done += bytes;
    bar.update(done, total);
  };
}

/** Starts the step `phase` of `total` bytes on `bar`, and returns what counts its bytes as they pass. */
export function countBytes(bar: ProgressBar, phase: string, total: number): (bytes: number) => void {
  bar.setPhase(phase, 0, total);
  return counter(bar, total);
}

/**
 * Starts compressing `total` bytes: shown as a step that cannot count (its size and the time
 * elapsed) until the compressor reports its first piece, which a registered method never does.
 */
export function countCompressed(bar: ProgressBar, total: number): (bytes: number) => void {
  bar.setPhase('compressing', total);
  return counter(bar, total);
}

/** Ends `bar` (if any): the final line counts `bytes` of the file, or names the error. */
export function endBar(bar: ProgressBar | undefined, bytes: number, error?: unknown): void {
  if (!bar) return;
  if (error !== undefined) {
    bar.end({ kind: 'failed', error });
    return;
  }
  bar.update(bytes, bytes);
  bar.end({ kind: 'done' });
}
