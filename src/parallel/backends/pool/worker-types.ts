// The worker side of registered types in task arguments: a batch is decoded only when the
// worker is about to run it, and a batch it cannot read fails by itself, with the task named,
// instead of taking the worker down.

import { SerializationError } from '../../../errors.js';
import type { ReceivedFrame } from './channel.js';
import type { BatchMessage } from './messages.js';
import { decodeLeniently, firstUndecodable, type UndecodableFailure } from './undecodable.js';

const WORKER_SIDE = {
  value: 'arguments',
  where: 'the worker',
  fix: (typeName: string) => `Register it where workers see it: call registerType(YourClass, { name: "${typeName}", ` +
    '… }) at the top level of a module, such as the one that defines the class.',
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
