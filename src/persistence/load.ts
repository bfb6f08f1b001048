// load / loadSync: read a whole dump into one buffer, undo the compression its magic number
// names, and rebuild the value. Typed arrays come back as views into that one buffer, so an
// uncompressed file is read once and copied never. Loading never runs code from the file.

import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CompressorUnavailableError, FormatError, InvalidOptionError } from '../errors.js';
import type { ProgressBar } from '../progress-bar.js';
import { byteProgress, checkTransferOptions, endBar } from './byte-progress.js';
import { ChecksumsAhead, type ContainerChecksums, decodeFile, startsWithFileMagic, tagOf } from './format.js';
import { type Unwrapped, type UnwrappedFile, unwrap, unwrapFdSync, unwrapHandle, unwrapSync } from './unwrap.js';
import { freshBuffer } from '../huge-pages.js';

/**
 * Options of {@link load} and {@link loadSync}.
 *
 * @category Persistence
 */
export interface LoadOptions {
  /**
   * A bar in bytes on stderr (read so far, MB/s, ETA; then `decompressing` and `decoding`, which
   * cannot count) for a file of 64 MiB or more, or a load lasting over 0.5 s: drawn in place on a
   * terminal, ending with a final line; not a terminal: only that final line. Smaller, quicker
   * loads show nothing. Default false.
   */
  progress?: boolean;
}

const LOAD_OPTION_NAMES: ReadonlySet<string> = new Set(['progress']);

/**
 * What `load` reads: a path (string or file URL), bytes, a readable stream, a FileHandle or a file descriptor.
 *
 * @category Persistence
 */
export type LoadSource = string | URL | Uint8Array | NodeJS.ReadableStream | FileHandle | number;

/** The path a source names, if it names one (for the bar's label: a URL is not checked here). */
const pathOf = (source: LoadSource): string | undefined =>
  typeof source === 'string' ? source : source instanceof URL ? source.pathname : undefined;

function describeSource(source: LoadSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  if (typeof source === 'number') return `file descriptor ${source}`;
  if (source instanceof Uint8Array) return 'the given bytes';
  return 'the stream';
}

/** A decoded file and its header's tag. */
export interface TaggedValue {
  readonly value: unknown;
  readonly tag: string;
}

/**
 * Decodes an unwrapped container. Its checksums are skipped when the compression already verified
 * every byte, and taken from `precomputed` when they were computed as an uncompressed file arrived.
 */
const decodeUnwrapped = (
  { container, verified, compressor }: Unwrapped,
  precomputed?: ContainerChecksums,
): TaggedValue => ({
  value: decodeFile(container, { checksums: !verified, precomputed: compressor ? undefined : precomputed }),
  tag: tagOf(container),
});

function withSource<T>(source: LoadSource, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw explain(source, error);
  }
}

function explain(source: LoadSource, error: unknown): unknown {
  if (error instanceof FormatError) {
    return new FormatError(`Cannot load ${describeSource(source)}: ${error.message}`, { cause: error });
  }
  if (error instanceof CompressorUnavailableError) {
    return new CompressorUnavailableError(`Cannot load ${describeSource(source)}: ${error.message}`, error.method);
  }
  return error;
}

/** The bar's step before unwrapping `bytes` (they are what was read). */
const unwrapping = (bar: ProgressBar | undefined, bytes: Uint8Array): void =>
  bar?.setPhase(startsWithFileMagic(bytes) ? 'decoding' : 'decompressing', bytes.byteLength);

/** The bar's step after unwrapping: decoding, when a decompression came before. */
function unwrapped(bar: ProgressBar | undefined, result: Unwrapped): Unwrapped {
  if (result.compressor) bar?.setPhase('decoding', result.container.byteLength);
  return result;
}

/** `disposable`: `bytes` is a buffer this load read itself; a decompressor may overwrite it. */
function decodeBytesSync(bytes: Uint8Array, disposable = false, bar?: ProgressBar): TaggedValue {
  unwrapping(bar, bytes);
  return decodeUnwrapped(unwrapped(bar, unwrapSync(bytes, disposable)));
}

async function decodeBytes(
  bytes: Uint8Array, disposable = false, precomputed?: ContainerChecksums, bar?: ProgressBar,
): Promise<TaggedValue> {
  unwrapping(bar, bytes);
  return decodeUnwrapped(unwrapped(bar, await unwrap(bytes, disposable)), precomputed);
}

/**
 * A fresh buffer of `size` bytes for a whole file (offset 0 of its own ArrayBuffer, so 64-byte
 * aligned). Refused past what a Buffer can hold (4 GiB on Node 20), and named when the memory is
 * not there (Node 22 and later allow Buffers up to 2^53 bytes, so that is where they fail).
 */
function allocateFor(size: number): Buffer {
  if (size > bufferConstants.MAX_LENGTH) {
    throw new FormatError(
      `It is ${size} bytes, more than the ${bufferConstants.MAX_LENGTH} a Node Buffer can hold.`,
    );
  }
  try {
    return freshBuffer(size);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new FormatError(
      `It is ${size} bytes; load reads a file whole, and a buffer that size could not be allocated ` +
        `(${error.message}). Free memory, or split the value into several dumps.`,
      { cause: error },
    );
  }
}

