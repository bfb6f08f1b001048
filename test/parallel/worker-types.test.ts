// How a worker reads a batch frame (worker-types.ts), in this process: a corrupt frame or a
// value that cannot be rebuilt fails the batch at the task that holds it, with the path, rather
// than throwing (which in a worker meant an exit and a TerminatedWorkerError).

import { describe, expect, it } from 'vitest';
import { registerType, SerializationError } from '../../src/index.js';
import { packForThread, receivedFrames } from '../../src/parallel/backends/wire/frames.js';
import { batchMessage } from '../../src/parallel/backends/wire/messages.js';
import type { UndecodableFailure } from '../../src/parallel/backends/wire/undecodable.js';
import { readBatch } from '../../src/parallel/backends/worker/worker-types.js';

class Brittle {
  constructor(readonly v: number) {}
}
registerType(Brittle, {
  name: 'test/Brittle',
  encode: (b) => b.v,
  decode: (v: number) => {
    if (v < 0) throw new RangeError(`negative: ${v}`);
    return new Brittle(v);
  },
});

const frameOf = (args: unknown[][], firstIndex = 10) => {
  const message = batchMessage(7, { fnIds: args.map(() => 1), args, firstIndex, timeoutMs: undefined }, []);
  return receivedFrames({ frames: [packForThread(message, [], undefined, { tag: 7 })], shared: [] })[0]!;
};

describe('readBatch', () => {
  it('reads a batch, registered instances included', () => {
    const batch = readBatch(frameOf([[new Brittle(1)], [new Brittle(2)]]));
    expect(batch).toMatchObject({ t: 'batch', id: 7, count: 2, first: 10 });
    expect('t' in batch && batch.args).toEqual([new Brittle(1), new Brittle(2)]);
  });

  it.each([
    ['the same arity', [[1, 'a'], [2, 'b'], [3, { deep: [new Brittle(-3)] }]], 'args[1].deep[0]'],
    ['different arities', [[1], [2, 'b'], [{ at: new Map([['k', new Brittle(-3)]]) }, 3, 4]], 'args[0].at<Map entry 0>[1]'],
  ])('fails the task holding a value whose decode threw, with its path, with %s', (_, args, path) => {
    const failure = readBatch(frameOf(args as unknown[][]));
    expect(failure).toMatchObject({ index: 2, error: { name: 'SerializationError', path } });
    const { error } = failure as UndecodableFailure;
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toBe(`A value of registered type "test/Brittle" in the arguments of task #12 (${path}) cannot be ` +
      'rebuilt in the worker: its decode threw RangeError: negative: -3. Make decode accept every state its encode ' +
      'returns, in every process.');
    expect(error.cause).toBeInstanceOf(RangeError);
  });

  it('fails the whole batch at its first task when the frame is corrupt', () => {
    const frame = frameOf([[1]]);
    const corrupt = { ...frame, payload: frame.payload.map((byte, i) => (i === 0 ? 0xc1 : byte)) };
    const failure = readBatch(corrupt);
    expect(failure).toMatchObject({ index: 0, error: { name: 'SerializationError', path: 'args' } });
    expect((failure as UndecodableFailure).error.message).toMatch(/^The worker could not read a batch of tasks \(a corrupt frame\): /);
  });
});
