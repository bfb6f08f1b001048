// The zstd frame format (RFC 8878) walked without decoding: frame headers and block headers
// only. Node's decoder cannot be trusted to say where the data ends (Node 22 returns what a
// truncated file decodes to without an error; Node 24 ignores bytes after the last frame), so
// every length is checked here first, and the walk also gives a tight bound on the output.

import { FormatError } from '../../errors.js';

/** 28 B5 2F FD: the little-endian 0xFD2FB528 that starts every zstd frame. */
export const ZSTD_MAGIC = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd);
const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames (0x184D2A50–5F) hold data decoders pass over, such as pzstd's index. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** A block never decodes to more than this (RFC 8878, Block_Maximum_Size). */
export const BLOCK_MAX_BYTES = 128 * 1024;
/** How many block ends are kept for the header probe: ours needs the first one. */
const PROBE_POINTS = 64;

/** Where one zstd frame lies in the file, and the content size its header declares (or null). */
export interface ZstdFrame {
  readonly start: number;
  readonly end: number;
  readonly contentSize: number | null;
}

/** What walking a file's zstd frames found. */
export interface ZstdLayout {
  /** The zstd frames, in order (skippable frames left out). */
  readonly frames: readonly ZstdFrame[];
  /** The most the frames can decode to: their declared content sizes, or what their blocks allow. */
  readonly maxContent: number;
  /** Whether every frame carries a content checksum (XXH64), which the decoder checks. */
  readonly checksummed: boolean;
  /** The ends of the first blocks: a prefix ending at one decodes without an error. */
  readonly blockEnds: readonly number[];
  /** How many blocks the frames hold in all. */
  readonly blockCount: number;
}

const truncated = (what: string): FormatError =>
  new FormatError(`The zstd data is truncated: ${what} runs past the end of the file.`);

/** The frame header's size, content size (or null) and checksum flag, at `pos`. */
function frameHeader(view: DataView, pos: number): { end: number; contentSize: number | null; checksum: boolean } {
  if (pos + 5 > view.byteLength) throw truncated('a frame header');
  const descriptor = view.getUint8(pos + 4);
  if ((descriptor & 0x08) !== 0) {
    throw new FormatError(`The zstd frame header is corrupt: its descriptor 0x${descriptor.toString(16)} sets a reserved bit.`);
  }
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const sizeAt = pos + 5 + (singleSegment ? 0 : 1) + dictionaryBytes;
  const end = sizeAt + sizeBytes;
  if (end > view.byteLength) throw truncated('a frame header');
  let contentSize: number | null = null;
  if (sizeBytes === 1) contentSize = view.getUint8(sizeAt);
  else if (sizeBytes === 2) contentSize = view.getUint16(sizeAt, true) + 256;
  else if (sizeBytes === 4) contentSize = view.getUint32(sizeAt, true);
  else if (sizeBytes === 8) contentSize = Number(view.getBigUint64(sizeAt, true));
  return { end, contentSize, checksum: (descriptor & 0x04) !== 0 };
}

/**
 * Walks the frames of `data` (zstd frames and skippable frames, one after another to its last
 * byte). Throws FormatError when a frame or block runs past the end, when bytes after the last
 * frame are not a frame, or when a block has the reserved type.
 */
export function zstdLayout(data: Uint8Array): ZstdLayout {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let maxContent = 0;
  let checksummed = true;
  const frames: ZstdFrame[] = [];
  const blockEnds: number[] = [];
  let blockCount = 0;
  let pos = 0;
  while (pos < data.byteLength) {
    if (pos + 4 > data.byteLength) throw trailing(data.byteLength - pos);
    const magic = view.getUint32(pos, true);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > data.byteLength) throw truncated('a skippable frame');
      pos += 8 + view.getUint32(pos + 4, true);
      if (pos > data.byteLength) throw truncated('a skippable frame');
      continue;
    }
    if (magic !== FRAME_MAGIC) throw trailing(data.byteLength - pos);
    const start = pos;
    const header = frameHeader(view, pos);
    checksummed &&= header.checksum;
    pos = header.end;
    let blocksBound = 0;
    for (let last = false; !last;) {
      if (pos + 3 > data.byteLength) throw truncated('a block header');
      const word = view.getUint8(pos) | (view.getUint8(pos + 1) << 8) | (view.getUint8(pos + 2) << 16);
      last = (word & 1) === 1;
      const type = (word >> 1) & 3;
      const size = word >>> 3;
      if (type === 3) throw new FormatError('The zstd data is corrupt: a block has the reserved type 3.');
      if (size > BLOCK_MAX_BYTES) {
        throw new FormatError(`The zstd data is corrupt: a block declares ${size} bytes, more than zstd's ${BLOCK_MAX_BYTES}.`);
      }
      // Raw and RLE blocks decode to exactly Block_Size; compressed ones to at most the maximum.
      blocksBound += type === 2 ? BLOCK_MAX_BYTES : size;
      pos += 3 + (type === 1 ? 1 : size);
      if (pos > data.byteLength) throw truncated('a block');
      if (blockCount++ < PROBE_POINTS) blockEnds.push(pos);
    }
    if (header.checksum) {
      pos += 4;
      if (pos > data.byteLength) throw truncated('the content checksum');
    }
    maxContent += header.contentSize === null ? blocksBound : Math.min(header.contentSize, blocksBound);
    frames.push({ start, end: pos, contentSize: header.contentSize });
  }
  if (frames.length === 0) throw new FormatError('The zstd data holds no frame with content.');
  return { frames, maxContent, checksummed, blockEnds, blockCount };
}

const trailing = (bytes: number): FormatError =>
  new FormatError(
    `The zstd data is followed by ${bytes} bytes that are not a zstd frame; the file is damaged or something ` +
      'was appended to it.',
  );