/** The most one read asks for: Node refuses lengths past 2^31 - 1. */
const MAX_READ = 2 ** 30;

/**
 * A fresh, 64-byte aligned buffer (offset 0 of its own ArrayBuffer) holding the whole file; read
 * in READ_CHUNK pieces when a bar counts them.
 */
function readFdSync(fd: number, bar?: ProgressBar): Buffer {
  const size = fs.fstatSync(fd).size;
  const buf = allocateFor(size);
  const most = bar ? READ_CHUNK : MAX_READ;
  bar?.setPhase('reading', 0, size);
  let filled = 0;
  while (filled < size) {
    const n = fs.readSync(fd, buf, filled, Math.min(size - filled, most), null);
    if (n === 0) break;
    filled += n;
    bar?.update(filled, size);
  }
  return filled === size ? buf : buf.subarray(0, filled);
}

/**
 * A big file is read in chunks this size, several at once: the first touch of each fresh page of
 * the buffer is a page fault, and concurrent reads on libuv's threads take those faults on
 * several cores (200 MB here: 68–72 ms against 106 ms in one read, medians of 9).
 */
const READ_CHUNK = 8 * 1024 * 1024;
/** libuv's default thread pool size. */
const READS_IN_FLIGHT = 4;

/** A file read whole, and its container checksums when they were computed while it was read. */
interface ReadFile {
  readonly bytes: Buffer;
  readonly checksums: ContainerChecksums | undefined;
}

/** The whole file behind `handle`, in one fresh buffer (refused past what a Buffer can hold). */
export function readHandle(handle: FileHandle): Promise<Buffer> {
  return readInChunks(handle, () => {});
}

/** The whole file behind `handle`, with its container checksums computed while it arrived. */
async function readChecked(handle: FileHandle, bar: ProgressBar | undefined): Promise<ReadFile> {
  const ahead = new ChecksumsAhead();
  bar?.setPhase('reading', 0);
  const bytes = await readInChunks(handle, (buf, filled) => {
    ahead.feed(buf, filled);
    bar?.update(filled, buf.byteLength);
  });
  return { bytes, checksums: ahead.result(bytes) };
}

/** Reads a whole file; `arrived(buf, n)` is told each time the first `n` bytes are all in. */
async function readInChunks(handle: FileHandle, arrived: (buf: Buffer, filled: number) => void): Promise<Buffer> {
  const { size } = await handle.stat();
  const buf = allocateFor(size);
  if (size <= 2 * READ_CHUNK) {
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buf, filled, size - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? buf : buf.subarray(0, filled);
  }
  // Positioned reads, so that the handle's own position is not what orders them. A file that
  // shrank meanwhile ends where its first short chunk does (decoding then reports it truncated).
  let next = 0;
  let end = size;
  let failed = false;
  // Chunks finish out of order: `contiguous` is how far every chunk from the start is in.
  const done = new Uint8Array(Math.ceil(size / READ_CHUNK));
  let contiguous = 0;
  const finished = (start: number): void => {
    done[start / READ_CHUNK] = 1;
    let k = contiguous / READ_CHUNK;
    while (k < done.length && done[k] === 1) k++;
    const reached = Math.min(k * READ_CHUNK, size);
    if (reached > contiguous) {
      contiguous = reached;
      arrived(buf, contiguous);
    }
  };
  const readChunks = async (): Promise<void> => {
    while (next < end && !failed) {
      const start = next;
      const stop = Math.min(start + READ_CHUNK, end);
      next = stop;
      let at = start;
      while (at < stop && !failed) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buf, at, stop - at, at));
        } catch (error) {
          failed = true; // the other readers stop at their next chunk
          throw error;
        }
        if (bytesRead === 0) {
          end = Math.min(end, at);
          return;
        }
        at += bytesRead;
      }
      if (at === stop) finished(start);
    }
  };
  // Every reader settles before this returns: the caller closes the handle next.
  const settled = await Promise.allSettled(Array.from({ length: READS_IN_FLIGHT }, readChunks));
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return end === size ? buf : buf.subarray(0, end);
}

async function readStream(stream: NodeJS.ReadableStream, bar: ProgressBar | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  bar?.setPhase('reading', 0);
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.byteLength;
    bar?.update(total);
    if (total > bufferConstants.MAX_LENGTH) allocateFor(total); // refuses it
    chunks.push(bytes);
  }
  const buf = allocateFor(total);
  let offset = 0;
  for (const chunk of chunks) {
    buf.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return buf;
}

const isReadable = (source: unknown): source is NodeJS.ReadableStream =>
  typeof source === 'object' && source !== null && Symbol.asyncIterator in source;

const isFileHandle = (source: unknown): source is FileHandle =>
  typeof source === 'object' &&
  source !== null &&
  typeof (source as FileHandle).read === 'function' &&
  typeof (source as FileHandle).fd === 'number';

