// zlib and gzip compression split across cores, the way pigz does it: the content is cut into
// chunks that are raw-deflated independently on libuv's thread pool, every chunk but the last
// ending with a sync flush (byte-aligned, not final) so that their concatenation is one valid
// deflate stream. The zlib or gzip header and trailer are written around it here; any standard
// inflater (Node, Python, gzip(1)) reads the result. Independent chunks cost under 1% of ratio.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { byteLengthOf, chunksOf } from './chunks.js';
import type { StreamLevel } from './compressor.js';

const CHUNK_BYTES = 4 * 1024 * 1024;
/** Chunks compressing at once; more than the pool's 4 threads only queues. */
const IN_FLIGHT = 4;
const ADLER_BASE = 65521;

const deflateRaw = promisify(zlib.deflateRaw);
const deflate = promisify(zlib.deflate);

export type DeflateFormat = 'zlib' | 'gzip';

/** zlib's adler32_combine: the checksum of A‖B from those of A and B and the length of B. */
function adler32Combine(first: number, second: number, secondLength: number): number {
  const rem = secondLength % ADLER_BASE;
  let sum1 = first & 0xffff;
  let sum2 = (rem * sum1) % ADLER_BASE;
  sum1 += (second & 0xffff) + ADLER_BASE - 1;
  sum2 += (first >>> 16) + (second >>> 16) + ADLER_BASE - rem;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum2 >= ADLER_BASE * 2) sum2 -= ADLER_BASE * 2;
  if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}

/** The adler32 of a chunk: a level-0 zlib stream is a copy plus that checksum, computed natively. */
const adlerOf = (stored: Buffer): number => stored.readUInt32BE(stored.byteLength - 4);

function header(format: DeflateFormat, level: number): Buffer {
  if (format === 'gzip')
    return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level >= 9 ? 2 : level <= 1 ? 4 : 0, 3]);
  const flevel = level <= 1 ? 0 : level <= 5 ? 1 : level === 6 ? 2 : 3;
  const cmf = 0x78;
  let flg = flevel << 6;
  flg += 31 - ((cmf * 256 + flg) % 31);
  return Buffer.from([cmf, flg]);
}

/** zlib's FLEVEL (RFC 1950), by value: what it means and the levels zlib (and `header`) set it for. */
const FLEVELS: readonly (readonly [string, readonly [number, number]])[] = [
  ['fastest', [0, 1]], ['fast', [2, 5]], ['default', [6, 6]], ['maximum', [7, 9]],
];

/**
 * What a zlib or gzip stream's header says of its level (the reverse of `header`, and of zlib's
 * own writer): zlib's FLEVEL bits, gzip's XFL byte. Null when the header is incomplete.
 */
export function levelInHeader(format: DeflateFormat, stream: Uint8Array): StreamLevel | null {
  if (format === 'zlib') {
    if (stream.byteLength < 2) return null;
    const value = stream[1]! >> 6;
    const [meaning, levels] = FLEVELS[value]!;
    return { field: 'FLEVEL', value, meaning, levels };
  }
  if (stream.byteLength < 10) return null;
  const value = stream[8]!;
  if (value === 2) return { field: 'XFL', value, meaning: 'maximum', levels: [9, 9] };
  if (value === 4) return { field: 'XFL', value, meaning: 'fastest', levels: [0, 1] };
  return { field: 'XFL', value, meaning: 'unspecified', levels: value === 0 ? [2, 8] : null };
}

function trailer(format: DeflateFormat, checksum: number, length: number): Buffer {
  if (format === 'zlib') {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(checksum);
    return out;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32LE(checksum);
  out.writeUInt32LE(length % 2 ** 32, 4);
  return out;
}

const flushOf = (last: boolean) => ({
  finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
});

/** The chunks plus, for each, whether it is the last (the generator cannot tell in advance). */
function* chunksWithEnd(parts: readonly Uint8Array[]): Generator<[Buffer, boolean]> {
  let previous: Buffer | null = null;
  for (const chunk of chunksOf(parts, CHUNK_BYTES)) {
    if (previous) yield [previous, false];
    previous = chunk;
  }
  yield [previous ?? Buffer.alloc(0), true];
}

/** `compressed(n)`: told as each chunk of n content bytes is done. */
export async function deflateParallel(
  parts: readonly Uint8Array[],
  level: number,
  format: DeflateFormat,
  compressed?: (bytes: number) => void,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [header(format, level)];
  let checksum = format === 'zlib' ? 1 : 0;
  const pending: Promise<[Buffer, Buffer | null, number]>[] = [];
  const take = async (): Promise<void> => {
    const [deflated, stored, length] = await pending.shift()!;
    out.push(deflated);
    if (stored) checksum = adler32Combine(checksum, adlerOf(stored), length);
    compressed?.(length);
  };
  for (const [chunk, last] of chunksWithEnd(parts)) {
    const work = deflateRaw(chunk, { level, ...flushOf(last) });
    const stored = format === 'zlib' ? deflate(chunk, { level: 0 }) : null;
    if (format === 'gzip') checksum = zlib.crc32(chunk, checksum);
    pending.push(Promise.all([work, stored, chunk.byteLength]));
    if (pending.length >= IN_FLIGHT) await take();
  }
  while (pending.length > 0) await take();
  out.push(trailer(format, checksum, byteLengthOf(parts)));
  return out;
}

/** The same stream, chunk after chunk on this thread: no contiguous copy of the content. */
export function deflateChunkedSync(
  parts: readonly Uint8Array[],
  level: number,
  format: DeflateFormat,
  compressed?: (bytes: number) => void,
): Uint8Array[] {
  const out: Uint8Array[] = [header(format, level)];
  let checksum = format === 'zlib' ? 1 : 0;
  for (const [chunk, last] of chunksWithEnd(parts)) {
    out.push(zlib.deflateRawSync(chunk, { level, ...flushOf(last) }));
    checksum =
      format === 'zlib'
        ? adler32Combine(checksum, adlerOf(zlib.deflateSync(chunk, { level: 0 })), chunk.byteLength)
        : zlib.crc32(chunk, checksum);
    compressed?.(chunk.byteLength);
  }
  out.push(trailer(format, checksum, byteLengthOf(parts)));
  return out;
}
