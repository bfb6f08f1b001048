// Every warning joblib-ts emits, with a type (the `name` Node gives the warning) and a stable
// code, through one helper: a program filters them with `process.on('warning', …)` by code.

/**
 * The warning types: `CacheWarning` for Memory's entries, `JoblibCollisionWarning` for two
 * functions under one cache name (joblib's JobLibCollisionWarning), `JoblibWarning` otherwise.
 *
 * @category Errors
 */
export type JoblibWarningType = 'CacheWarning' | 'JoblibCollisionWarning' | 'JoblibWarning';

/**
 * Every `code` a joblib-ts warning carries. Warnings are Node process warnings (printed on
 * stderr unless Node is told otherwise); filter them by code.
 *
 * @category Errors
 * @example
 * process.on('warning', (warning) => {
 *   if ('code' in warning && warning.code === 'JOBLIB_CACHE_NOT_STORED') alertOps(warning.message);
 * });
 */
export type JoblibWarningCode =
  /** A cached result could not be read (corrupt, unreadable) and is computed again. */
  | 'JOBLIB_CACHE_UNREADABLE'
  /** A result was returned but could not be stored (unserializable output, full or read-only disk). */
  | 'JOBLIB_CACHE_NOT_STORED'
  /** A cached function's source changed: its old entries were cleared. */
  | 'JOBLIB_CACHE_SOURCE_CHANGED'
  /** Two different functions share one cache identity; they are kept apart by their source. */
  | 'JOBLIB_CACHE_NAME_COLLISION'
  /** nJobs is many times the CPU count: workers cost memory and start-up time for no speed. */
  | 'JOBLIB_NJOBS_OVERSUBSCRIBED'
  /** The backend cannot stop a task, so `timeout` is not applied. */
  | 'JOBLIB_TIMEOUT_UNSUPPORTED'
  /** A worker sent a message that could not be read; it is replaced. */
  | 'JOBLIB_WORKER_PROTOCOL'
  /** A backend failed to release what a finished call used (a remote queue's jobs and keys). */
  | 'JOBLIB_BACKEND_RELEASE_FAILED';

/** Emits a process warning of `type` with `code` (seen by `process.on('warning')` and on stderr). */
export function emitJoblibWarning(type: JoblibWarningType, code: JoblibWarningCode, message: string): void {
  process.emitWarning(message, { type, code });
}