function invalidSource(source: unknown, sync: boolean): InvalidOptionError {
  const accepted = sync
    ? 'a path, a file URL, a Uint8Array or a file descriptor'
    : 'a path, a file URL, a Uint8Array, a readable stream, a FileHandle or a file descriptor';
  return new InvalidOptionError(
    `load's argument must be ${accepted}; got ${source === null ? 'null' : typeof source}.`,
  );
}

/**
 * Reads a value written by {@link dump} (joblib's `load`). The compression method is found
 * from the magic number, whatever the file is called. Typed arrays are views into the buffer
 * read (for a Uint8Array source: into that Uint8Array), so nothing is copied for uncompressed
 * files.
 *
 * `T` is what you assert the file holds; nothing checks it at run time.
 *
 * @throws {@link FormatError} when the input is not a joblib-ts dump, is truncated or corrupt;
 *   {@link UnregisteredTypeError} when it holds a class instance whose type is not registered;
 *   {@link CompressorUnavailableError} for a zstd file on a Node without node:zlib's zstd;
 *   {@link InvalidOptionError} for an unknown option.
 * @param options `progress`: see {@link LoadOptions}.
 * @category Persistence
 * @example
 * const model = await load<{ weights: Float64Array }>('model.lz4');
 */
export async function load<T = unknown>(source: LoadSource, options: LoadOptions = {}): Promise<T> {
  checkTransferOptions(options, LOAD_OPTION_NAMES, 'load');
  const bar = options.progress ? byteProgress('load', pathOf(source)) : undefined;
  let bytes: Uint8Array | undefined;
  let streamed: UnwrappedFile | null = null;
  try {
    let checksums: ContainerChecksums | undefined;
    if (typeof source === 'string' || source instanceof URL) {
      const handle = await fs.promises.open(typeof source === 'string' ? source : fileURLToPath(source), 'r');
      try {
        streamed = await unwrapHandle(handle, bar);
        if (!streamed) ({ bytes, checksums } = await readChecked(handle, bar));
      } finally {
        await handle.close();
      }
    } else if (source instanceof Uint8Array) bytes = source;
    else if (typeof source === 'number') bytes = readFdSync(source, bar);
    else if (isFileHandle(source)) {
      streamed = await unwrapHandle(source, bar);
      if (!streamed) ({ bytes, checksums } = await readChecked(source, bar));
    } else if (isReadable(source)) bytes = await readStream(source, bar);
    else throw invalidSource(source, false);
    const { value } = streamed ? decodeUnwrapped(unwrapped(bar, streamed.unwrapped))
      : await decodeBytes(bytes!, bytes !== source, checksums, bar);
    endBar(bar, streamed?.fileBytes ?? bytes!.byteLength);
    return value as T;
  } catch (error) {
    // The bar names the file already: its line shows the error itself.
    endBar(bar, streamed?.fileBytes ?? bytes?.byteLength ?? 0, error);
    throw explain(source, error);
  }
}

/**
 * The synchronous {@link load}, for a path, a file URL, bytes or a file descriptor (not streams
 * or file handles): the same result, views and errors, read and decompressed on this thread.
 *
 * @param options `progress`: see {@link LoadOptions}.
 * @category Persistence
 * @example
 * const rows = loadSync<{ id: number }[]>('rows.bin');
 */
export function loadSync<T = unknown>(source: string | URL | Uint8Array | number, options: LoadOptions = {}): T {
  checkTransferOptions(options, LOAD_OPTION_NAMES, 'loadSync');
  const bar = options.progress ? byteProgress('load', pathOf(source)) : undefined;
  let bytes: Uint8Array | undefined;
  let streamed: UnwrappedFile | null = null;
  return withSource(source, () => {
    try {
      if (typeof source === 'string' || source instanceof URL) {
        const fd = fs.openSync(source, 'r');
        try {
          streamed = unwrapFdSync(fd, bar);
          if (!streamed) bytes = readFdSync(fd, bar);
        } finally {
          fs.closeSync(fd);
        }
      } else if (source instanceof Uint8Array) bytes = source;
      else if (typeof source === 'number') bytes = readFdSync(source, bar);
      else throw invalidSource(source, true);
      const { value } = streamed ? decodeUnwrapped(unwrapped(bar, streamed.unwrapped))
        : decodeBytesSync(bytes!, bytes !== source, bar);
      endBar(bar, streamed?.fileBytes ?? bytes!.byteLength);
      return value as T;
    } catch (error) {
      endBar(bar, streamed?.fileBytes ?? bytes?.byteLength ?? 0, error);
      throw error;
    }
  });
}

/** `loadSync` of bytes, with the tag its writer put in the header (Memory checks it against the entry's key). */
export function loadTaggedSync(bytes: Uint8Array): TaggedValue {
  return withSource(bytes, () => decodeBytesSync(bytes));
}

/** `load` of bytes, with the header's tag. */
export async function loadTagged(bytes: Uint8Array): Promise<TaggedValue> {
  try {
    return await decodeBytes(bytes);
  } catch (error) {
    throw explain(bytes, error);
  }
}
