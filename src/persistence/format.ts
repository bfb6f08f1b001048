// The joblib-ts container (FORMAT.md): a 64-byte header, the MessagePack structure, then one
// 64-byte-aligned data section holding the large binary blocks. Writing yields a list of parts
// that point at the caller's own memory; reading checks every length and both checksums
// before it trusts a byte, and returns typed arrays that are views into the buffer it was given.

import { xxh3 } from '@node-rs/xxhash';
import { FormatError } from '../errors.js';
import { HOST_IS_LITTLE_ENDIAN } from '../serialization/codec/binary-types.js';
import { decodeValue } from '../serialization/codec/decoder.js';
import { encodeValue } from '../serialization/codec/encoder.js';
import { alignUp, BLOCK_ALIGNMENT } from '../serialization/codec/layout.js';

/** "\x89JBTS\r\n\x1a": a non-ASCII first byte and line endings that reveal text-mode damage. */
export const FILE_MAGIC = Uint8Array.of(0x89, 0x4a, 0x42, 0x54, 0x53, 0x0d, 0x0a, 0x1a);
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;
/** Header flag: the structure holds EXT_REF values (shared or cyclic references). */
const FLAG_REFERENCES = 0x0001;

const PADDING = new Uint8Array(BLOCK_ALIGNMENT);
const EMPTY_CHECKSUM = xxh3.xxh64(new Uint8Array(0));

if (!HOST_IS_LITTLE_ENDIAN) {
  throw new Error('joblib-ts stores binary data little-endian and does not support big-endian hosts.');
}

/** Header bytes 56–63: an opaque tag its writer may set (Memory: the first half of the entry's key); 0 when unused. */
const TAG_OFFSET = 56;
export const TAG_HEX_DIGITS = 16;

/**
 * Splits `value` into the parts of a file, in order; blocks are the caller's memory, not copies.
 * `tag` (16 hex digits) is written into the header's tag field.
 */
export function encodeFile(value: unknown, tag?: string): Uint8Array[] {
  const file = encodeFileDeferred(value, tag);
  while (file.checksumNext()) { /* the whole data section, now */ }
  file.seal();
  return file.parts;
}

/**
 * A file's parts whose header still lacks the data section's checksum: the writer computes it
 * with `checksumNext` (a slice of at most CHECKSUM_SLICE bytes per call, false once all is summed)
 * while its writes are in flight, then calls `seal` and writes `parts[0]` (the header) again.
 * XXH3 of 200 MB is ~45 ms on this thread, which the writes (in libuv's pool) leave idle.
 */
export interface DeferredFile {
  readonly parts: Uint8Array[];
  checksumNext(): boolean;
  /** Writes the data checksum into the header (`parts[0]`); call once checksumNext returned false. */
  seal(): void;
}

const CHECKSUM_SLICE = 16 * 1024 * 1024;

export function encodeFileDeferred(value: unknown, tag?: string): DeferredFile {
  const { structure, blocks, dataLength, hasReferences } = encodeValue(value);
  const dataOffset = alignUp(HEADER_BYTES + structure.byteLength, BLOCK_ALIGNMENT);

  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(HEADER_BYTES);
  parts.push(header, structure);
  const structurePad = dataOffset - HEADER_BYTES - structure.byteLength;
  if (structurePad > 0) parts.push(PADDING.subarray(0, structurePad));

  const firstData = parts.length;
  let written = 0;
  for (const { bytes, offset } of blocks) {
    if (offset > written) parts.push(PADDING.subarray(0, offset - written));
    parts.push(bytes);
    written = offset + bytes.byteLength;
  }
  if (dataLength > written) parts.push(PADDING.subarray(0, dataLength - written));

  header.set(FILE_MAGIC, 0);
  header.writeUInt16LE(FORMAT_VERSION, 8);
  header.writeUInt16LE(hasReferences ? FLAG_REFERENCES : 0, 10);
  header.writeUInt32LE(HEADER_BYTES, 12);
  header.writeBigUInt64LE(BigInt(structure.byteLength), 16);
  header.writeBigUInt64LE(BigInt(dataOffset), 24);
  header.writeBigUInt64LE(BigInt(dataLength), 32);
  header.writeBigUInt64LE(checksumOf(structure), 40);
  if (tag !== undefined) header.writeBigUInt64LE(BigInt(`0x${tag}`), TAG_OFFSET);

  // Most files (a Memory output's) have no data section: no streaming state at all.
  const dataChecksum = firstData < parts.length ? xxh3.Xxh3.withSeed(0n) : undefined;
  let part = firstData;
  let within = 0;
  return {
    parts,
    checksumNext(): boolean {
      if (part >= parts.length) return false;
      const bytes = parts[part]!;
      const end = Math.min(bytes.byteLength, within + CHECKSUM_SLICE);
      dataChecksum!.update(within === 0 && end === bytes.byteLength ? bytes : bytes.subarray(within, end));
      if (end === bytes.byteLength) {
        part++;
        within = 0;
      } else within = end;
      return part < parts.length;
    },
    seal(): void {
      header.writeBigUInt64LE(dataChecksum ? dataChecksum.digest() : EMPTY_CHECKSUM, 48);
    },
  };
}

