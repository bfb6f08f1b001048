// Turning what a worker reported into the error the caller catches: the original class where
// it can be found (built-ins, joblib-ts's own error classes, classes exported by the task's
// module), its own properties, and a `cause` that holds the worker-side stack and the task's position.

import { joblibErrorPrototype, RemoteTaskError } from '../errors.js';
import type { FunctionRef } from '../serialization/functions/function-ref.js';

/**
 * Rebuilds the error task `taskIndex` threw in worker `pid` (thread `threadId` of it, on threads;
 * on machine `host`, for a distributed backend).
 */
export async function rebuildTaskError(
  thrown: unknown, stack: string, taskIndex: number, ref: FunctionRef | undefined, pid: number | undefined,
  threadId?: number, host?: string,
): Promise<Error> {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (Object.getPrototypeOf(error) === Error.prototype && !restoreJoblibClass(error) && ref?.kind === 'module') {
    await restoreClass(error, ref.url);
  }
  const previous: unknown = error.cause;
  const remote = new RemoteTaskError(taskIndex, ref?.name ?? '<function>', pid, stack,
    { ...(previous !== undefined && { cause: previous }), threadId, host });
  Object.defineProperty(error, 'cause', { value: remote, writable: true, configurable: true });
  return error;
}

/**
 * One of this library's errors (a FormatError from `load`, an InvalidOptionError from a nested
 * Parallel): its class, found by its name, when its `code` says it is ours.
 */
export function restoreJoblibClass(error: Error): boolean {
  const prototype = joblibErrorPrototype(error.name);
  const { code } = error as { code?: unknown };
  if (!prototype || typeof code !== 'string' || !code.startsWith('ERR_JOBLIB_')) return false;
  Object.setPrototypeOf(error, prototype);
  // As the class defines it: not enumerable, so printing the error does not show its name twice.
  Object.defineProperty(error, 'name', { value: error.name, writable: true, configurable: true, enumerable: false });
  return true;
}

/** A class of the task's module named like the error, if it is an Error subclass. */
async function restoreClass(error: Error, url: string): Promise<void> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch {
    return;
  }
  const candidates = [namespace[error.name], (namespace.default as Record<string, unknown> | undefined)?.[error.name]];
  for (const candidate of candidates) {
    if (typeof candidate === 'function' && candidate.prototype instanceof Error) {
      Object.setPrototypeOf(error, candidate.prototype as object);
      // A subclass usually sets `name` on its instances; the stored one is already an own property.
      return;
    }
  }
}
