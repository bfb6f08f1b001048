// LZ4 frame format (the one the `lz4` CLI and Python's `lz4.frame` read), written block by
// block from a list of parts so a 200 MB dump never needs a 200 MB staging copy: independent
// 4 MiB blocks compressed by lz4-napi, and an xxh32 content checksum over the whole content
// so that a flipped byte fails loudly instead of decoding to wrong data. Reading trusts no
// length: each block's output is bounded by what the frame and the file inside it declare.

import { Xxh32, xxh32 } from '@node-rs/xxhash';
import {
  compress,
  compressSync,
  decompressFrame,
  decompressFrameSync,
  uncompress,
  uncompressSync,
} from 'lz4-napi';
import { FormatError } from '../../errors.js';
import { byteLengthOf, chunksOf } from './chunks.js';
import type { Decompressed } from './compressor.js';
import { type Block, type FrameLayout, lz4NativeDecode, lz4NativeDecodeSync } from './lz4-native.js';
import { OutputAssembly } from './output-assembly.js';
import type { SizeHint } from './compressor.js';

export const LZ4_MAGIC = Uint8Array.of(0x04, 0x22, 0x4d, 0x18);
const BLOCK_BYTES = 4 * 1024 * 1024;
/** FLG: version 01, independent blocks, content size, content checksum. BD: 4 MiB blocks. */
const FLG = 0x6c;
const BD = 0x70;
const UNCOMPRESSED_BIT = 0x8000_0000;
/**
 * LZ4 cannot expand data by more than this factor (a 255 byte extends a match by 255 bytes); a
 * larger claimed size is a lie.
 */
const MAX_RATIO = 256;
/** How many blocks the async writer keeps on libuv's thread pool at once. */
const IN_FLIGHT = 4;

/** Magic, descriptor and the content size (so a reader can allocate the output once). */
function frameHeader(parts: readonly Uint8Array[]): Buffer {
  const contentSize = byteLengthOf(parts);
  const header = Buffer.alloc(15);
  header.set(LZ4_MAGIC, 0);
  header[4] = FLG;
  header[5] = BD;
  header.writeBigUInt64LE(BigInt(contentSize), 6);
  header[14] = (xxh32(header.subarray(4, 14), 0) >>> 8) & 0xff;
  return header;
}

/** Frames one block: lz4-napi's output is a 4-byte size prefix plus the raw LZ4 block. */
function framedBlock(raw: Buffer, prefixed: Buffer): Uint8Array[] {
  const size = Buffer.allocUnsafe(4);
  const compressedLength = prefixed.byteLength - 4;
  if (compressedLength >= raw.byteLength) {
    size.writeUInt32LE((raw.byteLength | UNCOMPRESSED_BIT) >>> 0);
    return [size, raw];
  }
  size.writeUInt32LE(compressedLength);
  return [size, prefixed.subarray(4)];
}

function frameEnd(parts: readonly Uint8Array[]): Buffer {
  const checksum = new Xxh32(0);
  for (const part of parts) checksum.update(part);
  const end = Buffer.alloc(8);
  end.writeUInt32LE(checksum.digest() >>> 0, 4);
  return end;
}

/** `compressed(n)`: told as each block of n content bytes is done. */
export function lz4CompressSync(parts: readonly Uint8Array[], compressed?: (bytes: number) => void): Uint8Array[] {
  const out: Uint8Array[] = [frameHeader(parts)];
  for (const block of chunksOf(parts, BLOCK_BYTES)) {
    out.push(...framedBlock(block, compressSync(block)));
    compressed?.(block.byteLength);
  }
  out.push(frameEnd(parts));
  return out;
}

export async function lz4Compress(
  parts: readonly Uint8Array[], compressed?: (bytes: number) => void,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [frameHeader(parts)];
  const pending: Promise<Uint8Array[]>[] = [];
  for (const block of chunksOf(parts, BLOCK_BYTES)) {
    // A straddling chunk is a fresh copy chunksOf never reuses, so it can go to another thread.
    pending.push(compress(block).then((prefixed) => {
      compressed?.(block.byteLength);
      return framedBlock(block, prefixed);
    }));
    if (pending.length >= IN_FLIGHT) out.push(...(await pending.shift()!));
  }
  for (const framed of pending) out.push(...(await framed));
  out.push(frameEnd(parts));
  return out;
}

const BLOCK_MAX_BYTES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** What an LZ4 frame's descriptor declares, checked against its header checksum. */
export interface FrameDescriptor {
  readonly independent: boolean;
  readonly blockChecksums: boolean;
  readonly hasChecksum: boolean;
  readonly hasDictionary: boolean;
  readonly blockMax: number;
  readonly contentSize: number | null;
  /** Where the first block header starts. */
  readonly headerBytes: number;
}

/**
 * Reads the descriptor at the start of `head` (at least the first 19 bytes of the frame, or all
 * of it when shorter); `frameBytes` is the whole frame's length, which bounds the content size.
 */