/** The tag of a container (16 hex digits, `'0000000000000000'` when unset); the header must be whole. */
export function tagOf(container: Uint8Array): string {
  if (container.byteLength < HEADER_BYTES) return '0'.repeat(TAG_HEX_DIGITS);
  const header = Buffer.from(container.buffer, container.byteOffset, HEADER_BYTES);
  return header.readBigUInt64LE(TAG_OFFSET).toString(16).padStart(TAG_HEX_DIGITS, '0');
}

export function startsWithFileMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < FILE_MAGIC.byteLength) return false;
  for (let i = 0; i < FILE_MAGIC.byteLength; i++) if (bytes[i] !== FILE_MAGIC[i]) return false;
  return true;
}

/**
 * The total size a file declares in its header (for decompressors to allocate once), or null
 * when `head` is too short or not our format. Callers still bound it by what the input allows.
 */
export function declaredSize(head: Uint8Array): number | null {
  if (head.byteLength < HEADER_BYTES || !startsWithFileMagic(head)) return null;
  const header = Buffer.from(head.buffer, head.byteOffset, HEADER_BYTES);
  const total = header.readBigUInt64LE(24) + header.readBigUInt64LE(32);
  return total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : null;
}

/** XXH3-64 of a possibly large range, fed in place in chunks (the streaming API is the fast one). */
function checksumOf(bytes: Uint8Array): bigint {
  // Most small files (a Memory hit's) have no data section: its sum is a constant, not a native call.
  if (bytes.byteLength === 0) return EMPTY_CHECKSUM;
  const chunk = 8 * 1024 * 1024;
  // One call for small inputs: a streaming state costs ~6 µs of native calls, the one-shot 0.5 µs.
  if (bytes.byteLength <= chunk) return xxh3.xxh64(bytes);
  const sum = xxh3.Xxh3.withSeed(0n);
  for (let offset = 0; offset < bytes.byteLength; offset += chunk)
    sum.update(bytes.subarray(offset, offset + chunk));
  return sum.digest();
}

/** The two checksums of a container, computed by `ChecksumsAhead` while it was read. */
export interface ContainerChecksums {
  readonly structure: bigint;
  readonly data: bigint;
}

export interface DecodeFileOptions {
  /** False when a compression layer already verified every byte of the content. */
  readonly checksums?: boolean;
  /** The checksums of these very bytes, computed as they arrived. */
  readonly precomputed?: ContainerChecksums | undefined;
}

/**
 * Computes a container's two checksums while it is being read, a prefix at a time, so that
 * hashing (~40 ms per 200 MB here) overlaps the reads still in flight instead of following them.
 * It hashes nothing for content that is not an uncompressed container; `decodeFile` still
 * checks every length and compares these sums with the header.
 */
export class ChecksumsAhead {
  private structureEnd = -1;
  private dataOffset = -1;
  private size = -1;
  private structure: bigint | undefined;
  private readonly data = xxh3.Xxh3.withSeed(0n);
  private dataHashed = 0;
  private ignored = false;

  /** `bytes[0, filled)` has arrived (bytes arrive in order; `filled` only grows). */
  feed(bytes: Uint8Array, filled: number): void {
    if (this.ignored) return;
    if (this.size < 0) {
      if (filled < HEADER_BYTES) return;
      if (!this.readLayout(bytes)) return;
    }
    if (this.structure === undefined && filled >= this.structureEnd) {
      this.structure = checksumOf(bytes.subarray(HEADER_BYTES, this.structureEnd));
    }
    const until = Math.min(filled, this.size);
    const chunk = 8 * 1024 * 1024;
    while (this.dataOffset + this.dataHashed < until) {
      const start = this.dataOffset + this.dataHashed;
      const end = Math.min(start + chunk, until);
      this.data.update(bytes.subarray(start, end));
      this.dataHashed += end - start;
    }
  }

