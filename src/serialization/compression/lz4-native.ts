// LZ4 frames decoded by the native helpers (src/native.ts): every block straight into its place
// in one output buffer, several blocks at once on libuv's thread pool. lz4-napi's decoder gives
// each block a fresh buffer of its own, which then had to be copied into the output: twice the
// fresh memory, and a second pass over it.
//
// A block's place is known before decoding when every block but the last is full, as every
// writer makes them (ours, the lz4 CLI, Python's lz4.frame). A frame that breaks that, or a
// corrupt one, is handed back (null) to the block-by-block decoder, which names what is wrong.

import { FormatError } from '../../errors.js';
import { freshBuffer } from '../../huge-pages.js';
import { nativeHelpers, type NativeHelpers } from '../../native.js';
import type { Decompressed, SizeHint } from './compressor.js';

/** Where one block's bytes lie in the frame, and whether they are stored uncompressed. */
export interface Block {
  readonly start: number;
  readonly end: number;
  readonly raw: boolean;
}

/** An LZ4 frame as layoutOf (lz4-frame.ts) reads it: its blocks, and what its descriptor declares. */
export interface FrameLayout {
  readonly blocks: Block[];
  readonly contentSize: number | null;
  readonly blockMax: number;
  readonly contentChecksum: number | null;
}

/** The first bytes a size hint reads (a joblib-ts header). */
const HINT_BYTES = 64;
/** Content below this is decoded on the calling thread: a trip to the thread pool costs more. */
const ASYNC_FROM = 8 * 1024 * 1024;
/** libuv's default thread pool size. */
const JOBS = 4;

interface Plan {
  readonly native: NativeHelpers;
  readonly source: Buffer;
  readonly output: Buffer;
  readonly layout: Float64Array;
  readonly results: Float64Array;
  readonly count: number;
  readonly sizeHint: SizeHint | undefined;
}

/** The plan for decoding `frame` natively, or null when the helpers or the layout do not allow it. */
function planOf(source: Buffer, frame: FrameLayout, sizeHint: SizeHint | undefined): Plan | null {
  const native = nativeHelpers();
  const size = frame.contentSize;
  const count = frame.blocks.length;
  if (!native || size === null || count === 0) return null;
  // Full blocks and a last one of 1..blockMax bytes: nothing else fits this size.
  if (size <= (count - 1) * frame.blockMax || size > count * frame.blockMax) return null;
  const output = freshBuffer(size);
  const layout = new Float64Array(count * 5);
  frame.blocks.forEach((block, i) => {
    const start = i * frame.blockMax;
    layout.set([block.start, block.end, start, Math.min(frame.blockMax, size - start), block.raw ? 1 : 0], i * 5);
  });
  return { native, source, output, layout, results: new Float64Array(count), count, sizeHint };
}

/**
 * The content, once every block decoded to exactly its place; null when one did not (the frame
 * is corrupt, or its blocks are not full), and the block-by-block decoder is to run instead.
 */
function finished(plan: Plan): Decompressed | null {
  return allPlaced(plan.layout, plan.results, plan.count) ? checkedContent(plan.output, plan.sizeHint) : null;
}

/** Whether each of `count` blocks decoded to exactly its capacity (layout's fourth number). */
export function allPlaced(layout: Float64Array, results: Float64Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (results[i] !== layout[i * 5 + 3]) return false;
  return true;
}

/** Decodes `count` blocks on libuv's thread pool, split into up to `runs` runs of neighbours. */
export function decodeInRuns(native: NativeHelpers, source: Buffer, output: Buffer, layout: Float64Array,
  results: Float64Array, count: number, runs: number): Promise<void> {
  const jobs = Math.min(runs, count);
  const pending: Promise<void>[] = [];
  for (let j = 0; j < jobs; j++) {
    const first = Math.floor((j * count) / jobs);
    const end = Math.floor(((j + 1) * count) / jobs);
    pending.push(native.lz4DecodeBlocksAsync(source, output, layout, results, first, end - first));
  }
  return Promise.all(pending).then(() => undefined);
}

/**
 * Natively decoded content, checked against the size the file inside declares. The frame's xxh32
 * content checksum is left unread: xxh32 ran at 1.8 GB/s here (110 ms for 200 MB, as long as the
 * decode), and the container inside carries XXH3 checksums of its structure and its data, which
 * load then verifies at ~13 GB/s (verified: false).
 */
export function checkedContent(output: Buffer, sizeHint: SizeHint | undefined): Decompressed {
  const declared = sizeHint?.(output.subarray(0, Math.min(HINT_BYTES, output.byteLength))) ?? null;
  if (declared !== null && declared !== output.byteLength) {
    throw new FormatError(
      `The LZ4 stream declares ${output.byteLength} bytes of content, but the file inside declares ` +
        `${declared}; one of them is corrupt.`,
    );
  }
  return { bytes: output, verified: false };
}

/** Decodes on this thread; null when the native helpers cannot take this frame (see above). */
export function lz4NativeDecodeSync(
  source: Buffer, frame: FrameLayout, sizeHint: SizeHint | undefined,
): Decompressed | null {
  const plan = planOf(source, frame, sizeHint);
  if (!plan) return null;
  plan.native.lz4DecodeBlocks(plan.source, plan.output, plan.layout, plan.results, 0, plan.count);
  return finished(plan);
}

/** Decodes on libuv's thread pool, the blocks split into up to four runs. */
export async function lz4NativeDecode(
  source: Buffer, frame: FrameLayout, sizeHint: SizeHint | undefined,
): Promise<Decompressed | null> {
  const plan = planOf(source, frame, sizeHint);
  if (!plan) return null;
  const { native, output, layout, results, count } = plan;
  if (output.byteLength < ASYNC_FROM) native.lz4DecodeBlocks(source, output, layout, results, 0, count);
  else await decodeInRuns(native, source, output, layout, results, count, JOBS);
  return finished(plan);
}