export function descriptorOf(head: Buffer, frameBytes: number): FrameDescriptor {
  if (head.byteLength < 7) throw new FormatError('The LZ4 frame is truncated: its header is incomplete.');
  const flg = head[4]!;
  if (flg >> 6 !== 1)
    throw new FormatError(`The LZ4 frame has an unsupported version (FLG 0x${flg.toString(16)}).`);
  const hasSize = (flg & 0x08) !== 0;
  const hasDictionary = (flg & 0x01) !== 0;
  // The descriptor (FLG, BD, the optional content size and dictionary id) ends with a checksum.
  const descriptorEnd = 6 + (hasSize ? 8 : 0) + (hasDictionary ? 4 : 0);
  if (head.byteLength < descriptorEnd + 1) throw new FormatError('The LZ4 frame is truncated: its header is incomplete.');
  if (head[descriptorEnd] !== ((xxh32(head.subarray(4, descriptorEnd), 0) >>> 8) & 0xff)) {
    throw new FormatError('The LZ4 frame descriptor is corrupt: its header checksum does not match.');
  }
  const sizeCode = (head[5]! >> 4) & 0x07;
  const blockMax = BLOCK_MAX_BYTES[sizeCode]!;
  if (blockMax === 0) {
    throw new FormatError(`The LZ4 frame declares block maximum size code ${sizeCode}, which LZ4 does not define (4-7).`);
  }
  let contentSize: number | null = null;
  if (hasSize) {
    const claimed = head.readBigUInt64LE(6);
    if (claimed > BigInt(frameBytes) * BigInt(MAX_RATIO) + 65536n) {
      throw new FormatError(
        `The LZ4 frame claims ${claimed} bytes of content, impossible for ${frameBytes} compressed bytes.`,
      );
    }
    contentSize = Number(claimed);
  }
  return {
    independent: (flg & 0x20) !== 0, blockChecksums: (flg & 0x10) !== 0, hasChecksum: (flg & 0x04) !== 0,
    hasDictionary, blockMax, contentSize, headerBytes: descriptorEnd + 1,
  };
}

/**
 * Walks an LZ4 frame's block headers (no decoding) and checks every length against the input,
 * and that the frame ends where the input does. Returns null for frames the block-wise decoder
 * does not handle (linked blocks, dictionaries, block checksums), which lz4-napi's frame decoder
 * then takes (it would ignore what follows the frame).
 */
function layoutOf(data: Uint8Array): FrameLayout | null {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const { independent, blockChecksums, hasChecksum, hasDictionary, blockMax, contentSize, headerBytes } =
    descriptorOf(buf, buf.byteLength);
  let pos = headerBytes;
  const blocks: Block[] = [];
  for (;;) {
    if (pos + 4 > buf.byteLength)
      throw new FormatError('The LZ4 frame is truncated: a block header is missing.');
    const word = buf.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const length = word & 0x7fff_ffff;
    if (length > blockMax || pos + length > buf.byteLength) {
      throw new FormatError('The LZ4 frame is corrupt or truncated: a block runs past the end.');
    }
    blocks.push({ start: pos, end: pos + length, raw: (word & UNCOMPRESSED_BIT) !== 0 });
    pos += length + (blockChecksums ? 4 : 0);
  }
  let contentChecksum: number | null = null;
  if (hasChecksum) {
    if (pos + 4 > buf.byteLength)
      throw new FormatError('The LZ4 frame is truncated: its checksum is missing.');
    contentChecksum = buf.readUInt32LE(pos);
    pos += 4;
  }
  if (pos !== buf.byteLength) throw new FormatError('The LZ4 frame has unexpected trailing bytes.');
  if (!independent || blockChecksums || hasDictionary) return null;
  return { blocks, contentSize, blockMax, contentChecksum };
}

const lz4Failure = (error: unknown): FormatError =>
  error instanceof FormatError
    ? error
    : new FormatError(`The LZ4 data is corrupt or truncated (${(error as Error).message}).`, {
        cause: error,
      });

/** A block decode that has finished either way: awaiting it never throws. */
type SettledBlock = { readonly bytes: Buffer } | { readonly error: unknown };

function bytesOf(block: SettledBlock): Buffer {
  if ('error' in block) throw block.error;
  return block.bytes;
}

/**
 * One frame's blocks, decoded in order into one buffer. lz4-napi allocates for each block the
 * size its 4-byte prefix announces, so the prefix is the tightest bound known before decoding:
 * the frame's block maximum, what the block's compressed length can expand to, and what the
 * declared content still leaves. A block of an honest frame gets exactly its own size; a frame
 * of 500 one-byte blocks no longer costs 4 MiB a block, and the first block that decodes past
 * the declared content is refused.
 */
class FrameDecoding {
  private readonly checksum = new Xxh32(0);
  private readonly assembly: OutputAssembly;

  constructor(private readonly buf: Buffer, private readonly layout: FrameLayout, sizeHint: SizeHint | undefined,
    private readonly disposable: boolean) {
    this.assembly = new OutputAssembly('LZ4', buf.byteLength * MAX_RATIO + 65536, sizeHint, layout.contentSize);
  }

  get blockCount(): number {
    return this.layout.blocks.length;
  }

