// Checks of option values shared by Parallel's options and the pools' (getReusableExecutor,
// Executor): durations that fit a Node timer, environment variables, nJobs and batch sizes,
// with joblib's rules and messages. Imports nothing of Parallel's, so pools can use it too.

import { InvalidOptionError } from '../errors.js';
import { cpuCount } from './cpu-count.js';

export { parseBytes } from '../byte-size.js';

/** Environment variables for workers: names to strings. */
export function checkEnv(value: unknown, name: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(`${name} must be an object of environment variables (names to strings), got ${describe(value)}.`);
  }
  for (const [key, variable] of Object.entries(value)) {
    if (typeof variable !== 'string') {
      throw new InvalidOptionError(`${name} must map names to strings; ${name}.${key} is ${describe(variable)}. ` +
        'Convert it with String(...).');
    }
  }
}

/** nJobs as given → the number of workers: -1 all CPUs, -2 all but one, null → 1. */
export function effectiveNJobs(nJobs: number | null | undefined): number {
  if (nJobs === null || nJobs === undefined) return 1;
  if (typeof nJobs !== 'number' || !Number.isInteger(nJobs)) {
    throw new InvalidOptionError(
      `nJobs must be an integer (-1 = all CPUs, -2 = all but one, n ≥ 1) or null, got ${describe(nJobs)}.`);
  }
  if (nJobs === 0) {
    throw new InvalidOptionError('nJobs: 0 has no meaning: use 1 to run in this process, n > 1 for n workers, -1 for all CPUs.');
  }
  return nJobs < 0 ? Math.max(cpuCount() + 1 + nJobs, 1) : nJobs;
}

/** The longest delay a Node timer keeps (2^31 − 1 ms, about 24.8 days): a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in milliseconds (`timeout`, `idleTimeout`): a positive number up to MAX_TIMER_MS, or
 * Infinity for "no limit". A finite value past the timer's range is refused rather than treated as
 * "no limit": it is a unit slip or a stand-in for "never" (MAX_SAFE_INTEGER), and Infinity says so.
 */
export function checkDuration(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new InvalidOptionError(`${name} must be a positive number of milliseconds (Infinity: no limit), got ${describe(value)}.`);
  }
  if (value > MAX_TIMER_MS && value !== Infinity) {
    throw new InvalidOptionError(`${name} of ${value} ms is longer than a Node timer can wait (${MAX_TIMER_MS} ms, about ` +
      '24.8 days); use Infinity for no limit.');
  }
  return value;
}

/** `'auto'` or a positive integer. */
export function checkBatchSize(batchSize: unknown): 'auto' | number {
  if (batchSize === undefined || batchSize === 'auto') return 'auto';
  if (typeof batchSize === 'number' && Number.isInteger(batchSize) && batchSize > 0) return batchSize;
  throw new InvalidOptionError(`batchSize must be 'auto' or a positive integer, got ${describe(batchSize)}.`);
}

/** A positive integer, or an InvalidOptionError naming the option. */
export function checkPositiveInteger(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new InvalidOptionError(`${name} must be a positive integer, got ${describe(value)}.`);
  }
}

/** A value as a message shows it: `'x'` for a string, `an object` rather than `[object Object]`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
