// A worker's console output, written synchronously to its file descriptors.

import { writeSync } from 'node:fs';

/**
 * A task's output must be out before its result: the parent may exit as soon as it has the
 * results, and take its workers down. Node queues writes to a busy pipe in the writer (a
 * process) or sends a thread's output to the main thread on a port of its own; either way
 * output was lost (a task printing 20,000 lines kept 1 to 279 of them). Written synchronously
 * to the fds instead, it reaches the terminal or pipe before the result leaves.
 */
export function writeStdioDirectly(): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      const bytes = typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : chunk;
      for (let at = 0; at < bytes.byteLength;) {
        try {
          at += writeSync(fd, bytes, at);
        } catch (error) {
          // A non-blocking pipe that is full: wait for its reader rather than drop output.
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break;
          Atomics.wait(wait, 0, 0, 1);
        }
      }
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
}
