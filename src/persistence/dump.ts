// dump / dumpSync: a value to a file (atomically), a writable stream or an open file, raw or
// compressed. The compression method comes from the `compress` option or the file extension.

import type { FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DumpError, InvalidOptionError } from '../errors.js';
import { byteLengthOf } from '../serialization/compression/chunks.js';
import { type CompressOption, resolveCompression } from '../serialization/compression/registry.js';
import {
  type AlongsideWrites, writeAll, writeAllSync, writeFileAtomic, writeFileAtomicSync, type WriteProgress, writeSized,
} from './atomic-file.js';
import { byteProgress, checkTransferOptions, countBytes, countCompressed, endBar } from './byte-progress.js';
import { type DeferredFile, encodeFile, encodeFileDeferred } from './format.js';

/**
 * Where `dump` writes: a path (string or file URL), a writable stream, a FileHandle or a file descriptor.
 *
 * @category Persistence
 */
export type DumpTarget = string | URL | NodeJS.WritableStream | FileHandle | number;

/**
 * Options of `dump` and `dumpSync`.
 *
 * @category Persistence
 */
export interface DumpOptions {
  /**
   * `false` (default; the extension may still choose a method), `true` (zlib, level 3),
   * a level `0`–`9` (zlib unless the extension says otherwise), a method name (`'zlib'`,
   * `'gzip'`, `'lz4'`, `'zstd'` (Node 22.15 and later) or a registered one), `[method, level]`,
   * or `{ method, level }`. A `.zst` file name chooses zstd.
   */
  compress?: CompressOption;
  /**
   * A bar in bytes on stderr (written so far, MB/s, ETA; `compressing` first for a compressed
   * dump) for a value of 64 MiB or more, or a dump lasting over 0.5 s: drawn in place on a
   * terminal, ending with a final line; not a terminal: only that final line. Smaller, quicker
   * dumps show nothing. Default false.
   */
  progress?: boolean;
}

const DUMP_OPTION_NAMES: ReadonlySet<string> = new Set(['compress', 'progress']);

const isFileHandle = (target: unknown): target is FileHandle =>
  typeof target === 'object' &&
  target !== null &&
  typeof (target as FileHandle).writev === 'function' &&
  typeof (target as FileHandle).fd === 'number';

const isWritable = (target: unknown): target is NodeJS.WritableStream =>
  typeof target === 'object' &&
  target !== null &&
  typeof (target as NodeJS.WritableStream).write === 'function';

function pathOf(target: DumpTarget): string | undefined {
  if (typeof target === 'string') return target;
  if (target instanceof URL) return fileURLToPath(target);
  return undefined;
}

function invalidTarget(target: unknown, sync: boolean): InvalidOptionError {
  const accepted = sync
    ? 'a path, a file URL or a file descriptor'
    : 'a path, a file URL, a writable stream, a FileHandle or a file descriptor';
  return new InvalidOptionError(
    `dump's second argument must be ${accepted}; got ${target === null ? 'null' : typeof target}. ` +
      'The order is dump(value, target, options): were the arguments swapped?',
  );
}

function writeFailure(where: string, error: unknown, atomic: boolean): DumpError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  const aftermath = atomic
    ? `Nothing was left under that name (the temporary file was removed).`
    : 'The destination may hold a partial dump.';
  const advice =
    reason === 'ENOSPC' ? ' Free some disk space or choose another location, then dump again.' : '';
  return new DumpError(`Could not write ${where}: ${(error as Error).message}. ${aftermath}${advice}`, {
    cause: error,
  });
}

/** Writes `parts` to `stream`, honouring backpressure; `written(n)` is told as each part is flushed. */
async function writeToStream(
  stream: NodeJS.WritableStream, given: readonly Uint8Array[], written?: WriteProgress,
): Promise<void> {
  // Counted part by part: big parts are cut (views) so that a bar moves while one array goes out.
  const parts = written ? writeSized(given) : given;
  const flushed = written && ((part: Uint8Array) => (error?: Error | null): void => {
    if (!error) written(part.byteLength);
  });
  await new Promise<void>((resolve, reject) => {
    let index = 0;
    const onError = (error: Error): void => {
      stream.removeListener('drain', pump);
      reject(error);
    };
    function pump(): void {
      while (index < parts.length) {
        const part = parts[index++]!;
        if (index === parts.length) {
          stream.write(part, (error) => {
            stream.removeListener('error', onError);
            if (error) reject(error);
            else {
              flushed?.(part)();
              resolve();
            }
          });
          return;
        }
        if (!(flushed ? stream.write(part, flushed(part)) : stream.write(part))) {
          stream.once('drain', pump);
          return;
        }
      }
      stream.removeListener('error', onError);
      resolve();
    }
    stream.once('error', onError);
    pump();
  });
}

/** Sums a slice of the data section per write issued, then rewrites the sealed header at offset 0. */
function sealAtTheEnd(file: DeferredFile): AlongsideWrites {
  return {
    meanwhile: () => void file.checksumNext(),
    beforeClose: async (handle) => {
      while (file.checksumNext()) { /* what the writes did not cover */ }
      file.seal();
      const header = file.parts[0]!;
      let done = 0;
      while (done < header.byteLength) {
        const { bytesWritten } = await handle.write(header, done, header.byteLength - done, done);
        done += bytesWritten;
      }
    },
  };
}

