// The worker's batch loop (runWorker), driven in this process through an in-memory transport:
// what every runtime (process, thread, a future one) gets from it, without starting a worker.

import { describe, expect, it } from 'vitest';
import { decodeFrame, packForThread, type ReceivedFrame, receivedFrames } from '../../src/parallel/backends/wire/frames.js';
import { batchMessage, frameTag, type ParentMessage, type WorkerMessage } from '../../src/parallel/backends/wire/messages.js';
import { runWorker, type Transport } from '../../src/parallel/backends/worker/worker-main.js';

/** A transport whose parent is this test: frames in, messages out (through the codec, as on a real wire). */
function memoryTransport() {
  const sent: WorkerMessage[] = [];
  let deliver: ((frame: ReceivedFrame) => void) | undefined;
  let end: (() => void) | undefined;
  let exited = false;
  let waiting: (() => void) | undefined;
  const transport: Transport = {
    start(onFrame, onEnd) {
      deliver = onFrame;
      end = onEnd;
    },
    send(message) {
      const frame = receivedFrames({ frames: [packForThread(message, [])], shared: [] })[0]!;
      sent.push(decodeFrame(frame) as WorkerMessage);
      waiting?.();
    },
    cork: () => undefined,
    uncork: () => undefined,
    exitAfterFlush: () => {
      exited = true;
    },
    memoryInUse: () => 0,
  };
  const post = (message: ParentMessage | ReturnType<typeof batchMessage>): void => {
    deliver!(receivedFrames({ frames: [packForThread(message, [], undefined, { tag: frameTag(message) })], shared: [] })[0]!);
  };
  const next = async (t: WorkerMessage['t']): Promise<WorkerMessage> => {
    for (;;) {
      const found = sent.find((m) => m.t === t);
      if (found) {
        sent.splice(sent.indexOf(found), 1);
        return found;
      }
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  return { transport, post, next, close: () => end!(), exited: () => exited };
}

const sqrt = { kind: 'global', name: 'sqrt', path: ['Math', 'sqrt'] } as const;
const parse = { kind: 'global', name: 'parse', path: ['JSON', 'parse'] } as const;

describe('runWorker', () => {
  it('says it is ready, runs batches in order, reports a failing task by its index, and exits once closed', async () => {
    const worker = memoryTransport();
    runWorker(worker.transport);
    expect(await worker.next('ready')).toEqual({ t: 'ready', pid: process.pid });

    worker.post(batchMessage(1, { fnIds: [1, 1, 1], args: [[4], [9], [16]], firstIndex: 0, timeoutMs: undefined }, [[1, sqrt]]));
    expect(await worker.next('done')).toMatchObject({ id: 1, results: [2, 3, 4], recycle: false });

    worker.post(batchMessage(2, { fnIds: [2, 2], args: [['1'], ['{']], firstIndex: 3, timeoutMs: undefined }, [[2, parse]]));
    const failure = await worker.next('fail');
    expect(failure).toMatchObject({ id: 2, index: 1 });
    expect((failure as { error: Error }).error).toBeInstanceOf(SyntaxError);

    expect(worker.exited()).toBe(false);
    worker.close();
    expect(worker.exited()).toBe(true);
  });

  it('streams each start and result when the batch has a timeout', async () => {
    const worker = memoryTransport();
    runWorker(worker.transport);
    await worker.next('ready');
    worker.post(batchMessage(5, { fnIds: [1, 1], args: [[1], [4]], firstIndex: 0, timeoutMs: 1000 }, [[1, sqrt]]));
    expect(await worker.next('start')).toEqual({ t: 'start', id: 5, index: 0 });
    expect(await worker.next('result')).toEqual({ t: 'result', id: 5, index: 0, value: 1 });
    expect(await worker.next('result')).toEqual({ t: 'result', id: 5, index: 1, value: 2 });
    expect(await worker.next('done')).toMatchObject({ id: 5, results: null });
  });
});
