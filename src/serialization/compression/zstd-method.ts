// The zstd method, through node:zlib where Node has it (22.15 and later, 23.8 and later).
// Writing compresses chunks as independent frames on libuv's thread pool, several at once (as
// parallel deflate does), each with its content size and checksum. Reading walks the frames
// first (zstd-frame.ts), decodes the first block to read the joblib-ts header, then decodes the
// whole file straight into one buffer of the size that header declares. Elsewhere the method
// is still known, by name, extension and magic number, and refused with a named error.

import { constants as bufferConstants } from 'node:buffer';
import zlib from 'node:zlib';
import { CompressorUnavailableError, FormatError } from '../../errors.js';
import { chunksOf } from './chunks.js';
import type { Compressor, Decompressed, SizeHint } from './compressor.js';
import { OutputAssembly } from './output-assembly.js';
import { BLOCK_MAX_BYTES, ZSTD_MAGIC, type ZstdFrame, type ZstdLayout, zstdLayout } from './zstd-frame.js';

/** node:zlib's zstd options, as far as they are used here (@types/node 20 does not know them). */
interface ZstdOptions {
  readonly params?: Readonly<Record<number, number>>;
  readonly chunkSize?: number;
  readonly maxOutputLength?: number;
  readonly finishFlush?: number;
  readonly info?: boolean;
  /** The input's size, for the frame header; a Node that does not know the option writes none (async). */
  readonly pledgedSrcSize?: number;
}
type Callback = (error: Error | null, result: Buffer) => void;
interface ZstdFunctions {
  zstdCompressSync(data: Uint8Array, options: ZstdOptions): Buffer;
  zstdCompress(data: Uint8Array, options: ZstdOptions, callback: Callback): void;
  zstdDecompressSync(data: Uint8Array, options: ZstdOptions): Buffer;
  zstdDecompress(data: Uint8Array, options: ZstdOptions, callback: Callback): void;
}

const runtime = zlib as unknown as Partial<ZstdFunctions>;
/** node:zlib's zstd constants (undefined, and unused, on a Node without zstd). */
const constants = zlib.constants as unknown as {
  readonly ZSTD_c_compressionLevel: number;
  readonly ZSTD_c_checksumFlag: number;
  readonly ZSTD_c_contentSizeFlag: number;
  readonly ZSTD_e_flush: number;
};
/** node:zlib's zstd, or null on a Node without it. */
const zstd: ZstdFunctions | null =
  typeof runtime.zstdCompressSync === 'function' && typeof runtime.zstdDecompress === 'function'
    ? (runtime as ZstdFunctions)
    : null;

/** Content per frame: frames are compressed in parallel, and zstd's window at level 3 is 2 MiB. */
const FRAME_BYTES = 8 * 1024 * 1024;
/** Frames compressing at once; more than the pool's 4 threads only queues. */
const IN_FLIGHT = 4;
/** The joblib-ts container header, what the size hint reads. */
const HEAD_BYTES = 64;
/** node:zlib's output piece when the output size is not known (Node's 16 KiB default is slow). */
const OUTPUT_CHUNK = 1024 * 1024;

/** A frame's parameters; the size lets the async writer record it in the frame, as the sync one does. */
const compressOptions = (level: number, size: number): ZstdOptions => ({
  chunkSize: OUTPUT_CHUNK,
  pledgedSrcSize: size,
  params: {
    [constants.ZSTD_c_compressionLevel]: level,
    [constants.ZSTD_c_checksumFlag]: 1,
    [constants.ZSTD_c_contentSizeFlag]: 1,
  },
});

const NEEDS = 'zstd needs node:zlib\'s zstd, in Node 22.15 or later (23.8 or later on 23)';

/** Why `dump` cannot compress with zstd here, and what to do instead. */
const cannotCompress = (): CompressorUnavailableError =>
  new CompressorUnavailableError(
    `${NEEDS}; this is Node ${process.version}. Nothing was written. Compress with 'lz4' (fastest) or ` +
      '\'zlib\'/\'gzip\' instead, run a newer Node, or register a zstd implementation with ' +
      'registerCompressor(\'zstd\', spec, { force: true }).',
    'zstd',
  );

/** Why `load` cannot read a zstd file here, and what to do instead. */
const cannotDecompress = (): CompressorUnavailableError =>
  new CompressorUnavailableError(
    `It is compressed with zstd (it starts with 28 B5 2F FD), and ${NEEDS}; this is Node ${process.version}. ` +
      'Load it with a newer Node (and dump it again there with lz4 or zlib for this one), or register a zstd ' +
      'implementation with registerCompressor(\'zstd\', spec, { force: true }).',
    'zstd',
  );

