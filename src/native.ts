// The optional native helpers: native/joblib_native.c, built by scripts/build.mjs where a C
// compiler is found, through Node-API (one binary for every Node version). Whatever uses them
// has a JavaScript path for when they are missing: another platform, an install without a
// compiler, a bundle that left the binary behind, or JOBLIB_TS_NATIVE=0.

import { createRequire } from 'node:module';
import { InvalidOptionError } from './errors.js';

const SWITCH = 'JOBLIB_TS_NATIVE';

/** What native/joblib_native.c exports. */
export interface NativeHelpers {
  /**
   * Asks the kernel for transparent huge pages over the whole 2 MiB pages inside `view`, best
   * before anything touches them; true when it agreed. Linux only (false elsewhere).
   */
  adviseHugePages(view: ArrayBufferView): boolean;
  /**
   * The whole file at `path` as an ArrayBuffer over a private, writable mapping (writes never
   * reach the file), or null where this Node refuses external buffers. Throws an Error with a
   * `code` (`ENOENT`, …) when it cannot. The file must not shrink while mapped.
   */
  mapFile(path: string): ArrayBuffer | null;
  /**
   * Decodes blocks `first` to `first + count - 1` of `layout` (five numbers a block: source
   * start, source end, output start, output capacity, 1 when stored uncompressed) from
   * `source` into `output`, on this thread. `results[i]` becomes block i's decoded length, or
   * -1 when it is corrupt or needs more than its capacity.
   */
  lz4DecodeBlocks(source: Uint8Array, output: Uint8Array, layout: Float64Array, results: Float64Array,
    first: number, count: number): void;
  /** lz4DecodeBlocks on libuv's thread pool; nothing may touch the buffers until it settles. */
  lz4DecodeBlocksAsync(source: Uint8Array, output: Uint8Array, layout: Float64Array, results: Float64Array,
    first: number, count: number): Promise<void>;
  /**
   * A zlib (or, when `gzip`, a gzip) inflate stream of Node's own zlib, for inflateStep; null
   * where this Node's zlib cannot be driven from here. Freed with the object.
   */
  inflateOpen(gzip: boolean): InflateStream | null;
  /**
   * Inflates from `input` into `output` until one is used up or the stream ends or fails;
   * `results` become zlib's status (0 going on, 1 ended with its checksum matching, below 0 an
   * error), the input bytes consumed and the output bytes produced. One step at a time per stream.
   */
  inflateStep(stream: InflateStream, input: Uint8Array, output: Uint8Array, results: Float64Array): void;
  /** inflateStep on libuv's thread pool; nothing may touch the stream or the buffers until it settles. */
  inflateStepAsync(stream: InflateStream, input: Uint8Array, output: Uint8Array, results: Float64Array): Promise<void>;
}

/** An inflate stream held by the native helpers (opaque here). */
export interface InflateStream {
  readonly __inflateStream: unique symbol;
}

let helpers: NativeHelpers | null | undefined;

/** The native helpers, or null when they are not there or JOBLIB_TS_NATIVE is `0`. */
export function nativeHelpers(): NativeHelpers | null {
  if (helpers === undefined) helpers = loadHelpers();
  return helpers;
}

function loadHelpers(): NativeHelpers | null {
  const setting = process.env[SWITCH];
  if (setting === '0') return null;
  if (setting !== undefined && setting !== '' && setting !== '1') {
    throw new InvalidOptionError(`${SWITCH} must be 0 (JavaScript paths only) or 1 (the native helpers when ` +
      `they are built, the default), got '${setting}'.`);
  }
  try {
    // From src/ and from dist/ alike: native/ is beside both.
    const require = createRequire(import.meta.url);
    return require(`../native/build/joblib_native-${process.platform}-${process.arch}.node`) as NativeHelpers;
  } catch {
    return null; // not built for this platform, or a bundle without it
  }
}
