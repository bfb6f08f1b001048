// `parallelConfig(options, fn)`: joblib's `with parallel_config(...)`. Defaults for every
// Parallel created while `fn` runs, libraries' included; scoped with AsyncLocalStorage, so
// they follow `fn`'s async work and never leak into concurrent flows; nested scopes merge.

import { AsyncLocalStorage } from 'node:async_hooks';
import { CONFIG_OPTION_NAMES, checkParallelOptions, type ParallelConfig } from './options.js';

const storage = new AsyncLocalStorage<ParallelConfig>();

/**
 * Runs `fn` with these Parallel defaults and returns what it returns (a promise stays one).
 * Inside, `Parallel()` without those options uses them; an option given to `Parallel` itself
 * still wins. Scopes nest (the inner one's options override the outer's) and end with `fn`.
 * Unknown names and values of the wrong type are an InvalidOptionError here, before `fn` runs.
 * joblib's `with parallel_config(...)`, scoped with AsyncLocalStorage: the defaults follow `fn`'s
 * async work and never leak into flows running concurrently.
 *
 * @param options - Defaults for `Parallel`: see {@link ParallelConfig}.
 * @param fn - Runs with them; its result (a promise too) is returned.
 * @throws {@link InvalidOptionError} for an unknown option name or a value of the wrong type.
 * @category Parallel
 * @example
 * await parallelConfig({ backend: 'threads', nJobs: 2 }, () => library.computeAll(items));
 */
export function parallelConfig<T>(options: ParallelConfig, fn: () => T): T {
  checkParallelOptions(options, CONFIG_OPTION_NAMES, 'parallelConfig');
  const merged: Record<string, unknown> = { ...storage.getStore() };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  // backendParams belong to the backend named with them: an inner scope naming another drops the outer's.
  if (options.backend !== undefined && options.backendParams === undefined) delete merged.backendParams;
  return storage.run(merged as ParallelConfig, fn);
}

/**
 * The defaults in effect here (merged from every enclosing `parallelConfig`); `{}` outside any.
 *
 * @category Parallel
 */
export function activeParallelConfig(): Readonly<ParallelConfig> {
  return storage.getStore() ?? {};
}
