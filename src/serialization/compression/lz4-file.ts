// LZ4 files decoded as they are read: the compressed bytes pass through two reused windows, and
// the native helpers decode each block straight into its place in the one output buffer while
// the next window is read. Peak memory is the content plus the windows; reading the whole file
// first held the compressed file as well (45% of the content for 200 MB of doubles).
//
// Only frames the native decoder places are taken (independent full blocks, a content size, no
// block checksums or dictionary); for any other frame, and for a corrupt one, this returns null
// and the caller reads the file whole, where the block-by-block decoder names what is wrong.

import { freshBuffer } from '../../huge-pages.js';
import { nativeHelpers } from '../../native.js';
import type { Decompressed, ReadAt, ReadAtSync, SizeHint } from './compressor.js';
import { fill, fillSync } from './read-window.js';
import { descriptorOf, type FrameDescriptor, LZ4_MAGIC } from './lz4-frame.js';
import { allPlaced, checkedContent, decodeInRuns } from './lz4-native.js';

/** Each window: several 4 MiB blocks, so that one window's decode overlaps the next one's read. */
const WINDOW_BYTES = 16 * 1024 * 1024;
/** The longest frame header: magic, FLG, BD, content size, dictionary id, header checksum. */
const HEADER_MAX = 4 + 2 + 8 + 4 + 1;
const UNCOMPRESSED_BIT = 0x8000_0000;

/** The blocks wholly inside one window, as the native decoder takes them. */
interface Batch {
  readonly layout: Float64Array;
  readonly results: Float64Array;
  readonly count: number;
}

/** One file's blocks, taken a window at a time; every length checked before anything is decoded. */
class FileDecoding {
  readonly output: Buffer;
  /** The file position of the next block header. */
  position: number;
  /** Whether the end mark was read. */
  ended = false;
  private index = 0;
  private readonly batches: Batch[] = [];
  private readonly size: number;

  constructor(private readonly frame: FrameDescriptor, private readonly fileSize: number) {
    this.size = frame.contentSize!;
    this.output = freshBuffer(this.size);
    this.position = frame.headerBytes;
  }

  /**
   * The blocks wholly inside `window[0, filled)`, which holds the file from `position`; the
   * position moves past them. Null when the frame is not what the native decoder places, or
   * is truncated or corrupt: the caller then reads the file whole.
   */
  take(window: Buffer, filled: number): Batch | null {
    const { blockMax } = this.frame;
    const entries: number[] = [];
    let at = 0;
    while (at + 4 <= filled) {
      const word = window.readUInt32LE(at);
      if (word === 0) {
        this.ended = true;
        at += 4;
        break;
      }
      const length = word & 0x7fff_ffff;
      const start = this.index * blockMax;
      if (length > blockMax || start >= this.size) return null;
      if (at + 4 + length > filled) break; // the rest of this block comes with the next window
      const raw = (word & UNCOMPRESSED_BIT) !== 0 ? 1 : 0;
      entries.push(at + 4, at + 4 + length, start, Math.min(blockMax, this.size - start), raw);
      at += 4 + length;
      this.index += 1;
    }
    if (at === 0) return null; // not even one block fits: the file ends inside it
    this.position += at;
    const count = entries.length / 5;
    const batch = { layout: Float64Array.from(entries), results: new Float64Array(count), count };
    this.batches.push(batch);
    return batch;
  }

  /** The content once every block decoded to exactly its place and the frame ends the file. */
  finish(sizeHint: SizeHint | undefined): Decompressed | null {
    const end = this.position + (this.frame.hasChecksum ? 4 : 0);
    if (end !== this.fileSize || this.index * this.frame.blockMax < this.size) return null;
    const placed = this.batches.every(({ layout, results, count }) => allPlaced(layout, results, count));
    return placed ? checkedContent(this.output, sizeHint) : null;
  }
}

/** The frame's descriptor when the native helpers can decode this file as it is read, else null. */
function streamable(head: Buffer, fileSize: number): FrameDescriptor | null {
  if (head.byteLength < 4 || !head.subarray(0, 4).equals(LZ4_MAGIC)) return null;
  const frame = descriptorOf(head, fileSize);
  const { independent, blockChecksums, hasDictionary, contentSize, blockMax } = frame;
  if (!independent || blockChecksums || hasDictionary || !contentSize) return null;
  return blockMax + 4 > WINDOW_BYTES ? null : frame;
}

/**
 * Decodes the LZ4 file behind `readAt` (of `fileSize` bytes) as it is read; `onRead(n)` is told
 * the file bytes read so far. Null when the native helpers are not there or the frame is not one
 * they decode this way (then read the file whole). Throws FormatError for a corrupt descriptor.
 */
export async function lz4DecodeFile(
  readAt: ReadAt, fileSize: number, sizeHint: SizeHint | undefined, onRead?: (bytes: number) => void,
): Promise<Decompressed | null> {
  const native = nativeHelpers();
  if (!native) return null;
  const head = Buffer.alloc(HEADER_MAX);
  const frame = streamable(head.subarray(0, await fill(readAt, head, 0)), fileSize);
  if (!frame) return null;
  const decoding = new FileDecoding(frame, fileSize);
  const windows = [freshBuffer(WINDOW_BYTES), freshBuffer(WINDOW_BYTES)];
  const busy: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  try {
    for (let w = 0; !decoding.ended; w ^= 1) {
      await busy[w]; // that window's blocks are decoded: it may be read into again
      const batch = decoding.take(windows[w]!, await fill(readAt, windows[w]!, decoding.position));
      if (!batch) return null;
      // Two runs: one a core here.
      busy[w] = decodeInRuns(native, windows[w]!, decoding.output, batch.layout, batch.results, batch.count, 2);
      onRead?.(decoding.position);
    }
  } finally {
    await Promise.all(busy); // no decode may still write after this returns or throws
  }
  return decoding.finish(sizeHint);
}

/** lz4DecodeFile on this thread. */
export function lz4DecodeFileSync(
  readAt: ReadAtSync, fileSize: number, sizeHint: SizeHint | undefined, onRead?: (bytes: number) => void,
): Decompressed | null {
  const native = nativeHelpers();
  if (!native) return null;
  const head = Buffer.alloc(HEADER_MAX);
  const frame = streamable(head.subarray(0, fillSync(readAt, head, 0)), fileSize);
  if (!frame) return null;
  const decoding = new FileDecoding(frame, fileSize);
  const window = freshBuffer(WINDOW_BYTES);
  while (!decoding.ended) {
    const batch = decoding.take(window, fillSync(readAt, window, decoding.position));
    if (!batch) return null;
    native.lz4DecodeBlocks(window, decoding.output, batch.layout, batch.results, 0, batch.count);
    onRead?.(decoding.position);
  }
  return decoding.finish(sizeHint);
}