  /** Whether the content's size is known, so that each block's bound is what remains of it. */
  get sized(): boolean {
    return this.assembly.sized;
  }

  decodeSync(index: number): Buffer {
    const block = this.layout.blocks[index]!;
    if (block.raw) return this.buf.subarray(block.start, block.end);
    const bound = this.boundOf(block);
    try {
      return uncompressSync(this.prefixed(block, bound));
    } catch (error) {
      throw this.blockFailure(index, bound, error);
    }
  }

  /** Decodes on libuv's thread pool; the promise is settled here, so it never rejects. */
  decode(index: number): Promise<SettledBlock> {
    const block = this.layout.blocks[index]!;
    if (block.raw) return Promise.resolve({ bytes: this.buf.subarray(block.start, block.end) });
    const bound = this.boundOf(block);
    return uncompress(this.prefixed(block, bound)).then(
      (bytes) => ({ bytes }),
      (error: unknown) => ({ error: this.blockFailure(index, bound, error) }),
    );
  }

  add(bytes: Buffer): void {
    this.checksum.update(bytes);
    this.assembly.add(bytes);
  }

  finish(): Uint8Array {
    const expected = this.layout.contentChecksum;
    if (expected !== null && this.checksum.digest() >>> 0 !== expected) {
      throw new FormatError('The LZ4 data is corrupt: its content checksum does not match.');
    }
    return this.assembly.finish();
  }

  private boundOf(block: Block): number {
    return Math.max(0, Math.min(this.layout.blockMax, (block.end - block.start) * MAX_RATIO, this.assembly.room()));
  }

  /**
   * lz4-napi's input: the size prefix, then the block. In a disposable input the prefix takes
   * the place of the block's own header word (already read by layoutOf), so nothing is copied:
   * copying each compressed block cost a fresh buffer and a pass over it.
   */
  private prefixed(block: Block, bound: number): Buffer {
    if (this.disposable) {
      this.buf.writeUInt32LE(bound, block.start - 4);
      return this.buf.subarray(block.start - 4, block.end);
    }
    const input = Buffer.allocUnsafe(4 + block.end - block.start);
    input.writeUInt32LE(bound, 0);
    this.buf.copy(input, 4, block.start, block.end);
    return input;
  }

  private blockFailure(index: number, bound: number, error: unknown): FormatError {
    return new FormatError(
      `LZ4 block ${index + 1} of ${this.blockCount} is corrupt, or decodes to more than the ${bound} bytes ` +
        `the frame leaves for it (${(error as Error).message}).`,
      { cause: error },
    );
  }
}

/** Whether the frame carries a content checksum, which either decoder then verifies. */
const checksummed = (data: Uint8Array): boolean => (data[4]! & 0x04) !== 0;

const bufferOf = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

export function lz4DecompressSync(data: Uint8Array, sizeHint?: SizeHint, disposable = false): Decompressed {
  try {
    const layout = layoutOf(data);
    const verified = checksummed(data);
    if (!layout) return { bytes: decompressFrameSync(bufferOf(data)), verified };
    const decoded = lz4NativeDecodeSync(bufferOf(data), layout, sizeHint);
    if (decoded) return decoded;
    const decoding = new FrameDecoding(bufferOf(data), layout, sizeHint, disposable);
    for (let i = 0; i < decoding.blockCount; i++) decoding.add(decoding.decodeSync(i));
    return { bytes: decoding.finish(), verified };
  } catch (error) {
    throw lz4Failure(error);
  }
}

/**
 * Decodes blocks on libuv's thread pool, several at once, placing them in order as they finish.
 * Each decode is settled as it is started, and a failure waits for the others before it is
 * thrown: a corrupt file then rejects once, and no decode rejects later with nobody listening
 * (Node exits on an unhandled rejection, even when the caller wrapped `load` in try/catch).
 */
export async function lz4Decompress(
  data: Uint8Array, sizeHint?: SizeHint, disposable = false,
): Promise<Decompressed> {
  const inFlight: Promise<SettledBlock>[] = [];
  try {
    const layout = layoutOf(data);
    const verified = checksummed(data);
    if (!layout) return { bytes: await decompressFrame(bufferOf(data)), verified };
    const decoded = await lz4NativeDecode(bufferOf(data), layout, sizeHint);
    if (decoded) return decoded;
    const decoding = new FrameDecoding(bufferOf(data), layout, sizeHint, disposable);
    for (let i = 0; i < decoding.blockCount; i++) {
      // Until the file header inside has been read, one block at a time: it bounds the rest.
      if (!decoding.sized) while (inFlight.length > 0) decoding.add(bytesOf(await inFlight.shift()!));
      inFlight.push(decoding.decode(i));
      if (inFlight.length >= IN_FLIGHT) decoding.add(bytesOf(await inFlight.shift()!));
    }
    while (inFlight.length > 0) decoding.add(bytesOf(await inFlight.shift()!));
    return { bytes: decoding.finish(), verified };
  } catch (error) {
    await Promise.all(inFlight);
    throw lz4Failure(error);
  }
}