  /** The sums, when all of `bytes` (which must be the bytes fed) was fed; else undefined. */
  result(bytes: Uint8Array): ContainerChecksums | undefined {
    if (this.ignored || this.structure === undefined || bytes.byteLength !== this.size) return undefined;
    if (this.dataOffset + this.dataHashed !== this.size) return undefined;
    // A small data section is summed in one call by decodeFile; the streaming digest is the same value.
    return { structure: this.structure, data: this.data.digest() };
  }

  private readLayout(bytes: Uint8Array): boolean {
    if (!startsWithFileMagic(bytes)) {
      this.ignored = true;
      return false;
    }
    const header = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    const structureEnd = BigInt(header.readUInt32LE(12)) + header.readBigUInt64LE(16);
    const dataOffset = header.readBigUInt64LE(24);
    const size = dataOffset + header.readBigUInt64LE(32);
    // Anything odd is left for decodeFile to report.
    if (header.readUInt32LE(12) !== HEADER_BYTES || dataOffset < structureEnd || size > BigInt(bytes.byteLength)) {
      this.ignored = true;
      return false;
    }
    this.structureEnd = Number(structureEnd);
    this.dataOffset = Number(dataOffset);
    this.size = Number(size);
    return true;
  }
}

/** The fields of a container header (FORMAT.md, "Container"), checked against the file's size. */
export interface ContainerHeader {
  /** The format version: 1. */
  readonly version: number;
  /** The flags word; bit 0 = the structure holds references. */
  readonly flags: number;
  /** Whether the structure holds references (flag bit 0). */
  readonly hasReferences: boolean;
  /** Where the structure starts: 64. */
  readonly headerBytes: number;
  readonly structureLength: number;
  /** A multiple of 64, at least `headerBytes + structureLength`. */
  readonly dataOffset: number;
  readonly dataLength: number;
  /** XXH3-64 of the structure, as the header records it. */
  readonly structureChecksum: bigint;
  /** XXH3-64 of the data section, as the header records it. */
  readonly dataChecksum: bigint;
  /** The writer's tag: 16 hex digits, all zero when unused. */
  readonly tag: string;
}

/**
 * Reads and checks the header of a container whose first bytes are `head` (at least the first
 * 64, or the whole file when it is shorter) and whose whole length is `size`: the magic number,
 * the version, the flags, the section offsets, and that the sizes agree with `size`. Throws the
 * FormatError `load` throws for each of these.
 */
export function readHeader(head: Uint8Array, size = head.byteLength): ContainerHeader {
  const f = readHeaderFields(head, size);
  // Listed, not spread: a spread copies 3x slower.
  return {
    version: f.version, flags: f.flags, hasReferences: f.hasReferences, headerBytes: f.headerBytes,
    structureLength: f.structureLength, dataOffset: f.dataOffset, dataLength: f.dataLength,
    structureChecksum: f.structureChecksum, dataChecksum: f.dataChecksum, tag: tagOf(head),
  };
}

/** readHeader without the tag, which a load ignores (a Memory hit reads it once, with tagOf). */
function readHeaderFields(head: Uint8Array, size: number): Omit<ContainerHeader, 'tag'> {
  if (!startsWithFileMagic(head))
    throw new FormatError('Not a joblib-ts file: the magic number is missing.');
  if (size < HEADER_BYTES || head.byteLength < HEADER_BYTES) {
    throw new FormatError(
      `The file is truncated: ${size} bytes, shorter than the ${HEADER_BYTES}-byte header.`,
    );
  }
  const header = Buffer.from(head.buffer, head.byteOffset, HEADER_BYTES);
  const version = header.readUInt16LE(8);
  if (version !== FORMAT_VERSION) {
    throw new FormatError(
      `The file uses format version ${version}; this joblib-ts reads version ${FORMAT_VERSION}. ` +
        'Upgrade joblib-ts to read it.',
    );
  }
  const flags = header.readUInt16LE(10);
  if ((flags & ~FLAG_REFERENCES) !== 0) {
    throw new FormatError(
      `The file header has unknown flags 0x${flags.toString(16)}; a newer joblib-ts wrote it.`,
    );
  }
  const headerBytes = header.readUInt32LE(12);
  // As Numbers, not BigInts (which allocate): a length past 2^53 reads as -1 and is reported in BigInt.
  const structureLength = readSafeU64(header, 16);
  const dataOffset = readSafeU64(header, 24);
  const dataLength = readSafeU64(header, 32);
  if (structureLength < 0 || dataOffset < 0 || dataLength < 0) reportHugeLengths(header, size);
  if (
    headerBytes !== HEADER_BYTES ||
    dataOffset < headerBytes + structureLength ||
    dataOffset % BLOCK_ALIGNMENT !== 0
  ) {
    throw new FormatError('The file header is corrupt: its section offsets are inconsistent.');
  }
  const expected = dataOffset + dataLength;
  if (expected !== size) {
    // Each term is below 2^53; a sum past it is far above any `size`, and reported in BigInt.
    if (!Number.isSafeInteger(expected)) reportHugeLengths(header, size);
    throw new FormatError(
      expected > size
        ? `The file is truncated: the header promises ${expected} bytes but only ${size} are present.`
        : `The file has ${size - expected} unexpected trailing bytes after its data section.`,
    );
  }
  // Every length is now at most `size`, a safe integer.
  return {
    version,
    flags,
    hasReferences: (flags & FLAG_REFERENCES) !== 0,
    headerBytes,
    structureLength,
    dataOffset,
    dataLength,
    structureChecksum: header.readBigUInt64LE(40),
    dataChecksum: header.readBigUInt64LE(48),
  };
}

