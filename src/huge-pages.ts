// Huge pages: one page fault per 2 MiB of a fresh buffer instead of one per 4 KiB, the largest
// cost of fresh memory on a VM. The switch is one environment variable, read by this process and
// handed to the worker processes it starts.

import { InvalidOptionError } from './errors.js';
import { nativeHelpers } from './native.js';

/**
 * `0` turns huge pages off, for worker processes and for the big buffers of this one; `1` (or
 * unset) leaves them on.
 */
const HUGE_PAGES = 'JOBLIB_TS_HUGE_PAGES';

/**
 * Whether processes started with `env` ask for huge pages: JOBLIB_TS_HUGE_PAGES `0` says
 * no, `1` or unset yes. Throws InvalidOptionError for another value.
 */
export function hugePagesWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  const setting = env[HUGE_PAGES];
  if (setting === undefined || setting === '' || setting === '1') return true;
  if (setting === '0') return false;
  throw new InvalidOptionError(`${HUGE_PAGES} must be 0 (no huge pages) or 1 (huge pages for big buffers, the ` +
    `default on Linux), got '${setting}'.`);
}

/** Smaller buffers come from malloc's heap, whose pages are mostly touched already. */
const ADVISE_FROM = 4 * 1024 * 1024;
let wantedHere: boolean | undefined;

/**
 * `Buffer.allocUnsafeSlow(size)` (offset 0 of its own ArrayBuffer), backed by huge pages when it
 * is big, the native helpers are there and JOBLIB_TS_HUGE_PAGES is not `0`: a load's output is
 * the one fresh buffer it must fill, and on this VM filling 200 MB took ~51,000 page faults and
 * 116–300 ms with 4 KiB pages, ~600 and 40–60 ms with huge pages.
 */
export function freshBuffer(size: number): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size);
  if (size >= ADVISE_FROM && process.platform === 'linux') {
    wantedHere ??= hugePagesWanted(process.env);
    if (wantedHere) nativeHelpers()?.adviseHugePages(buffer);
  }
  return buffer;
}
