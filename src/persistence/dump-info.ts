// What a dump file is made of, read without rebuilding its value (for `joblib-ts inspect`): the
// compression wrapper, the container header and the structure's bytes, with `load`'s checks
// and messages. An uncompressed file is not read whole: the header and the structure are, and
// the data section is hashed in chunks (or not read at all without verification). A compressed
// one is decompressed once, bounded by the size its header declares, as `load` bounds it.

import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CompressorUnavailableError, FormatError } from '../errors.js';
import type { StreamLevel } from '../serialization/compression/compressor.js';
import {
  checkPadding, checksumMismatch, type ContainerHeader, HEADER_BYTES, readHeader, sectionChecksum, verifySection,
} from './format.js';
import { readHandle } from './load.js';
import { unwrap, wrapperOf } from './unwrap.js';

/** How the container is stored in the file. */
export interface WrapperInfo {
  /** `'none'`, or the compressor its magic number names: `'zlib'`, `'gzip'`, `'lz4'`, `'zstd'` or a registered one. */
  readonly method: string;
  /** What the stream's header says of its compression level (zlib, gzip); null when it says nothing. */
  readonly level: StreamLevel | null;
  /** The file's size. */
  readonly fileBytes: number;
  /** The container's size, uncompressed. */
  readonly containerBytes: number;
  /** Whether the compression stream's own checksum (adler32, CRC-32, xxh32, XXH64) covered the whole container. */
  readonly streamVerified: boolean;
}

/** A dump's parts, as `readDumpInfo` found them. */
export interface DumpInfo {
  readonly wrapper: WrapperInfo;
  readonly header: ContainerHeader;
  /** The structure section: one MessagePack value (FORMAT.md, "Structure"). */
  readonly structure: Uint8Array;
  /** Whether both XXH3 checksums were computed (they matched: a mismatch throws). */
  readonly checksumsVerified: boolean;
}

/** Options of `readDumpInfo`. */
export interface DumpInfoOptions {
  /** Check the structure's and the data section's XXH3 checksums (default true). */
  readonly verify?: boolean;
}

/** Bytes hashed per read of an uncompressed data section. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/** Reads `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  if (length > bufferConstants.MAX_LENGTH) {
    throw new FormatError(`Its structure is ${length} bytes, more than the ${bufferConstants.MAX_LENGTH} a Node Buffer can hold.`);
  }
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buf : buf.subarray(0, filled);
}

/** An uncompressed file: the header, the structure, and the data section only to hash it. */
async function readContainerFile(handle: FileHandle, head: Buffer, size: number, verify: boolean): Promise<DumpInfo> {
  const header = readHeader(head, size);
  const sections = await readAt(handle, HEADER_BYTES, header.dataOffset - HEADER_BYTES);
  if (sections.byteLength !== header.dataOffset - HEADER_BYTES) throw new FormatError('The file shrank while it was read.');
  const structure = sections.subarray(0, header.structureLength);
  checkPadding(sections.subarray(header.structureLength));
  if (verify) {
    verifySection('structure', structure, header.structureChecksum);
    const sum = sectionChecksum();
    for (let offset = 0; offset < header.dataLength; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, header.dataLength - offset);
      const chunk = await readAt(handle, header.dataOffset + offset, length);
      if (chunk.byteLength !== length) throw new FormatError('The file shrank while it was read.');
      sum.update(chunk);
    }
    if (sum.digest() !== header.dataChecksum) throw checksumMismatch('data');
  }
  const wrapper = { method: 'none', level: null, fileBytes: size, containerBytes: size, streamVerified: false };
  return { wrapper, header, structure, checksumsVerified: verify };
}

/** A compressed file: decompressed whole, as `load` does, then checked as `load` checks it. */
async function readCompressedFile(handle: FileHandle, verify: boolean): Promise<DumpInfo> {
  const bytes = await readHandle(handle);
  const { compressor, container, verified } = await unwrap(bytes);
  const header = readHeader(container);
  const structureEnd = header.headerBytes + header.structureLength;
  const structure = container.subarray(header.headerBytes, structureEnd);
  checkPadding(container.subarray(structureEnd, header.dataOffset));
  if (verify) {
    verifySection('structure', structure, header.structureChecksum);
    verifySection('data', container.subarray(header.dataOffset), header.dataChecksum);
  }
  const wrapper = {
    method: compressor!.name,
    level: compressor!.streamLevel?.(bytes) ?? null,
    fileBytes: bytes.byteLength,
    containerBytes: container.byteLength,
    streamVerified: verified,
  };
  return { wrapper, header, structure, checksumsVerified: verify };
}

/**
 * Reads what the dump at `path` is made of, without rebuilding its value and without running
 * anything: its compression, its container header (checked as `load` checks it) and its
 * structure's bytes, for `summarizeStructure`.
 *
 * @throws FormatError with `load`'s message (after "Cannot inspect <path>: ") when the file is
 *   not a joblib-ts dump, or is truncated or corrupt; the file system's error when it cannot be read.
 */
export async function readDumpInfo(path: string, { verify = true }: DumpInfoOptions = {}): Promise<DumpInfo> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = await readAt(handle, 0, Math.min(size, HEADER_BYTES));
    return wrapperOf(head) === null
      ? await readContainerFile(handle, head, size, verify)
      : await readCompressedFile(handle, verify);
  } catch (error) {
    if (error instanceof FormatError) throw new FormatError(`Cannot inspect ${path}: ${error.message}`, { cause: error });
    if (error instanceof CompressorUnavailableError) {
      throw new CompressorUnavailableError(`Cannot inspect ${path}: ${error.message}`, error.method);
    }
    throw error;
  } finally {
    await handle.close();
  }
}
