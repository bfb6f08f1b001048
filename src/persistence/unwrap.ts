// Undoing the compression wrapper of a dump: the method comes from the magic number, never the
// name; the decompressor is sized (and bounded) by the container header inside, read first, and
// stops at the first bytes when the content is not a joblib-ts container. `load` and `inspect`
// both come through here, so they refuse the same files with the same messages.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { FormatError } from '../errors.js';
import type { ProgressBar } from '../progress-bar.js';
import type { Compressor, Decompressed } from '../serialization/compression/compressor.js';
import { detectCompressor } from '../serialization/compression/registry.js';
import { declaredSize, FILE_MAGIC, startsWithFileMagic } from './format.js';

/** A dump with its compression undone. */
export interface Unwrapped {
  /** The method its magic number names, or null for an uncompressed file. */
  readonly compressor: Compressor | null;
  /** The container (FORMAT.md, "Container"): the given bytes themselves when uncompressed. */
  readonly container: Uint8Array;
  /** Whether the compression stream's own checksum covered every byte of the container. */
  readonly verified: boolean;
}

/** The first bytes in hex, as `od` shows them: what a reader needs to tell what the file is. */
const firstBytes = (bytes: Uint8Array): string =>
  Buffer.from(bytes.subarray(0, 8)).toString('hex').replace(/(..)/g, '$1 ').trim();

/** The error for bytes that start with neither our magic number nor a registered compressor's. */
export function unknownFormat(bytes: Uint8Array): FormatError {
  if (bytes.byteLength === 0) return new FormatError('It is empty (0 bytes).');
  const head = firstBytes(bytes);
  const pickle =
    bytes[0] === 0x80
      ? ' It looks like a Python pickle (joblib.dump); joblib-ts reads only its own format.'
      : '';
  return new FormatError(
    `It is not a joblib-ts file: it starts with ${head}, which is neither the joblib-ts magic number nor that of a ` +
      `registered compressor.${pickle}`,
  );
}

/**
 * Sizes a decompressor's output from our header, and stops it at the first bytes when the
 * content is not ours, instead of inflating a possibly huge foreign stream only to refuse it.
 */
function sizeHint(head: Uint8Array): number | null {
  if (head.byteLength >= FILE_MAGIC.byteLength && !startsWithFileMagic(head)) {
    throw new FormatError(
      `It is compressed, but does not hold a joblib-ts file: its content starts with ${firstBytes(head)}.`,
    );
  }
  return declaredSize(head);
}

/** Checks what a compressor produced is our format. */
function checked(compressor: Compressor, { bytes, verified }: Decompressed): Unwrapped {
  if (!startsWithFileMagic(bytes)) {
    throw new FormatError(
      `The ${compressor.name} stream decompressed fine but does not hold a joblib-ts file.`,
    );
  }
  return { compressor, container: bytes, verified };
}

/** The compressor whose magic number starts `bytes`, or null when they are a container; else throws. */
export function wrapperOf(bytes: Uint8Array): Compressor | null {
  if (startsWithFileMagic(bytes)) return null;
  const compressor = detectCompressor(bytes);
  if (!compressor) throw unknownFormat(bytes);
  return compressor;
}

/**
 * The container in a whole dump, decompressed on this thread. Throws FormatError as `load` does.
 * `disposable`: `bytes` is a buffer the caller read itself and drops after; a decompressor may reuse it.
 */
export function unwrapSync(bytes: Uint8Array, disposable = false): Unwrapped {
  const compressor = wrapperOf(bytes);
  if (!compressor) return { compressor, container: bytes, verified: false };
  return checked(compressor, compressor.decompressSync(bytes, sizeHint, disposable));
}

/** The container in a whole dump; decompression may use libuv's thread pool. As `unwrapSync` otherwise. */
export async function unwrap(bytes: Uint8Array, disposable = false): Promise<Unwrapped> {
  const compressor = wrapperOf(bytes);
  if (!compressor) return { compressor, container: bytes, verified: false };
  return checked(compressor, await compressor.decompress(bytes, sizeHint, disposable));
}

/** Every built-in magic number fits in this many first bytes. */
const MAGIC_BYTES = 8;

/** A compressed file decoded as it was read, and the file's size. */
export interface UnwrappedFile {
  readonly unwrapped: Unwrapped;
  readonly fileBytes: number;
}

/**
 * The container of the file behind `handle`, decoded as it is read when its method can do that
 * (`decompressFile`: LZ4 with the native helpers), so that the whole compressed file is never
 * held beside its content. Null when it cannot: the caller then reads the file whole.
 */
export async function unwrapHandle(handle: FileHandle, bar?: ProgressBar): Promise<UnwrappedFile | null> {
  const { size } = await handle.stat();
  if (size < MAGIC_BYTES) return null; // no frame is this short; nor is a FIFO's size
  const head = Buffer.alloc(MAGIC_BYTES);
  const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
  const compressor = detectCompressor(head.subarray(0, bytesRead));
  if (!compressor?.decompressFile || compressor.unavailable) return null;
  bar?.setPhase('reading', 0, size);
  const decoded = await compressor.decompressFile(
    async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
    size, sizeHint, (bytes) => bar?.update(bytes, size));
  return decoded && { unwrapped: checked(compressor, decoded), fileBytes: size };
}

/** unwrapHandle on this thread, for a file descriptor. */
export function unwrapFdSync(fd: number, bar?: ProgressBar): UnwrappedFile | null {
  const { size } = fs.fstatSync(fd);
  if (size < MAGIC_BYTES) return null;
  const head = Buffer.alloc(MAGIC_BYTES);
  const compressor = detectCompressor(head.subarray(0, fs.readSync(fd, head, 0, head.byteLength, 0)));
  if (!compressor?.decompressFileSync || compressor.unavailable) return null;
  bar?.setPhase('reading', 0, size);
  const decoded = compressor.decompressFileSync(
    (buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
    size, sizeHint, (bytes) => bar?.update(bytes, size));
  return decoded && { unwrapped: checked(compressor, decoded), fileBytes: size };
}
