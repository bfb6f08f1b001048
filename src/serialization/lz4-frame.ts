// LZ4 frame format (the one the `lz4` CLI and Python's `lz4.frame` read), written block by
// block from a list of parts so a 200 MB dump never needs a 200 MB staging copy: independent
// 4 MiB blocks compressed by lz4-napi, and an xxh32 content checksum over the whole content
// so that a flipped byte fails loudly instead of decoding to wrong data.

import { Xxh32, xxh32 } from '@node-rs/xxhash';
import { compress, compressSync, decompressFrame, decompressFrameSync } from 'lz4-napi';
import { FormatError } from '../errors.js';

export const LZ4_MAGIC = Uint8Array.of(0x04, 0x22, 0x4d, 0x18);
const BLOCK_BYTES = 4 * 1024 * 1024;
/** FLG: version 01, independent blocks, content checksum. BD: 4 MiB maximum block size. */
const FLG = 0x64;
const BD = 0x70;
const UNCOMPRESSED_BIT = 0x8000_0000;
/** LZ4 cannot expand data by more than this factor; a larger claimed size is a lie. */
const MAX_RATIO = 256;
/** How many blocks the async writer keeps on libuv's thread pool at once. */
const IN_FLIGHT = 4;

function frameHeader(): Buffer {
  const header = Buffer.alloc(7);
  header.set(LZ4_MAGIC, 0);
  header[4] = FLG;
  header[5] = BD;
  header[6] = (xxh32(header.subarray(4, 6), 0) >>> 8) & 0xff;
  return header;
}

/** Cuts the parts into full blocks (the last may be short), copying only across part edges. */
function* blocksOf(parts: readonly Uint8Array[]): Generator<Buffer> {
  let staging: Buffer | null = null;
  let filled = 0;
  for (const part of parts) {
    let offset = 0;
    while (offset < part.byteLength) {
      const take = Math.min(BLOCK_BYTES - filled, part.byteLength - offset);
      if (filled === 0 && take === BLOCK_BYTES) {
        yield Buffer.from(part.buffer, part.byteOffset + offset, take);
      } else {
        staging ??= Buffer.allocUnsafe(BLOCK_BYTES);
        staging.set(part.subarray(offset, offset + take), filled);
        filled += take;
        if (filled === BLOCK_BYTES) {
          yield staging;
          staging = null;
          filled = 0;
        }
      }
      offset += take;
    }
  }
  if (filled > 0 && staging) yield staging.subarray(0, filled);
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

export function lz4CompressSync(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [frameHeader()];
  for (const block of blocksOf(parts)) out.push(...framedBlock(block, compressSync(block)));
  out.push(frameEnd(parts));
  return out;
}

export async function lz4Compress(parts: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [frameHeader()];
  const pending: Promise<Uint8Array[]>[] = [];
  for (const block of blocksOf(parts)) {
    // A staging block is handed over whole (blocksOf never reuses it), so no copy is needed.
    pending.push(compress(block).then((prefixed) => framedBlock(block, prefixed)));
    if (pending.length >= IN_FLIGHT) out.push(...(await pending.shift()!));
  }
  for (const framed of pending) out.push(...(await framed));
  out.push(frameEnd(parts));
  return out;
}

/** Rejects frames whose header claims a content size LZ4 could never produce from this input. */
function checkFrame(data: Uint8Array): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.byteLength < 7) throw new FormatError('The LZ4 frame is truncated: its header is incomplete.');
  const flg = buf[4]!;
  if (flg >> 6 !== 1)
    throw new FormatError(`The LZ4 frame has an unsupported version (FLG 0x${flg.toString(16)}).`);
  if (flg & 0x08) {
    if (buf.byteLength < 15) throw new FormatError('The LZ4 frame is truncated: its header is incomplete.');
    const claimed = buf.readBigUInt64LE(6);
    if (claimed > BigInt(buf.byteLength) * BigInt(MAX_RATIO) + 65536n) {
      throw new FormatError(
        `The LZ4 frame claims ${claimed} bytes of content, impossible for ${buf.byteLength} compressed bytes.`,
      );
    }
  }
  return buf;
}

const lz4Failure = (error: unknown): FormatError =>
  new FormatError(`The LZ4 data is corrupt or truncated (${(error as Error).message}).`, { cause: error });

export function lz4DecompressSync(data: Uint8Array): Uint8Array {
  const frame = checkFrame(data);
  try {
    return decompressFrameSync(frame);
  } catch (error) {
    throw lz4Failure(error);
  }
}

export async function lz4Decompress(data: Uint8Array): Promise<Uint8Array> {
  const frame = checkFrame(data);
  try {
    return await decompressFrame(frame);
  } catch (error) {
    throw lz4Failure(error);
  }
}
