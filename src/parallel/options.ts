// Validation and resolution of Parallel's options, with joblib's rules and messages: nJobs
// (negative counts from the CPU count, 0 is meaningless), batchSize, and preDispatch
// expressions such as '2*nJobs' (joblib's eval_expr: numbers and + - * / // % ** only).

import { InvalidOptionError } from '../errors.js';
import { cpuCount } from './cpu-count.js';

export { parseBytes } from '../byte-size.js';

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

/** preDispatch → a task count: `'all'` is Infinity; expressions may use `nJobs` (or `n_jobs`). */
export function preDispatchCount(preDispatch: unknown, nJobs: number): number {
  if (preDispatch === undefined) return 2 * nJobs;
  if (preDispatch === 'all') return Infinity;
  if (typeof preDispatch === 'number') {
    if (Number.isInteger(preDispatch) && preDispatch > 0) return preDispatch;
    throw new InvalidOptionError(`preDispatch must be a positive integer, 'all' or an expression such as '2*nJobs', got ${preDispatch}.`);
  }
  if (typeof preDispatch !== 'string') {
    throw new InvalidOptionError(`preDispatch must be a positive integer, 'all' or an expression such as '2*nJobs', got ${describe(preDispatch)}.`);
  }
  const value = Math.trunc(evaluateExpression(preDispatch.replace(/\bn_?[jJ]obs\b/g, String(nJobs))));
  if (value < 1) throw new InvalidOptionError(`preDispatch '${preDispatch}' evaluates to ${value}; it must be at least 1.`);
  return value;
}

const MAX_EXPRESSION_LENGTH = 30;
const MAX_MAGNITUDE = 1e6;

/** joblib's eval_expr: arithmetic on numeric literals, at most 30 characters and magnitudes ≤ 1e6. */
export function evaluateExpression(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new InvalidOptionError(`The expression '${expression}' is longer than ${MAX_EXPRESSION_LENGTH} characters.`);
  }
  const tokens = expression.match(/\d+(?:\.\d*)?|\*\*|\/\/|[-+*/%()]|\S/g) ?? [];
  let position = 0;
  const fail = (why: string): never => {
    throw new InvalidOptionError(`Cannot evaluate the expression '${expression}': ${why}. Use numbers, nJobs and + - * / // % **.`);
  };
  const check = (n: number): number => (Math.abs(n) > MAX_MAGNITUDE || !Number.isFinite(n) ? fail('a value exceeds 1e6') : n);
  const peek = (): string | undefined => tokens[position];
  const primary = (): number => {
    const token = tokens[position++];
    if (token === undefined) return fail('it ends early');
    if (token === '-') return check(-primary());
    if (token === '+') return primary();
    if (token === '(') {
      const value = sum();
      if (tokens[position++] !== ')') fail('a parenthesis is not closed');
      return value;
    }
    if (/^\d/.test(token)) return check(Number(token));
    return fail(`'${token}' is not allowed`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '**') {
      position += 1;
      return check(base ** power());
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    for (let op = peek(); op === '*' || op === '/' || op === '//' || op === '%'; op = peek()) {
      position += 1;
      const right = power();
      value = check(op === '*' ? value * right : op === '/' ? value / right : op === '//' ? Math.floor(value / right)
        : value - right * Math.floor(value / right));
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      position += 1;
      value = check(op === '+' ? value + product() : value - product());
    }
    return value;
  };
  const value = sum();
  if (position !== tokens.length) fail(`unexpected '${tokens[position]}'`);
  return value;
}

const describe = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : String(value));
