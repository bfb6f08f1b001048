// preDispatch (joblib's pre_dispatch): how many tasks are read ahead of the workers, as a
// number, 'all', or an expression such as '2*nJobs' evaluated once the worker count is known
// (joblib's eval_expr: numbers and + - * / // % ** only).

import { InvalidOptionError } from '../errors.js';
import { describe } from './option-checks.js';

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

/** Checks a preDispatch before nJobs is known: its form, and an expression's syntax. */
export function checkPreDispatch(preDispatch: unknown): void {
  if (typeof preDispatch === 'string' && preDispatch !== 'all') {
    evaluateExpression(preDispatch.replace(/\bn_?[jJ]obs\b/g, '1'));
  } else {
    preDispatchCount(preDispatch, 1);
  }
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
