// What a compression method is: the spec a user registers, the method as dump and load use it,
// and what decompression hands back. Its own file, so that the methods (deflate, lz4, zstd) and the
// registry that lists them all depend on it and not on each other.

/**
 * Reads the size a file declares from its first bytes; null when it cannot tell. It may throw
 * (a FormatError) to refuse content that is not a joblib-ts file before any more is decoded.
 */
export type SizeHint = (head: Uint8Array) => number | null;

/** Reads up to `length` bytes at file position `position` into `buffer` at `offset`; resolves to how many. */
export type ReadAt = (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>;
/** ReadAt on this thread. */
export type ReadAtSync = (buffer: Buffer, offset: number, length: number, position: number) => number;

/**
 * A compression method as {@link registerCompressor} accepts it: what joblib's `CompressorWrapper`
 * holds (a magic prefix, an extension), with compress and decompress as functions on whole
 * buffers rather than a file object.
 *
 * @category Serialization
 */
export interface CompressorSpec {
  /** The first bytes of every output; `load` recognises the method by them. */
  magic: Uint8Array | readonly number[];
  /** File extensions (with the dot) that select this method in `dump`, e.g. `['.zst']`. */
  extensions?: readonly string[];
  /** Level used when none is given. */
  defaultLevel?: number;
  /** Accepted levels, inclusive; default `[0, 9]`. */
  levels?: readonly [number, number];
  /**
   * Compresses a whole file's content at `level`; the output must start with `magic`. Used by
   * `dumpSync`, and by `dump` when there is no `compressAsync`.
   */
  compress(data: Uint8Array, level: number): Uint8Array;
  /**
   * Restores what `compress` returned, from the whole file as read. Whatever it throws reaches
   * the caller of `load` as a `FormatError` (the file is taken to be corrupt), with it as `cause`.
   */
  decompress(data: Uint8Array): Uint8Array;
  /** Optional non-blocking variant of `compress`, used by `dump`; the sync one is used otherwise. */
  compressAsync?(data: Uint8Array, level: number): Promise<Uint8Array>;
  /** Optional non-blocking variant of `decompress`, used by `load`; the sync one is used otherwise. */
  decompressAsync?(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * Decompressed content, and whether the method itself verified all of it with a checksum
 * (zlib's adler32, gzip's CRC-32, an LZ4 frame's content checksum): then the file's own
 * checksums would only check the same bytes again.
 */
export interface Decompressed {
  readonly bytes: Uint8Array;
  readonly verified: boolean;
}

/**
 * What a stream's own header says about the level it was written with: zlib's FLEVEL bits and
 * gzip's XFL byte name a range of levels, not the level itself; LZ4 frames record none.
 */
export interface StreamLevel {
  /** The header field: `'FLEVEL'` (zlib) or `'XFL'` (gzip). */
  readonly field: string;
  /** The field's value. */
  readonly value: number;
  /** What the field means: `'fastest'`, `'fast'`, `'default'`, `'maximum'` or `'unspecified'`. */
  readonly meaning: string;
  /** The levels a writer sets that value for (inclusive), or null when the value is not one writers use. */
  readonly levels: readonly [number, number] | null;
}

/**
 * A registered method. The file content arrives as a list of parts, never concatenated by us;
 * decompression may use `sizeHint` to place its output straight into one buffer of the right size.
 */
export interface Compressor {
  readonly name: string;
  readonly magic: Uint8Array;
  readonly extensions: readonly string[];
  readonly defaultLevel: number;
  readonly levels: readonly [number, number];
  /** `compressed(n)`, if given, is told of each piece of the content done (n bytes of it), for a progress bar. */
  compressSync(parts: readonly Uint8Array[], level: number, compressed?: (bytes: number) => void): Uint8Array[];
  compress(parts: readonly Uint8Array[], level: number, compressed?: (bytes: number) => void): Promise<Uint8Array[]>;
  /**
   * `disposable`: the input is a buffer the caller read for this call alone and drops after it,
   * so the method may overwrite its bytes instead of copying them (LZ4 writes its binding's size
   * prefix in place of each block's header word).
   */
  decompressSync(data: Uint8Array, sizeHint?: SizeHint, disposable?: boolean): Decompressed;
  decompress(data: Uint8Array, sizeHint?: SizeHint, disposable?: boolean): Promise<Decompressed>;
  /**
   * Decodes a whole file as it is read through `readAt` (positioned reads), for methods that can
   * hold less than the file and its content at once; `onRead(n)`: n file bytes read so far. Null
   * when it cannot take this file: the caller then reads it whole and calls `decompress`.
   */
  decompressFile?(readAt: ReadAt, fileSize: number, sizeHint?: SizeHint,
    onRead?: (bytes: number) => void): Promise<Decompressed | null>;
  /** decompressFile on this thread. */
  decompressFileSync?(readAt: ReadAtSync, fileSize: number, sizeHint?: SizeHint,
    onRead?: (bytes: number) => void): Decompressed | null;
  /** What the stream's header says of its compression level, for methods whose header says anything. */
  streamLevel?(data: Uint8Array): StreamLevel | null;
  /**
   * Present when the method cannot run in this process (zstd before Node 22.15): the error to
   * raise. It is still known by name, extension and magic number, so that it is refused by name.
   */
  unavailable?(): Error;
}
