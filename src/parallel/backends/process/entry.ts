// The entry script of a worker process: batches come on fd 3 and results leave on fd 4 as
// frames, stdout and stderr stay the user's terminal (written synchronously), and a watchdog
// thread kills this process if the parent dies while a task blocks the event loop.

import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { FrameReader, writeFrame } from '../wire/frames.js';
import { frameTag } from '../wire/messages.js';
import { writeStdioDirectly } from '../worker/stdio.js';
import { runWorker, type Transport } from '../worker/worker-main.js';

/** The fd 3/4 pipes the pool opened for this process (worker-process.ts). */
function processTransport(): Transport {
  const input = new Socket({ fd: 3, readable: true, writable: false });
  const output = new Socket({ fd: 4, readable: false, writable: true });
  input.on('error', () => process.exit(0));
  output.on('error', () => process.exit(0));
  return {
    start(onFrame, onEnd, fileBytes) {
      new FrameReader(input, onFrame, fileBytes);
      input.on('end', onEnd);
    },
    send: (message) => writeFrame(output, message, { tag: frameTag(message) }),
    cork: () => output.cork(),
    uncork: () => output.uncork(),
    exitAfterFlush: () => output.end(() => process.exit(0)),
    memoryInUse: () => process.memoryUsage.rss(),
  };
}

/** A thread that kills this process when the parent is gone, even while a task blocks the main thread. */
function startParentWatchdog(): void {
  const parent = process.ppid;
  const watchdog = new Worker(
    `setInterval(() => {
       if (process.ppid !== ${parent}) process.kill(${process.pid}, 'SIGKILL');
     }, 500);`,
    { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } },
  );
  watchdog.unref();
}

writeStdioDirectly();
startParentWatchdog();
runWorker(processTransport());
