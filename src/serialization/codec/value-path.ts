// Where in a value the encoding walk failed, for error messages such as
// "Cannot serialize value.model.layers[1].init": each container the error passes on its way
// up adds its own key, so the hot path keeps no path state at all.

import { JoblibError } from '../../errors.js';
import { describeThrown, isStackOverflow } from '../../thrown.js';
import type { BinaryValue } from './binary-types.js';

/** Thrown inside the walk; the containers on the way up prepend their key to `segments`. */
export class PathedError extends Error {
  readonly segments: string[] = [];
  constructor(
    message: string,
    readonly original?: unknown,
  ) {
    super(message);
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
export const keySegment = (key: string | number): string =>
  typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;

export function describeClass(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  return name ? `an instance of class ${name}` : 'an object with a custom prototype';
}

/**
 * `error` as a PathedError. Any other error thrown during the walk, but our own (a JoblibError,
 * such as the TempFolderError of a large argument's write, which says what to do already), came
 * from the value itself: a getter, a Proxy trap or a registered type's encode. It is wrapped, so
 * that it too names where it happened, with the original as cause.
 */
export function asPathed(error: unknown): PathedError {
  if (error instanceof PathedError) return error;
  return new PathedError(
    `threw ${describeThrown(error)} when read (by a getter, a Proxy trap or a registered type's encode). ` +
      'Fix that code, or leave this value out of what you serialize.',
    error,
  );
}

/**
 * Thrown by a walk that does not track references when it meets what only a tracking walk can
 * write (a nesting deep enough to be a cycle); the encoder then walks again, tracking.
 */
export class NeedsTracking extends Error {}

/** Passed on as they are: the stack overflow (one error for the walk, not a path per frame), ours, and a restart. */
const passesThrough = (error: unknown): boolean =>
  isStackOverflow(error) || error instanceof JoblibError || error instanceof NeedsTracking;

export function withSegment(error: unknown, segment: string): unknown {
  if (passesThrough(error)) return error;
  const pathed = asPathed(error);
  pathed.segments.push(segment);
  return pathed;
}

/** Why a binary value has no bytes to read: its memory was transferred away (detached). */
export function unreadableBinary(value: BinaryValue, error: unknown): PathedError {
  const name = (Object.getPrototypeOf(value) as { constructor: { name: string } }).constructor.name;
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  if (buffer instanceof ArrayBuffer && buffer.byteLength === 0) {
    return new PathedError(
      `is a detached ${name}: its memory was transferred (by postMessage, or structuredClone with transfer), so it ` +
        'has no bytes left to store. Serialize it before transferring it, or serialize a copy.',
      error,
    );
  }
  return asPathed(error);
}