function compressSync(fn: ZstdFunctions, parts: readonly Uint8Array[], level: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunksOf(parts, FRAME_BYTES)) {
    out.push(fn.zstdCompressSync(chunk, compressOptions(level, chunk.byteLength)));
  }
  // Empty content is still one frame, so that the file starts with the magic number.
  return out.length > 0 ? out : [fn.zstdCompressSync(Buffer.alloc(0), compressOptions(level, 0))];
}

const compressFrame = (fn: ZstdFunctions, chunk: Uint8Array, level: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    fn.zstdCompress(chunk, compressOptions(level, chunk.byteLength),
      (error, result) => (error ? reject(error) : resolve(result)));
  });

async function compress(fn: ZstdFunctions, parts: readonly Uint8Array[], level: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const pending: Promise<Buffer>[] = [];
  // A straddling chunk is a fresh copy chunksOf never reuses, so it can go to another thread.
  for (const chunk of chunksOf(parts, FRAME_BYTES)) {
    pending.push(compressFrame(fn, chunk, level));
    if (pending.length >= IN_FLIGHT) out.push(await pending.shift()!);
  }
  for (const frame of pending) out.push(await frame);
  return out.length > 0 ? out : [await compressFrame(fn, Buffer.alloc(0), level)];
}

/**
 * The content's first HEAD_BYTES (or all, when shorter): the frames up to the end of a block
 * decode without an error, so the first block ends are tried until one gives enough.
 */
function decodeHead(fn: ZstdFunctions, data: Uint8Array, layout: ZstdLayout): Buffer {
  let head: Buffer = Buffer.alloc(0);
  for (const end of layout.blockEnds) {
    head = fn.zstdDecompressSync(data.subarray(0, end), {
      finishFlush: constants.ZSTD_e_flush,
      maxOutputLength: BLOCK_MAX_BYTES * layout.blockEnds.length,
    });
    if (head.byteLength >= HEAD_BYTES) return head;
  }
  // All of it, shorter than a header: the size hint says what it is not.
  if (layout.blockEnds.length === layout.blockCount) return head;
  throw new FormatError(
    `The zstd data's first ${layout.blockEnds.length} blocks decode to fewer than ${HEAD_BYTES} bytes: ` +
      'it does not hold a joblib-ts file.',
  );
}

/** The decode's options and the size it must produce, from the frames and the header inside. */
interface Plan {
  readonly layout: ZstdLayout;
  readonly size: number | null;
  readonly options: ZstdOptions & { info: true };
}

function plan(fn: ZstdFunctions, data: Uint8Array, sizeHint: SizeHint | undefined): Plan {
  const layout = zstdLayout(data);
  const limit = Math.min(layout.maxContent, bufferConstants.MAX_LENGTH);
  const size = sizeHint ? sizeHint(decodeHead(fn, data, layout).subarray(0, HEAD_BYTES)) : null;
  if (size === null) {
    return { layout, size, options: { maxOutputLength: limit, chunkSize: OUTPUT_CHUNK, info: true } };
  }
  if (size < HEAD_BYTES) {
    throw new FormatError(`The zstd content's header declares ${size} bytes, less than the header itself.`);
  }
  if (size > layout.maxContent) {
    throw new FormatError(`The zstd content claims ${size} bytes; its frames hold at most ${layout.maxContent}.`);
  }
  // One output buffer a byte larger than the content: node:zlib then returns it without a copy.
  const chunkSize = Math.min(size + 1, bufferConstants.MAX_LENGTH);
  return { layout, size, options: { maxOutputLength: size, chunkSize, info: true } };
}

/** What node:zlib returns with `info: true`. */
interface Decoded {
  readonly buffer: Buffer;
}

/**
 * Whether one decode call goes on past the end of a frame while its output has room: Node 24's
 * does; Node 22's stops there and drops the rest. Asked once, of two one-byte frames.
 */
let acrossFrames: boolean | undefined;
function decodesAcrossFrames(fn: ZstdFunctions): boolean {
  if (acrossFrames === undefined) {
    const frame = fn.zstdCompressSync(Buffer.from('x'), {});
    acrossFrames = fn.zstdDecompressSync(Buffer.concat([frame, frame]), { chunkSize: 1024 }).byteLength === 2;
  }
  return acrossFrames;
}

/** Whether the file decodes in one call, straight into one buffer (else frame by frame, copied into one). */
const inOneCall = (fn: ZstdFunctions, { layout }: Plan): boolean =>
  layout.frames.length === 1 || decodesAcrossFrames(fn);