/** A little-endian u64 header field as a Number when below 2^53, else -1. */
function readSafeU64(header: Buffer, offset: number): number {
  const high = header.readUInt32LE(offset + 4);
  return high < 0x20_0000 ? high * 0x1_0000_0000 + header.readUInt32LE(offset) : -1;
}

/** readHeader's errors for a header whose lengths pass 2^53, in BigInt: such a file cannot be whole. */
function reportHugeLengths(header: Buffer, size: number): never {
  const structureLength = header.readBigUInt64LE(16);
  const dataOffset = header.readBigUInt64LE(24);
  const expected = dataOffset + header.readBigUInt64LE(32);
  if (
    header.readUInt32LE(12) !== HEADER_BYTES ||
    dataOffset < BigInt(HEADER_BYTES) + structureLength ||
    dataOffset % BigInt(BLOCK_ALIGNMENT) !== 0n
  ) {
    throw new FormatError('The file header is corrupt: its section offsets are inconsistent.');
  }
  throw new FormatError(
    expected > BigInt(size)
      ? `The file is truncated: the header promises ${expected} bytes but only ${size} are present.`
      : `The file has ${BigInt(size) - expected} unexpected trailing bytes after its data section.`,
  );
}

/** Checks the padding between the structure and the data section: zeros, as the writer writes. */
export function checkPadding(padding: Uint8Array): void {
  // No checksum covers it. (The tag is the writer's own business: load ignores it, and Memory
  // checks it against the entry's key.) A loop: a hit decodes small files, where a callback costs.
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== 0) throw new FormatError('The file is corrupt: the padding after its structure is not zero.');
  }
}

/** A running XXH3-64 (seed 0), as the header's checksums are computed, for sections read in pieces. */
export const sectionChecksum = (): { update(bytes: Uint8Array): unknown; digest(): bigint } => xxh3.Xxh3.withSeed(0n);

/** The error for a section whose checksum does not match the header's. */
export const checksumMismatch = (section: 'structure' | 'data'): FormatError =>
  new FormatError(`The file is corrupt: the checksum of its ${section} section does not match.`);

/** Checks a section held whole in memory against the checksum the header records for it. */
export function verifySection(section: 'structure' | 'data', bytes: Uint8Array, expected: bigint): void {
  if (checksumOf(bytes) !== expected) throw checksumMismatch(section);
}

/**
 * Rebuilds the value of an uncompressed file held entirely in `bytes`. `checksums: false` skips
 * the two XXH3 checks when a compression layer already verified every byte of the content;
 * `precomputed` gives sums computed while the bytes were read (ChecksumsAhead).
 */
export function decodeFile(bytes: Uint8Array, { checksums = true, precomputed }: DecodeFileOptions = {}): unknown {
  const header = readHeaderFields(bytes, bytes.byteLength);
  const structureEnd = header.headerBytes + header.structureLength;
  const structure = bytes.subarray(header.headerBytes, structureEnd);
  checkPadding(bytes.subarray(structureEnd, header.dataOffset));
  const data = bytes.subarray(header.dataOffset, bytes.byteLength);
  if (checksums && precomputed) {
    if (precomputed.structure !== header.structureChecksum) throw checksumMismatch('structure');
    if (precomputed.data !== header.dataChecksum) throw checksumMismatch('data');
  } else if (checksums) {
    verifySection('structure', structure, header.structureChecksum);
    verifySection('data', data, header.dataChecksum);
  }
  return decodeValue(structure, data, header.hasReferences);
}
