// Values a frame holds that the receiving side cannot rebuild: an instance of a registered type
// it has not registered, or whose decode threw. The decoder leaves a stand-in for each rather
// than failing the whole frame, so only the task whose arguments (in a worker) or result (in the
// parent) hold one fails, with a named error saying which task, where in its value, and why;
// the worker and the stream of frames carry on.

import { SerializationError, UnregisteredTypeError } from '../../../errors.js';
import type { UndecodableHook } from '../../../serialization/codec/decoder.js';
import { keySegment } from '../../../serialization/codec/value-path.js';
import { decodeFrame, type ReceivedFrame } from './frames.js';

/** Stands for a value that could not be rebuilt: `error` is what its decode threw, undefined if its type is unknown. */
class Undecodable {
  constructor(readonly typeName: string, readonly error: unknown) {}
}

// Decoding is synchronous: one flag serves every frame, and no hook is made per frame.
let found = false;
const standIn: UndecodableHook = (typeName, _state, error) => {
  found = true;
  return new Undecodable(typeName, error);
};

/** Decodes a frame with stand-ins for what cannot be rebuilt here. Throws `FormatError` if the frame is corrupt. */
export function decodeLeniently(frame: ReceivedFrame): { message: unknown; undecodable: boolean } {
  found = false;
  const message = decodeFrame(frame, standIn);
  return { message, undecodable: found };
}

/** Which task failed, and why. */
export interface UndecodableFailure {
  /** Position of the task in its batch. */
  readonly index: number;
  readonly error: Error;
}

/**
 * The first task whose value (from `valueOf(index)`, for `count` tasks) holds a stand-in. `side`
 * words the error: which value of task #`first + index` it is, where it was decoded, and the fix.
 */
export function firstUndecodable(count: number, valueOf: (index: number) => unknown, first: number, side: {
  readonly value: 'arguments' | 'result';
  readonly where: string;
  readonly fix: (typeName: string) => string;
  /** Why the type is not registered, when that is known: the `cause` of the UnregisteredTypeError. */
  readonly cause?: (typeName: string) => unknown;
}): UndecodableFailure | undefined {
  const seen = new Set<object>();
  const root = side.value === 'arguments' ? 'args' : 'result';
  for (let index = 0; index < count; index += 1) {
    const hit = search(valueOf(index), root, seen);
    if (!hit) continue;
    const { value: { typeName, error }, path } = hit;
    const what = `A value of registered type "${typeName}" in the ${side.value} of task #${first + index} (${path})`;
    if (error !== undefined) {
      return { index, error: new SerializationError(`${what} cannot be rebuilt in ${side.where}: its decode threw ` +
        `${describe(error)}. Make decode accept every state its encode returns, in every process.`, path, { cause: error }) };
    }
    const cause = side.cause?.(typeName);
    return { index, error: new UnregisteredTypeError(typeName, `${what} cannot be rebuilt in ${side.where}: the type ` +
      `is not registered there. ${side.fix(typeName)}`, cause === undefined ? undefined : { cause }) };
  }
  return undefined;
}

const PARENT_SIDE = {
  value: 'result',
  where: 'this process',
  fix: (typeName: string) => `The worker registered it; register it here too: import the module that calls ` +
    `registerType(YourClass, { name: "${typeName}", … }) before the call.`,
} as const;

/** The first of a batch's results that holds a stand-in, as that task's failure. */
export function undecodableResult(results: readonly unknown[], first: number): UndecodableFailure | undefined {
  return firstUndecodable(results.length, (index) => results[index], first, PARENT_SIDE);
}

/** Depth-first through arrays, objects (class instances too), Maps and Sets; the path as in SerializationError. */
function search(value: unknown, path: string, seen: Set<object>): { value: Undecodable; path: string } | undefined {
  if (value instanceof Undecodable) return { value, path };
  if (value === null || typeof value !== 'object' || seen.has(value) || ArrayBuffer.isView(value)) return undefined;
  seen.add(value);
  let i = 0;
  if (value instanceof Map || value instanceof Set) {
    const kind = value instanceof Map ? 'Map entry' : 'Set item';
    for (const item of value) {
      const hit = search(item, `${path}<${kind} ${i++}>`, seen);
      if (hit) return hit;
    }
    return undefined;
  }
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    const hit = search((value as Record<string, unknown>)[key], path + keySegment(isArray ? Number(key) : key), seen);
    if (hit) return hit;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
