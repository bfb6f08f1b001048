// The compressor registry: each method has a name, a magic number, file extensions and a level
// range. `load` finds the method from the magic number alone, never from the file name.
// Built in: zlib (.z) and gzip (.gz) through node:zlib, lz4 (.lz4) as checksummed LZ4 frames,
// zstd (.zst) through node:zlib where Node has it (22.15 and later; refused by name elsewhere).

import { FormatError, InvalidOptionError } from '../../errors.js';
import { describeThrown } from '../../thrown.js';
import { deflateMethod } from './deflate-method.js';
import { lz4DecodeFile, lz4DecodeFileSync } from './lz4-file.js';
import { LZ4_MAGIC, lz4Compress, lz4CompressSync, lz4Decompress, lz4DecompressSync } from './lz4-frame.js';
import type { Compressor, CompressorSpec } from './compressor.js';
import { zstdMethod } from './zstd-method.js';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

const lz4: Compressor = {
  name: 'lz4',
  magic: LZ4_MAGIC,
  extensions: ['.lz4'],
  defaultLevel: 0,
  // lz4_flex has one (fast) mode; levels are accepted for joblib compatibility and ignored.
  levels: [0, 9],
  compressSync: (parts, _level, compressed) => lz4CompressSync(parts, compressed),
  compress: (parts, _level, compressed) => lz4Compress(parts, compressed),
  decompressSync: lz4DecompressSync,
  decompress: lz4Decompress,
  decompressFile: lz4DecodeFile,
  decompressFileSync: lz4DecodeFileSync,
};

const registry = new Map<string, Compressor>([
  ['zlib', deflateMethod('zlib', [0x78], '.z')],
  ['gzip', deflateMethod('gzip', [0x1f, 0x8b], '.gz')],
  ['lz4', lz4],
  ['zstd', zstdMethod()],
]);

/**
 * Adds a compression method usable by name in `dump(..., { compress: 'name' })`, chosen by its
 * file extensions, and recognised by its magic number in `load` (joblib's
 * `register_compressor`).
 *
 * A built-in method (zlib, gzip, lz4, zstd) is replaced only with `{ force: true }`: that is how
 * a zstd implementation from a package takes zstd's place on a Node without node:zlib's zstd.
 *
 * @param name - A word (letters, digits, `_`, `-`), used as `compress: name`.
 * @param spec - The method: magic number, extensions, levels and the functions.
 * @param options - `force: true` replaces a method already registered under `name`.
 * @throws {@link InvalidOptionError} for a malformed name or spec, or a name already taken
 *   (without `force`).
 * @category Serialization
 * @example
 * import zlib from 'node:zlib';
 * // Brotli has no magic number of its own: this method writes one before the stream.
 * const MAGIC = [0x42, 0x52, 0x54, 0x4c];
 * registerCompressor('brotli', {
 *   magic: MAGIC, extensions: ['.br'], defaultLevel: 4, levels: [0, 11],
 *   compress: (data, level) => Buffer.concat([Buffer.from(MAGIC),
 *     zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } })]),
 *   decompress: (data) => zlib.brotliDecompressSync(data.subarray(MAGIC.length)),
 * });
 */
export function registerCompressor(
  name: string,
  spec: CompressorSpec,
  options: { force?: boolean } = {},
): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(name)) {
    throw new InvalidOptionError(
      `A compressor name must be a word such as "zstd", got ${JSON.stringify(name)}.`,
    );
  }
  if (registry.has(name) && !options.force) {
    throw new InvalidOptionError(
      `A compressor named "${name}" is already registered; pass { force: true } to replace it.`,
    );
  }
  const magic = Uint8Array.from(spec.magic);
  if (magic.byteLength === 0)
    throw new InvalidOptionError(`Compressor "${name}" needs a non-empty magic number.`);
  if (typeof spec.compress !== 'function' || typeof spec.decompress !== 'function') {
    throw new InvalidOptionError(
      `Compressor "${name}" needs compress(data, level) and decompress(data) functions.`,
    );
  }
  const levels = spec.levels ?? [0, 9];
  registry.set(name, {
    name,
    magic,
    extensions: spec.extensions ?? [],
    defaultLevel: spec.defaultLevel ?? levels[0],
    levels,
    compressSync: (parts, level) => [spec.compress(concat(parts), level)],
    compress: async (parts, level) => [
      await (spec.compressAsync
        ? spec.compressAsync(concat(parts), level)
        : spec.compress(concat(parts), level)),
    ],
    decompressSync(data) {
      try {
        return { bytes: spec.decompress(data), verified: false };
      } catch (error) {
        throw undecompressable(name, error);
      }
    },
    async decompress(data) {
      try {
        const bytes = await (spec.decompressAsync ? spec.decompressAsync(data) : spec.decompress(data));
        return { bytes, verified: false };
      } catch (error) {
        throw undecompressable(name, error);
      }
    },
  });
}

/** A registered method failed on the file: to `load`, that is a corrupt file, whatever it threw. */
const undecompressable = (name: string, error: unknown): FormatError =>
  new FormatError(`The ${name} data could not be decompressed: ${describeThrown(error)}.`, { cause: error });

/** The method whose magic number starts `head`, or undefined. */
export function detectCompressor(head: Uint8Array): Compressor | undefined {
  for (const compressor of registry.values()) {
    const { magic } = compressor;
    if (head.byteLength < magic.byteLength) continue;
    let match = true;
    for (let i = 0; i < magic.byteLength; i++) {
      if (head[i] !== magic[i]) {
        match = false;
        break;
      }
    }
    if (match) return compressor;
  }
  return undefined;
}

