// Validation and resolution of Parallel's options, with joblib's rules and messages: every
// option's type checked before anything runs (unknown names refused), nJobs (negative counts from
// the CPU count, 0 is meaningless), batchSize, and preDispatch expressions such as '2*nJobs'
// (joblib's eval_expr: numbers and + - * / // % ** only).

import { parseBytes } from '../byte-size.js';
import { InvalidOptionError } from '../errors.js';
import { refuseUnknownOptions } from '../unknown-options.js';
import { cpuCount } from './cpu-count.js';
import type { ParallelBackend } from './backends/backend.js';
import type { ParallelOptions } from './parallel.js';

export { parseBytes };

type OptionCheck = (value: unknown, name: string) => void;

const oneOf = (...allowed: readonly unknown[]): OptionCheck => (value, name) => {
  if (!allowed.includes(value)) {
    throw new InvalidOptionError(`${name} must be ${allowed.map((a) => (a === null ? 'null' : `'${String(a)}'`)).join(', ')
      .replace(/, ([^,]*)$/, ' or $1')}, got ${describe(value)}.`);
  }
};

const positiveInteger: OptionCheck = (value, name) => {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new InvalidOptionError(`${name} must be a positive integer, got ${describe(value)}.`);
  }
};

/**
 * What each option of Parallel may be (`undefined` always may: it means "not given"). Typed over
 * every key of ParallelOptions, so a new option cannot be added without its check; the keys are
 * also the names an options bag may use.
 */
const OPTION_CHECKS: { readonly [K in keyof ParallelOptions]-?: OptionCheck } = {
  nJobs: (value) => void (value === null || effectiveNJobs(value as number)),
  backend: (value, name) => {
    if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      const missing = BACKEND_MEMBERS.filter(([member, kind]) => typeof object[member] !== kind);
      if (missing.length === 0) return;
      throw new InvalidOptionError(`${name} must be the name of a registered backend or an object implementing ` +
        `ParallelBackend; the object given has no ${missing.map(([member]) => member).join(', ')}.`);
    }
    if (typeof value !== 'string' || value === '') {
      throw new InvalidOptionError(`${name} must be the name of a registered backend ('process', 'threads', ` +
        `'sequential', ...) or a ParallelBackend object, got ${describe(value)}.`);
    }
  },
  backendParams: (value, name) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidOptionError(`${name} must be an object of parameters for the backend's factory, got ${describe(value)}.`);
    }
  },
  prefer: oneOf('processes', 'threads', null),
  require: oneOf('sharedmem', null),
  maxNbytes: (value, name) => void (value === null || parseBytes(value as number, name)),
  tempFolder: (value, name) => {
    if (typeof value !== 'string') throw new InvalidOptionError(`${name} must be a folder path (a string), got ${describe(value)}.`);
  },
  initializer: (value, name) => {
    if (typeof value !== 'function') {
      throw new InvalidOptionError(`${name} must be a function, got ${describe(value)}: a module export or a ` +
        'self-contained function, as tasks are.');
    }
  },
  innerMaxNumThreads: positiveInteger,
  returnAs: oneOf('array', 'generator', 'generatorUnordered'),
  batchSize: (value) => void checkBatchSize(value),
  // An expression is evaluated once nJobs is known.
  preDispatch: (value) => void (typeof value === 'string' || preDispatchCount(value, 1)),
  timeout: (value, name) => void checkDuration(value, name),
  onTimeout: oneOf('abort', 'continue'),
  signal: (value, name) => {
    if (value !== null && !isAbortSignal(value)) {
      throw new InvalidOptionError(`${name} must be an AbortSignal (from new AbortController().signal or ` +
        `AbortSignal.timeout(ms)), got ${describe(value)}.`);
    }
  },
  verbose: (value, name) => {
    if (typeof value !== 'number' || !(value >= 0)) throw new InvalidOptionError(`${name} must be a number ≥ 0, got ${describe(value)}.`);
  },
  onProgress: (value, name) => {
    if (typeof value !== 'function') {
      throw new InvalidOptionError(`${name} must be a function ({ completed, total, elapsedMs }) => void, got ${describe(value)}.`);
    }
  },
  idleTimeout: (value, name) => void checkDuration(value, name),
  maxTasksPerWorker: (value, name) => {
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new InvalidOptionError(`${name} must be an integer ≥ 0 (0: never), got ${describe(value)}.`);
    }
  },
  workerMemoryLimit: (value, name) => void parseBytes(value as number, name),
  env: (value, name) => checkEnv(value, name),
};

/** What an object must have to serve as a backend: the members of ParallelBackend. */
const BACKEND_MEMBERS: readonly (readonly [keyof ParallelBackend, string])[] = [['name', 'string'],
  ['capabilities', 'object'], ['effectiveNJobs', 'function'], ['nestedBackend', 'function'], ['prepare', 'function'],
  ['submit', 'function'], ['abort', 'function']];

/** Every option name of Parallel. */
export const PARALLEL_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(OPTION_CHECKS));

/**
 * Refuses, before anything runs, an options bag of `owner` (Parallel, parallelConfig) with a name
 * outside `known` or a value of the wrong type: a callback that is not a function would otherwise
 * throw inside the pool, where nothing can catch it.
 */
export function checkParallelOptions(options: unknown, known: ReadonlySet<string>, owner: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`The options of ${owner} must be an object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key) && PARALLEL_OPTION_NAMES.has(key)) {
      throw new InvalidOptionError(`'${key}' is an option of Parallel itself, not of ${owner}: pass it to Parallel(...).`);
    }
  }
  refuseUnknownOptions(options, known, owner);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) OPTION_CHECKS[key as keyof ParallelOptions](value, key);
  }
  // joblib's rule: parameters for a backend's constructor come with its name, and only then.
  const { backend, backendParams } = options as ParallelOptions;
  if (backendParams !== undefined && typeof backend === 'object') {
    throw new InvalidOptionError('backendParams cannot reach a backend given as an object (it was made already): pass ' +
      'them to its constructor, or register a factory with registerParallelBackend and name it.');
  }
  if (backendParams !== undefined && backend === undefined) {
    throw new InvalidOptionError('backendParams go to the factory of the backend named beside them: give backend: ' +
      '\'<name>\' in the same options.');
  }
}

/** An AbortSignal, or one from another realm or polyfill: what a call needs of it. */
function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null;
  return typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

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

/** A value as a message shows it: `'x'` for a string, `an object` rather than `[object Object]`. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
