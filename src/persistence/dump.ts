// dump / dumpSync: a value to a file (atomically), a writable stream or an open file, raw or
// compressed. The compression method comes from the `compress` option or the file extension.

import type { FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DumpError, InvalidOptionError } from '../errors.js';
import { type CompressOption, resolveCompression } from '../serialization/compression/registry.js';
import { writeAll, writeAllSync, writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';
import { encodeFile } from './format.js';

/** Where `dump` writes: a path (string or file URL), a writable stream, a FileHandle or a file descriptor. */
export type DumpTarget = string | URL | NodeJS.WritableStream | FileHandle | number;

/** Options of `dump` and `dumpSync`. */
export interface DumpOptions {
  /**
   * `false` (default; the extension may still choose a method), `true` (zlib, level 3),
   * a level `0`–`9` (zlib unless the extension says otherwise), a method name (`'zlib'`,
   * `'gzip'`, `'lz4'`, `'zstd'` (Node 22.15 and later) or a registered one), `[method, level]`,
   * or `{ method, level }`. A `.zst` file name chooses zstd.
   */
  compress?: CompressOption;
}

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

async function writeToStream(stream: NodeJS.WritableStream, parts: readonly Uint8Array[]): Promise<void> {
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
            else resolve();
          });
          return;
        }
        if (!stream.write(part)) {
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

/**
 * Writes `value` to `target` in the joblib-ts format (FORMAT.md). Typed arrays are written
 * straight from their memory; a path is written atomically (temporary file, then rename).
 * A stream or file handle is written at its current position and left open.
 *
 * @returns the paths written: `[path]` for a path target, `[]` for streams and handles.
 * @throws SerializationError for a value that cannot be stored (naming where it is),
 *   InvalidOptionError for a bad `compress` or a file named `.xz`, `.bz2` or `.lzma` (joblib
 *   compresses those) with no compressor registered for it, CompressorUnavailableError for zstd
 *   on a Node without it (before anything is written), DumpError when writing fails.
 * @example
 * await dump({ weights: new Float64Array(25_000_000), meta: { epoch: 3 } }, 'model.lz4');
 */
export async function dump(value: unknown, target: DumpTarget, options: DumpOptions = {}): Promise<string[]> {
  const path = pathOf(target);
  if (path === undefined && typeof target !== 'number' && !isFileHandle(target) && !isWritable(target)) {
    throw invalidTarget(target, false);
  }
  const { compressor, level } = resolveCompression(options.compress, path);
  const raw = encodeFile(value);
  const parts = compressor ? await compressor.compress(raw, level) : raw;
  try {
    if (path !== undefined) await writeFileAtomic(path, parts);
    else if (typeof target === 'number') writeAllSync(target, parts);
    else if (isFileHandle(target)) await writeAll(target, parts);
    else await writeToStream(target as NodeJS.WritableStream, parts);
  } catch (error) {
    throw writeFailure(
      path ?? (typeof target === 'number' ? `file descriptor ${target}` : 'the stream'),
      error,
      path !== undefined,
    );
  }
  return path === undefined ? [] : [path];
}

/**
 * The synchronous `dump`, for a path or a file descriptor. It compresses on this thread only;
 * `dump` spreads zlib, gzip, lz4 and zstd compression over the cores.
 *
 * @returns `[path]` for a path target, `[]` for a file descriptor.
 */
export function dumpSync(value: unknown, target: string | URL | number, options: DumpOptions = {}): string[] {
  const path = pathOf(target);
  if (path === undefined && typeof target !== 'number') throw invalidTarget(target, true);
  const { compressor, level } = resolveCompression(options.compress, path);
  const raw = encodeFile(value);
  const parts = compressor ? compressor.compressSync(raw, level) : raw;
  try {
    if (path !== undefined) writeFileAtomicSync(path, parts);
    else writeAllSync(target as number, parts);
  } catch (error) {
    throw writeFailure(path ?? `file descriptor ${target}`, error, path !== undefined);
  }
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
