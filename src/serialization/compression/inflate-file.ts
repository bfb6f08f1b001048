// zlib and gzip files inflated as they are read: the compressed bytes pass through two reused
// 4 MiB chunks, and Node's own zlib, driven by the native helpers, inflates each chunk straight
// into the one output buffer (allocated by us, so on huge pages) while the next chunk is read.
// Reading the file whole first held the compressed file beside its content (26% of 200 MB of
// doubles), and node:zlib's own output buffer took a page fault per 4 KiB.
//
// Only the path where everything is as it should be is taken here. For a stream that fails,
// ends early or late, holds more or less than its header declares, or is not a joblib-ts file
// this returns null, and the caller reads the file whole, where deflate-method.ts names what
// is wrong exactly as it does without the native helpers.

import { constants as bufferConstants } from 'node:buffer';
import { freshBuffer } from '../../huge-pages.js';
import { type InflateStream, type NativeHelpers, nativeHelpers } from '../../native.js';
import type { Decompressed, ReadAt, ReadAtSync, SizeHint } from './compressor.js';
import { fill, fillSync } from './read-window.js';

/** Each chunk of the file read: one is inflated while the next is read. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** The joblib-ts container header, what the size hint reads. */
const HEAD_BYTES = 64;
/** zlib's statuses. */
const Z_OK = 0;
const Z_STREAM_END = 1;

/** Deflate cannot expand more than ~1032x; more output than that is a zip bomb or a lie. */
export const maxInflated = (compressedBytes: number): number =>
  Math.min(bufferConstants.MAX_LENGTH, compressedBytes * 1032 + (1 << 20));

type Step = (input: Uint8Array, output: Uint8Array) => void | Promise<void>;

/** One file's inflation: first into a 64-byte head, then into an output of the size it declares. */
class Inflation {
  /** zlib's status, input consumed and output produced, of the last step. */
  readonly results = new Float64Array(3);
  private readonly head = Buffer.allocUnsafe(HEAD_BYTES);
  private output: Buffer | undefined;
  private produced = 0;
  /** File bytes the stream has consumed. */
  consumed = 0;
  ended = false;
  /** Something is not as it should be: the caller falls back to reading the file whole. */
  failed = false;

  constructor(readonly stream: InflateStream, private readonly fileSize: number, private readonly sizeHint: SizeHint) {}

  /** Where the next step writes, or null (failed) when the head declares no usable size. */
  private target(): Uint8Array | null {
    if (this.output) return this.output.subarray(this.produced);
    if (this.produced < HEAD_BYTES) return this.head.subarray(this.produced);
    const size = this.sizeHint(this.head); // throws for content that is not a joblib-ts file
    if (size === null || size < HEAD_BYTES || size > maxInflated(this.fileSize)) return null;
    this.output = freshBuffer(size);
    this.head.copy(this.output);
    return this.output.subarray(this.produced);
  }

  /**
   * Where the next step of `chunk` from `at` writes; null when the chunk is done, the stream
   * ended, or something failed (marked so).
   */
  private next(chunk: Uint8Array, at: number): Uint8Array | null {
    if (at >= chunk.byteLength || this.ended || this.failed) return null;
    const target = this.target();
    if (target === null) this.failed = true;
    return target;
  }

  /** Inflates all of `chunk` (or up to the stream's end) through `step`. */
  async feed(chunk: Uint8Array, step: Step): Promise<void> {
    for (let at = 0, target = this.next(chunk, at); target; target = this.next(chunk, at)) {
      await step(chunk.subarray(at), target);
      at += this.advance();
    }
  }

  /** feed, each step on this thread. */
  feedSync(chunk: Uint8Array, step: (input: Uint8Array, output: Uint8Array) => void): void {
    for (let at = 0, target = this.next(chunk, at); target; target = this.next(chunk, at)) {
      step(chunk.subarray(at), target);
      at += this.advance();
    }
  }

  /** Takes in a step's results; the input bytes it consumed. */
  private advance(): number {
    const [status, used, made] = this.results as unknown as [number, number, number];
    this.consumed += used;
    this.produced += made;
    if (status === Z_STREAM_END) this.ended = true;
    // An error, or no progress (the output is full while the stream goes on): let the whole-file
    // path say which.
    else if (status !== Z_OK || (used === 0 && made === 0)) this.failed = true;
    return used;
  }

  /** The content, when the stream ended with the file and filled exactly the declared size. */
  finish(): Decompressed | null {
    const { output } = this;
    const whole = this.ended && this.consumed === this.fileSize && this.produced === output?.byteLength;
    if (this.failed || !whole) return null;
    // zlib checked the adler32 (zlib) or the CRC-32 and length (gzip) at the stream's end.
    return { bytes: output!, verified: true };
  }
}

/** The native helpers and a new stream, when they can inflate this file here; null otherwise. */
function open(gzip: boolean, fileSize: number, sizeHint: SizeHint | undefined):
  { native: NativeHelpers; inflation: Inflation } | null {
  const native = nativeHelpers();
  const stream = native && sizeHint && fileSize > 0 ? native.inflateOpen(gzip) : null;
  return stream && { native: native!, inflation: new Inflation(stream, fileSize, sizeHint!) };
}

/**
 * Inflates the zlib (or gzip) file behind `readAt` as it is read; `onRead(n)`: n file bytes
 * read so far. Null when the native helpers cannot, or anything is amiss (then read it whole).
 */
export async function inflateFile(gzip: boolean, readAt: ReadAt, fileSize: number, sizeHint: SizeHint | undefined,
  onRead?: (bytes: number) => void): Promise<Decompressed | null> {
  const opened = open(gzip, fileSize, sizeHint);
  if (!opened) return null;
  const { native, inflation } = opened;
  const step: Step = (input, output) => native.inflateStepAsync(inflation.stream, input, output, inflation.results);
  const chunks = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
  let reading = fill(readAt, chunks[0]!, 0);
  try {
    for (let position = 0, c = 0; position < fileSize; c ^= 1) {
      const filled = await reading;
      if (filled === 0) break; // the file is shorter than it was
      position += filled;
      // The next chunk is read while this one is inflated.
      reading = position < fileSize ? fill(readAt, chunks[c ^ 1]!, position) : Promise.resolve(0);
      await inflation.feed(chunks[c]!.subarray(0, filled), step);
      onRead?.(position);
      if (inflation.ended || inflation.failed) break;
    }
  } finally {
    await reading.catch(() => 0); // no read may still write into a chunk after this returns
  }
  return inflation.finish();
}

/** inflateFile on this thread. */
export function inflateFileSync(gzip: boolean, readAt: ReadAtSync, fileSize: number, sizeHint: SizeHint | undefined,
  onRead?: (bytes: number) => void): Decompressed | null {
  const opened = open(gzip, fileSize, sizeHint);
  if (!opened) return null;
  const { native, inflation } = opened;
  const step = (input: Uint8Array, output: Uint8Array): void =>
    native.inflateStep(inflation.stream, input, output, inflation.results);
  const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  for (let position = 0; position < fileSize;) {
    const filled = fillSync(readAt, chunk, position);
    if (filled === 0) break;
    position += filled;
    inflation.feedSync(chunk.subarray(0, filled), step);
    onRead?.(position);
    if (inflation.ended || inflation.failed) break;
  }
  return inflation.finish();
}