/**
 * Writes `value` to `target` in the joblib-ts format (FORMAT.md; joblib's `dump`). Typed
 * arrays are written straight from their memory; a path is written atomically (temporary file,
 * then rename). A stream or file handle is written at its current position and left open.
 *
 * @returns the paths written: `[path]` for a path target, `[]` for streams and handles.
 * @throws {@link SerializationError} for a value that cannot be stored (naming where it is),
 *   {@link InvalidOptionError} for a bad target or `compress`, or a file named `.xz`, `.bz2` or
 *   `.lzma` (joblib compresses those) with no compressor registered for it, {@link CompressorUnavailableError}
 *   for zstd on a Node without it (before anything is written), {@link DumpError} when writing
 *   fails.
 * @category Persistence
 * @example
 * await dump({ weights: new Float64Array(25_000_000), meta: { epoch: 3 } }, 'model.lz4');
 */
export async function dump(value: unknown, target: DumpTarget, options: DumpOptions = {}): Promise<string[]> {
  checkTransferOptions(options, DUMP_OPTION_NAMES, 'dump');
  const path = pathOf(target);
  if (path === undefined && typeof target !== 'number' && !isFileHandle(target) && !isWritable(target)) {
    throw invalidTarget(target, false);
  }
  const { compressor, level } = resolveCompression(options.compress, path);
  const bar = options.progress ? byteProgress('dump', path) : undefined;
  let bytes = 0;
  try {
    // An uncompressed file at a path gets its data checksum while its writes are in flight
    // (the header goes out again at the end); every other target needs whole parts first.
    const deferred = path !== undefined && !compressor ? encodeFileDeferred(value) : undefined;
    const raw = deferred ? deferred.parts : encodeFile(value);
    const compressed = bar && compressor ? countCompressed(bar, byteLengthOf(raw)) : undefined;
    const parts = compressor ? await compressor.compress(raw, level, compressed) : raw;
    bytes = bar ? byteLengthOf(parts) : 0;
    const written = bar && countBytes(bar, 'writing', bytes);
    try {
      if (deferred) await writeFileAtomic(path!, parts, written, sealAtTheEnd(deferred));
      else if (path !== undefined) await writeFileAtomic(path, parts, written);
      else if (typeof target === 'number') writeAllSync(target, parts, written);
      else if (isFileHandle(target)) await writeAll(target, parts, written);
      else await writeToStream(target as NodeJS.WritableStream, parts, written);
    } catch (error) {
      throw writeFailure(
        path ?? (typeof target === 'number' ? `file descriptor ${target}` : 'the stream'),
        error,
        path !== undefined,
      );
    }
  } catch (error) {
    endBar(bar, bytes, error);
    throw error;
  }
  endBar(bar, bytes);
  return path === undefined ? [] : [path];
}

/**
 * The synchronous `dump`, for a path or a file descriptor. It compresses on this thread only;
 * `dump` spreads zlib, gzip, lz4 and zstd compression over the cores.
 *
 * @returns `[path]` for a path target, `[]` for a file descriptor.
 * @throws the same errors as {@link dump}.
 * @category Persistence
 * @example
 * dumpSync(rows, 'rows.bin', { compress: ['gzip', 6] });
 */
export function dumpSync(value: unknown, target: string | URL | number, options: DumpOptions = {}): string[] {
  checkTransferOptions(options, DUMP_OPTION_NAMES, 'dumpSync');
  const path = pathOf(target);
  if (path === undefined && typeof target !== 'number') throw invalidTarget(target, true);
  const { compressor, level } = resolveCompression(options.compress, path);
  const bar = options.progress ? byteProgress('dump', path) : undefined;
  let bytes = 0;
  try {
    const raw = encodeFile(value);
    const compressed = bar && compressor ? countCompressed(bar, byteLengthOf(raw)) : undefined;
    const parts = compressor ? compressor.compressSync(raw, level, compressed) : raw;
    bytes = bar ? byteLengthOf(parts) : 0;
    const written = bar && countBytes(bar, 'writing', bytes);
    try {
      if (path !== undefined) writeFileAtomicSync(path, parts, written);
      else writeAllSync(target as number, parts, written);
    } catch (error) {
      throw writeFailure(path ?? `file descriptor ${target}`, error, path !== undefined);
    }
  } catch (error) {
    endBar(bar, bytes, error);
    throw error;
  }
  endBar(bar, bytes);
  return path === undefined ? [] : [path];
}

/** How Memory stores an output: `compress` as for dump, and a tag for the header. */
export interface PartsOptions {
  readonly compress: CompressOption;
  /** 16 hex digits written into the header's tag field (FORMAT.md), checked when the entry is read. */
  readonly tag: string;
}

/** The bytes `dump` writes for `value`, as parts: typed arrays are views of their own memory. */
export async function dumpToParts(value: unknown, { compress, tag }: PartsOptions): Promise<readonly Uint8Array[]> {
  const { compressor, level } = resolveCompression(compress);
  const raw = encodeFile(value, tag);
  return compressor ? compressor.compress(raw, level) : raw;
}

/** The synchronous `dumpToParts`. */
export function dumpToPartsSync(value: unknown, { compress, tag }: PartsOptions): readonly Uint8Array[] {
  const { compressor, level } = resolveCompression(compress);
  const raw = encodeFile(value, tag);
  return compressor ? compressor.compressSync(raw, level) : raw;
}
