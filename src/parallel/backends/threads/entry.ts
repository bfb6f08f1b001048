// The entry script of a worker thread: frames are posted as buffers through `parentPort`, with
// the SharedArrayBuffers they name alongside, so shared memory crosses by reference both ways;
// console output is written synchronously to the process's fds.

import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { type PackedFrame, packForThread, receivedFrames, type ThreadPost, transferList } from '../wire/frames.js';
import { frameTag } from '../wire/messages.js';
import { writeStdioDirectly } from '../worker/stdio.js';
import { runWorker, type Transport } from '../worker/worker-main.js';

function threadTransport(): Transport {
  const port = parentPort!;
  let corked = 0;
  let frames: PackedFrame[] = [];
  let shared: SharedArrayBuffer[] = [];
  const flush = (): void => {
    if (frames.length === 0) return;
    const post: ThreadPost = { frames, shared };
    frames = [];
    shared = [];
    port.postMessage(post, transferList(post.frames));
  };
  return {
    start(onFrame) {
      port.on('message', (post: ThreadPost) => {
        for (const frame of receivedFrames(post)) onFrame(frame);
      });
    },
    send(message) {
      // Results that live in shared memory go back by reference too.
      frames.push(packForThread(message, shared, undefined, { tag: frameTag(message) }));
      if (corked === 0) flush();
    },
    cork: () => {
      corked += 1;
    },
    uncork: () => {
      if (corked > 0 && --corked === 0) flush();
    },
    exitAfterFlush: () => {
      flush();
      // Posted messages are delivered before the thread's 'exit'; timers a task left behind do not keep it.
      process.exit(0);
    },
    // The thread's own heap: its RSS would be the whole process's.
    memoryInUse: () => {
      const heap = getHeapStatistics();
      return heap.used_heap_size + heap.external_memory;
    },
  };
}

writeStdioDirectly();
runWorker(threadTransport());
