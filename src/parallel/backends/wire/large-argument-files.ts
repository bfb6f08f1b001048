// Large-argument files, as the parent and its worker processes both see them: the content key
// that identifies a file's bytes (their XXH3 hash and length: equal bytes, one file, written
// once), computed from memory or from the file itself; and how many bytes each side keeps
// between calls (JOBLIB_TS_LARGE_ARGUMENT_CACHE).

import { xxh3 } from '@node-rs/xxhash';
import { closeSync, openSync, readSync } from 'node:fs';
import { totalmem } from 'node:os';
import { parseBytes } from '../../../byte-size.js';
import { cpuCount } from '../../cpu-count.js';

/** Bytes of large arguments kept between calls, in the parent and in each worker process; 0 keeps none. */
export const CACHE_BYTES_VARIABLE = 'JOBLIB_TS_LARGE_ARGUMENT_CACHE';
/**
 * Hashing goes through XXH3's streaming state in pieces of this size: the one-shot functions of
 * @node-rs/xxhash run at about 1 GB/s here, the streaming state at 5–6.5 GB/s.
 */
const PIECE = 1024 * 1024;
const state = xxh3.Xxh3.withSeed(0n);
let scratch: Buffer | undefined;

/** The content key of `bytes`: their XXH3-64 hash and their length, `0123456789abcdef-80000000`. */
export function contentKey(bytes: Uint8Array): string {
  state.reset();
  for (let at = 0; at < bytes.byteLength; at += PIECE) state.update(bytes.subarray(at, at + PIECE));
  return `${state.digest().toString(16).padStart(16, '0')}-${bytes.byteLength}`;
}

/** The content key of the file at `path`, read piece by piece (no buffer of its size). */
export function contentKeyOfFile(path: string): string {
  scratch ??= Buffer.allocUnsafeSlow(PIECE);
  const fd = openSync(path, 'r');
  try {
    state.reset();
    let length = 0;
    for (;;) {
      const read = readSync(fd, scratch, 0, PIECE, null);
      if (read === 0) break;
      state.update(scratch.subarray(0, read));
      length += read;
    }
    return `${state.digest().toString(16).padStart(16, '0')}-${length}`;
  } finally {
    closeSync(fd);
  }
}

/** The variable's value `budget` was read from (null: not read yet). */
let budgetSource: string | undefined | null = null;
let budget = 0;

/**
 * How many bytes of large arguments no call uses may be kept, in this process and in each worker
 * process: JOBLIB_TS_LARGE_ARGUMENT_CACHE, else a sixteenth of the memory divided by the CPU
 * count (each CPU may hold a worker keeping as much), at most 1 GiB. Throws InvalidOptionError
 * when the variable is not a byte size.
 */
export function largeArgumentCacheBytes(): number {
  const source = process.env[CACHE_BYTES_VARIABLE];
  if (source !== budgetSource) {
    budget = source === undefined || source === '' ? defaultBudget() : parseBytes(source, CACHE_BYTES_VARIABLE);
    budgetSource = source;
  }
  return budget;
}

function defaultBudget(): number {
  const memory = Math.min(totalmem(), process.constrainedMemory?.() || Infinity);
  return Math.min(1024 ** 3, Math.floor(memory / 16 / cpuCount()));
}
