// The zlib and gzip methods. Writing deflates 4 MiB chunks in parallel (parallel-deflate.ts).
// Reading trusts nothing: the first bytes are inflated alone to read the joblib-ts header, the
// size it declares then caps the output (so a bomb stops there, not at 1032x its input), and
// the stream must end exactly where the file does.

import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { FormatError } from '../../errors.js';
import type { Compressor, Decompressed, SizeHint } from './compressor.js';
import { inflateFile, inflateFileSync, maxInflated } from './inflate-file.js';
import { deflateChunkedSync, deflateParallel, levelInHeader } from './parallel-deflate.js';

/** Output chunk size when the size is unknown: Node's 16 KiB default took 1.9x as long on 200 MB. */
const INFLATE_CHUNK = 1024 * 1024;
/** Compressed bytes inflated to find the header: a few hundred hold it; more are tried if not. */
const PROBE_BYTES = 1024;
/** The most inflated to find the header, as an async stream's first chunk would hold. */
const PROBE_OUTPUT = 1024 * 1024;
/** The joblib-ts container header, what the size hint reads. */
const HEAD_BYTES = 64;

/** What node:zlib returns with `info: true`: the output and the engine, which counts input used. */
interface Inflated {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

type InflateSync = (data: Uint8Array, options: zlib.ZlibOptions) => Buffer;

/** The full inflate's options and the size it must produce, from the content's first bytes. */
interface Plan {
  readonly size: number | null;
  readonly options: zlib.ZlibOptions & { info: true };
}

/** The inflated output of a prefix of the stream, or null when it is more than PROBE_OUTPUT. */
function inflatePrefix(prefix: Uint8Array, inflateSync: InflateSync): Buffer | null {
  try {
    // Z_SYNC_FLUSH: what a partial input gives, without an "unexpected end of file" error.
    return inflateSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: PROBE_OUTPUT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw error;
  }
}

/**
 * The content's first HEAD_BYTES (or all of it, when shorter), inflating at most PROBE_OUTPUT.
 * A prefix of the input is inflated; it grows while it gives too little and is cut in half back
 * while it gives too much: a stream may start with any number of blocks that produce nothing,
 * followed by one that produces gigabytes.
 */
function inflateHead(name: string, data: Uint8Array, inflateSync: InflateSync): Buffer {
  let tooShort = 0;
  let tooLong = Number.POSITIVE_INFINITY;
  let probe = Math.min(PROBE_BYTES, data.byteLength);
  for (;;) {
    const head = inflatePrefix(data.subarray(0, probe), inflateSync);
    if (head === null) tooLong = probe;
    else if (head.byteLength >= HEAD_BYTES || probe === data.byteLength) return head;
    else tooShort = probe;
    probe = tooLong === Number.POSITIVE_INFINITY
      ? Math.min(probe * 8, data.byteLength)
      : tooShort + Math.floor((tooLong - tooShort) / 2);
    // One input byte inflates to at most ~1 KB, so a prefix between the two always exists.
    if (probe <= tooShort || probe >= tooLong) {
      throw new FormatError(`The ${name} stream's first ${HEAD_BYTES} bytes cannot be read: it is corrupt.`);
    }
  }
}

/**
 * Inflates just enough of the stream to read the file header, then bounds the whole inflate by
 * what it declares. The hint throws for content that is not a joblib-ts file: refused before
 * any more is inflated.
 */
function plan(name: string, data: Uint8Array, inflateSync: InflateSync, sizeHint: SizeHint | undefined): Plan {
  const unsized: Plan = {
    size: null,
    options: { maxOutputLength: maxInflated(data.byteLength), chunkSize: INFLATE_CHUNK, info: true },
  };
  if (!sizeHint) return unsized;
  const size = sizeHint(inflateHead(name, data, inflateSync).subarray(0, HEAD_BYTES));
  if (size === null) return unsized;
  if (size < HEAD_BYTES) {
    throw new FormatError(`The ${name} content's header declares ${size} bytes, less than the header itself.`);
  }
  if (size > maxInflated(data.byteLength)) {
    throw new FormatError(`The ${name} content claims ${size} bytes, impossible for its ${data.byteLength} compressed bytes.`);
  }
  // One output buffer a byte larger than the content: node:zlib then returns it without a copy.
  const chunkSize = Math.min(Math.max(size + 1, zlib.constants.Z_MIN_CHUNK), bufferConstants.MAX_LENGTH);
  return { size, options: { maxOutputLength: size, chunkSize, info: true } };
}

/** The ISIZE field ending a gzip file: its last member's content length, modulo 2^32. */
const lastMemberLength = (data: Uint8Array): number =>
  new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(data.byteLength - 4, true);

/** Checks the stream ended where the file does and produced what the header declares. */
function checkedEnd(name: string, data: Uint8Array, { buffer, engine }: Inflated, size: number | null): Decompressed {
  const after = data.byteLength - engine.bytesWritten;
  if (after > 0) {
    throw new FormatError(
      `The ${name} stream ends ${after} bytes before the file does; a joblib-ts file is one stream with nothing ` +
        'after it, so the file is damaged or something was appended to it.',
    );
  }
  // node:zlib reads concatenated gzip members as one; the last member's length field (ISIZE,
  // checked by zlib against that member) then differs from the whole output's length.
  if (name === 'gzip' && lastMemberLength(data) !== buffer.byteLength % 2 ** 32) {
    throw new FormatError('The file holds more than one gzip member; a joblib-ts gzip file is exactly one.');
  }
  if (size !== null && buffer.byteLength !== size) {
    throw new FormatError(`The ${name} stream is truncated: ${buffer.byteLength} of the ${size} bytes its header declares.`);
  }
  return { bytes: buffer, verified: true };
}

function inflateFailure(name: string, error: unknown, size: number | null): FormatError {
  if (error instanceof FormatError) return error;
  if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new FormatError(
      size === null
        ? `The ${name} stream inflates past what its compressed size allows.`
        : `The ${name} stream holds more content than its header declares (${size} bytes).`,
      { cause: error },
    );
  }
  return new FormatError(`The ${name} data is corrupt or truncated (${(error as Error).message}).`, { cause: error });
}

