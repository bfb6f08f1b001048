// The worker side of registered types in task arguments: the parent sends the definitions of
// the types a batch holds ahead of it (once per worker); the worker registers them, and decodes
// the batch only then, when it is about to run it. A batch it cannot read fails by itself, with
// the task named and the reason (such as why a type could not be registered), instead of
// taking the worker down.

import { SerializationError } from '../../../errors.js';
import { loadType } from '../../../serialization/functions/type-loader.js';
import type { TypeRef } from '../../../serialization/functions/type-ref.js';
import type { ReceivedFrame } from '../wire/frames.js';
import type { BatchMessage } from '../wire/messages.js';
import { decodeLeniently, firstUndecodable, type UndecodableFailure } from '../wire/undecodable.js';

/** Why a type the parent sent could not be registered here, by name: the batches holding one fail with it. */
const failures = new Map<string, unknown>();

/** Registers the types the parent sent; a failure is kept for the batch that needs the type. */
export async function loadTypeDefs(defs: readonly TypeRef[]): Promise<void> {
  for (const ref of defs) {
    try {
      await loadType(ref);
      failures.delete(ref.name);
    } catch (error) {
      failures.set(ref.name, error);
    }
  }
}

const WORKER_SIDE = {
  value: 'arguments',
  where: 'the worker',
  fix: (typeName: string) => {
    const failure = failures.get(typeName);
    return failure instanceof Error ? failure.message
      : `Register it where workers see it: call registerType(YourClass, { name: "${typeName}", … }) at the top level ` +
        'of a module, next to the class.';
  },
  cause: (typeName: string) => failures.get(typeName),
} as const;

/** The batch a frame holds, or the failure of the task whose arguments cannot be rebuilt here. */
export function readBatch(frame: ReceivedFrame): BatchMessage | UndecodableFailure {
  let decoded: ReturnType<typeof decodeLeniently>;
  try {
    decoded = decodeLeniently(frame);
  } catch (error) {
    return { index: 0, error: new SerializationError(
      `The worker could not read a batch of tasks (a corrupt frame): ${error instanceof Error ? error.message : String(error)}`,
      'args', { cause: error }) };
  }
  const batch = decoded.message as BatchMessage;
  if (!decoded.undecodable) return batch;
  const { count, arity, args, first } = batch;
  const argsOf = (index: number): unknown => (arity < 0 ? (args as readonly unknown[])[index]
    : Array.prototype.slice.call(args, index * arity, index * arity + arity));
  return firstUndecodable(count, argsOf, first, WORKER_SIDE) ?? batch;
}
