// What was thrown, when it may be anything: a stack overflow told apart from other errors, and
// any thrown value described in one line for messages that wrap it.

/**
 * Whether `error` is the engine's stack overflow (a walk nested too deeply). It compares the
 * message, never matches it: a regular expression run at the stack's limit can overflow itself,
 * and Node 24 then throws a SyntaxError in its place.
 */
export const isStackOverflow = (error: unknown): error is RangeError =>
  error instanceof RangeError && error.message === 'Maximum call stack size exceeded';

/**
 * "TypeError: message" for any thrown value, for messages that wrap a user's error. Never
 * throws itself: what a getter or a decode throws may be anything, even a hostile Proxy.
 */
export function describeThrown(thrown: unknown): string {
  try {
    return thrown instanceof Error ? `${String(thrown.name)}: ${String(thrown.message)}` : String(thrown);
  } catch {
    return 'a value that cannot be shown';
  }
}