/**
 * The `compress` option of `dump`, in joblib's forms: `false`/`0` (none, unless the file's
 * extension names a method), `true` (the extension's method, else zlib, at its default level),
 * a level `0`–`9`, a method name (`'zlib'`, `'gzip'`, `'lz4'` or a registered one),
 * `[method, level]`, or `{ method, level }`. Anything else is an `InvalidOptionError`.
 *
 * @category Persistence
 */
export type CompressOption =
  | boolean
  | number
  | string
  | readonly [method: string, level: number]
  | {
    /** A method name: `'zlib'`, `'gzip'`, `'lz4'` or a registered one. */
    readonly method: string;
    /** A level within the method's range; default the method's own (3 for zlib and gzip). */
    readonly level?: number;
  };

export interface Compression {
  readonly compressor: Compressor | null;
  readonly level: number;
}

/** A method's name for lists of them, with what it lacks here when it cannot run. */
const listed = (compressor: Compressor): string =>
  `"${compressor.name}"${compressor.unavailable ? ' (not on this Node)' : ''}`;

const validForms = (): string =>
  'Valid forms: false, true (zlib, level 3), a level 0–9, a method name ' +
  `(${[...registry.values()].map(listed).join(', ')}), [method, level], or { method, level }.`;

/** The method itself, or its error when it cannot run in this process: before anything is encoded. */
function usable(compressor: Compressor): Compressor {
  if (compressor.unavailable) throw compressor.unavailable();
  return compressor;
}

function methodNamed(name: unknown, given: unknown): Compressor {
  const compressor = typeof name === 'string' ? registry.get(name) : undefined;
  if (!compressor) {
    throw new InvalidOptionError(
      `Unknown compression method ${JSON.stringify(name)} in compress=${show(given)}. ${validForms()}`,
    );
  }
  return usable(compressor);
}

function checkLevel(compressor: Compressor, level: unknown, given: unknown): number {
  const [min, max] = compressor.levels;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < min || level > max) {
    throw new InvalidOptionError(
      `Invalid compression level ${show(level)} in compress=${show(given)}: ${compressor.name} takes an integer ${min}–${max}. ${validForms()}`,
    );
  }
  return level;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The extensions joblib compresses by, and its method for each. A file named for one of them is
 * expected to be compressed that way, so without a compressor for it `dump` refuses the name
 * rather than write an uncompressed file called `.xz`.
 */
const JOBLIB_EXTENSIONS: readonly (readonly [extension: string, method: string])[] = [
  ['.z', 'zlib'], ['.gz', 'gzip'], ['.bz2', 'bz2'], ['.lzma', 'lzma'], ['.xz', 'xz'], ['.lz4', 'lz4'],
];

/** The method a file name's extension selects, if any. */
function byExtension(path: string | undefined): Compressor | undefined {
  if (!path) return undefined;
  const lower = path.toLowerCase();
  for (const compressor of registry.values()) {
    if (compressor.extensions.some((ext) => lower.endsWith(ext.toLowerCase()))) return usable(compressor);
  }
  const unsupported = JOBLIB_EXTENSIONS.find(([extension]) => lower.endsWith(extension));
  if (unsupported) {
    const [extension, method] = unsupported;
    const available = [...registry.values()]
      .filter((c) => !c.unavailable)
      .map((c) => `"${c.name}"${c.extensions.length > 0 ? ` (${c.extensions.join(', ')})` : ''}`)
      .join(', ');
    throw new InvalidOptionError(
      `Cannot dump to ${JSON.stringify(path)}: joblib compresses ${extension} files with ${method}, which joblib-ts ` +
        `does not provide. Methods available: ${available}. Register one for ${extension} with ` +
        `registerCompressor('${method}', { magic, extensions: ['${extension}'], compress, decompress }), name a ` +
        'method explicitly (compress: \'lz4\'), or choose another file name.',
    );
  }
  return undefined;
}

/**
 * Resolves `dump`'s `compress` option with joblib's rules: an explicit method wins; otherwise
 * the target's extension picks the method; a bare level (or `true`) without a matching
 * extension means zlib. An extension joblib compresses by (.xz, .bz2, .lzma) with no method
 * registered for it is an InvalidOptionError.
 */
export function resolveCompression(option: CompressOption | undefined | null, path?: string): Compression {
  if (option === undefined || option === null || option === false || option === 0) {
    const fromExtension = byExtension(path);
    return fromExtension
      ? { compressor: fromExtension, level: fromExtension.defaultLevel }
      : { compressor: null, level: 0 };
  }
  if (option === true) {
    const compressor = byExtension(path) ?? registry.get('zlib')!;
    return { compressor, level: compressor.defaultLevel };
  }
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0 || option > 9) {
      throw new InvalidOptionError(
        `Invalid compress level ${show(option)}: a level is an integer 0–9. ${validForms()}`,
      );
    }
    const compressor = byExtension(path) ?? registry.get('zlib')!;
    return { compressor, level: checkLevel(compressor, option, option) };
  }
  if (typeof option === 'string') {
    const compressor = methodNamed(option, option);
    return { compressor, level: compressor.defaultLevel };
  }
  if (Array.isArray(option)) {
    if (option.length !== 2) {
      throw new InvalidOptionError(
        `A compress tuple must be exactly [method, level], got ${show(option)}. ${validForms()}`,
      );
    }
    const compressor = methodNamed(option[0], option);
    return { compressor, level: checkLevel(compressor, option[1], option) };
  }
  if (typeof option === 'object' && 'method' in option) {
    const compressor = methodNamed(option.method, option);
    const level =
      option.level === undefined ? compressor.defaultLevel : checkLevel(compressor, option.level, option);
    return { compressor, level };
  }
  throw new InvalidOptionError(`Invalid compress option ${show(option)}. ${validForms()}`);
}
