// Reading a file a window at a time through positioned reads, for the decoders that decompress
// a file as it arrives (lz4-file.ts) instead of reading it whole first.

import type { ReadAt, ReadAtSync } from './compressor.js';

/** Fills `window` from `position` to its end or the file's; returns the bytes read. */
export async function fill(readAt: ReadAt, window: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < window.byteLength) {
    const n = await readAt(window, filled, window.byteLength - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

export function fillSync(readAt: ReadAtSync, window: Buffer, position: number): number {
  let filled = 0;
  while (filled < window.byteLength) {
    const n = readAt(window, filled, window.byteLength - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}