/** One frame's decode, bounded by what the content leaves; its own buffer when it declares its size. */
const frameOptions = ({ contentSize }: ZstdFrame, room: number): ZstdOptions => ({
  maxOutputLength: Math.max(1, room),
  chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK,
    contentSize === null ? OUTPUT_CHUNK : Math.min(contentSize, room) + 1),
});

const assemblyOf = ({ layout, size }: Plan): OutputAssembly =>
  new OutputAssembly('zstd', Math.min(layout.maxContent, bufferConstants.MAX_LENGTH), undefined, size);

function checkedSize({ layout, size }: Plan, { buffer }: Decoded): Decompressed {
  if (size !== null && buffer.byteLength !== size) {
    throw new FormatError(`The zstd stream is truncated: ${buffer.byteLength} of the ${size} bytes its header declares.`);
  }
  return { bytes: buffer, verified: layout.checksummed };
}

function decodeFailure(error: unknown, size: number | null): FormatError {
  if (error instanceof FormatError) return error;
  if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new FormatError(
      size === null
        ? 'The zstd stream decodes past what its frames allow.'
        : `The zstd stream holds more content than its header declares (${size} bytes).`,
      { cause: error },
    );
  }
  if ((error as NodeJS.ErrnoException).code === 'ZSTD_error_frameParameter_windowTooLarge') {
    return new FormatError(
      'The zstd frames need a window larger than the 128 MiB a decoder allows by default (written with ' +
        '`zstd --long=28` or more?); decompress it with `zstd -d --memory=…` and load the result.',
      { cause: error },
    );
  }
  return new FormatError(`The zstd data is corrupt (${(error as Error).message}).`, { cause: error });
}

function decompressSync(fn: ZstdFunctions, data: Uint8Array, sizeHint?: SizeHint): Decompressed {
  let size: number | null = null;
  try {
    const planned = plan(fn, data, sizeHint);
    size = planned.size;
    if (inOneCall(fn, planned)) {
      return checkedSize(planned, fn.zstdDecompressSync(data, planned.options) as unknown as Decoded);
    }
    const assembly = assemblyOf(planned);
    for (const frame of planned.layout.frames) {
      assembly.add(fn.zstdDecompressSync(data.subarray(frame.start, frame.end), frameOptions(frame, assembly.room())));
    }
    return checkedSize(planned, { buffer: assembly.finish() as Buffer });
  } catch (error) {
    throw decodeFailure(error, size);
  }
}

/**
 * The same, with the decode on libuv's thread pool (the walk and the probe stay here). A file of
 * several frames, on a Node whose decoder stops at a frame's end, is decoded frame by frame, one
 * after another, and the frames copied into one buffer as they come.
 */
async function decompress(fn: ZstdFunctions, data: Uint8Array, sizeHint?: SizeHint): Promise<Decompressed> {
  let size: number | null = null;
  try {
    const planned = plan(fn, data, sizeHint);
    size = planned.size;
    const decode = (input: Uint8Array, options: ZstdOptions) => new Promise<Buffer>((resolve, reject) => {
      fn.zstdDecompress(input, options, (error, result) => (error ? reject(error) : resolve(result)));
    });
    if (inOneCall(fn, planned)) {
      return checkedSize(planned, (await decode(data, planned.options)) as unknown as Decoded);
    }
    const assembly = assemblyOf(planned);
    for (const frame of planned.layout.frames) {
      assembly.add(await decode(data.subarray(frame.start, frame.end), frameOptions(frame, assembly.room())));
    }
    return checkedSize(planned, { buffer: assembly.finish() as Buffer });
  } catch (error) {
    throw decodeFailure(error, size);
  }
}

/**
 * The zstd compressor: levels 1–22 (20–22 are zstd's "ultra" levels: much slower, and more
 * memory to write), default 3 as zstd's own. Without node:zlib's zstd, every use throws
 * CompressorUnavailableError.
 */
export function zstdMethod(): Compressor {
  const method = {
    name: 'zstd',
    magic: ZSTD_MAGIC,
    extensions: ['.zst'],
    defaultLevel: 3,
    levels: [1, 22] as const,
  };
  if (!zstd) {
    return {
      ...method,
      unavailable: cannotCompress,
      compressSync: () => {
        throw cannotCompress();
      },
      compress: () => Promise.reject(cannotCompress()),
      decompressSync: () => {
        throw cannotDecompress();
      },
      decompress: () => Promise.reject(cannotDecompress()),
    };
  }
  return {
    ...method,
    compressSync: (parts, level) => compressSync(zstd, parts, level),
    compress: (parts, level) => compress(zstd, parts, level),
    decompressSync: (data, sizeHint) => decompressSync(zstd, data, sizeHint),
    decompress: (data, sizeHint) => decompress(zstd, data, sizeHint),
  };
}
