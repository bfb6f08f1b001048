// Huge pages: one page fault per 2 MiB of a fresh buffer instead of one per 4 KiB, the largest
// cost of fresh memory on a VM. The switch is one environment variable, read by this process and
// handed to the worker processes it starts.

import { InvalidOptionError } from './errors.js';

/** `0` turns huge pages off for worker processes; `1` (or unset) leaves them on. */
const HUGE_PAGES = 'JOBLIB_TS_HUGE_PAGES';

/**
 * Whether worker processes started with `env` ask for huge pages: JOBLIB_TS_HUGE_PAGES `0` says
 * no, `1` or unset yes. Throws InvalidOptionError for another value.
 */
export function hugePagesWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  const setting = env[HUGE_PAGES];
  if (setting === undefined || setting === '' || setting === '1') return true;
  if (setting === '0') return false;
  throw new InvalidOptionError(`${HUGE_PAGES} must be 0 (worker processes without huge pages) or 1 (with them, the ` +
    `default on Linux), got '${setting}'.`);
}