export function deflateMethod(name: 'zlib' | 'gzip', magic: number[], extension: string): Compressor {
  const inflateSync = (name === 'zlib' ? zlib.inflateSync : zlib.gunzipSync) as InflateSync;
  const inflate = promisify(name === 'zlib' ? zlib.inflate : zlib.gunzip) as (
    data: Uint8Array, options: zlib.ZlibOptions) => Promise<unknown>;
  return {
    name,
    magic: Uint8Array.from(magic),
    extensions: [extension],
    defaultLevel: 3,
    levels: [0, 9],
    compressSync: (parts, level, compressed) => deflateChunkedSync(parts, level, name, compressed),
    compress: (parts, level, compressed) => deflateParallel(parts, level, name, compressed),
    streamLevel: (data) => levelInHeader(name, data),
    // With the native helpers, a file is inflated as it is read, into one buffer of ours.
    decompressFile: (readAt, fileSize, sizeHint, onRead) => inflateFile(name === 'gzip', readAt, fileSize, sizeHint, onRead),
    decompressFileSync: (readAt, fileSize, sizeHint, onRead) =>
      inflateFileSync(name === 'gzip', readAt, fileSize, sizeHint, onRead),
    // Node's inflate checks the adler32 (zlib) or CRC-32 and length (gzip) trailer.
    decompressSync(data, sizeHint) {
      let size: number | null = null;
      try {
        const { options, size: declared } = plan(name, data, inflateSync, sizeHint);
        size = declared;
        return checkedEnd(name, data, inflateSync(data, options) as unknown as Inflated, size);
      } catch (error) {
        throw inflateFailure(name, error, size);
      }
    },
    // The same, with the whole inflate on libuv's thread pool (the header probe stays here: it
    // inflates a few KB, 1 MiB at most).
    async decompress(data, sizeHint) {
      let size: number | null = null;
      try {
        const { options, size: declared } = plan(name, data, inflateSync, sizeHint);
        size = declared;
        return checkedEnd(name, data, (await inflate(data, options)) as Inflated, size);
      } catch (error) {
        throw inflateFailure(name, error, size);
      }
    },
  };
}
