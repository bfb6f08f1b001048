// Arguments over `maxNbytes` cross once per Parallel call, not once per task (joblib's
// memmapping), and are kept for later calls (large-argument-cache.ts): for threads, a copy in a
// SharedArrayBuffer that every task views; for processes, a file named by its content that each
// worker reads once and keeps. Within a call an array is identified by its memory: it is
// hashed, compared or copied once, when a task first uses it.

import type { ExternalPlace } from '../../../serialization/codec/encoder.js';
import { acquireCopy, acquireFile, type KeptCopy, KeptFile, release } from './large-argument-cache.js';

/**
 * What crosses for a binary value: its whole ArrayBuffer when the value covers at least half of
 * it (views of one buffer then share one copy), else just the value's bytes (a 2 MB view of a
 * 1 GB buffer must not copy the gigabyte).
 */
function regionOf(bytes: Uint8Array): { key: string; region: Uint8Array; offset: number } {
  if (bytes.byteLength * 2 >= bytes.buffer.byteLength) {
    return { key: 'whole', region: new Uint8Array(bytes.buffer), offset: bytes.byteOffset };
  }
  return { key: `${bytes.byteOffset}+${bytes.byteLength}`, region: bytes, offset: 0 };
}

/** The large arguments of one Parallel call, shared by its batches. */
export class LargeArguments {
  /** Per source buffer, per region of it (see `regionOf`): its copy or file, used by this call until it ends. */
  private readonly used = new Map<ArrayBufferLike, Map<string, KeptCopy | KeptFile>>();

  /**
   * @param maxNbytes binary values longer than this are shared (Infinity: never)
   * @param tempFolder where process workers' files go; undefined picks one (see `chooseFolder`)
   */
  constructor(readonly maxNbytes: number, private readonly tempFolder: string | undefined) {}

  /** The files this call uses: its workers check their copies of them when it ends. */
  get files(): string[] {
    const paths: string[] = [];
    for (const regions of this.used.values()) {
      for (const kept of regions.values()) if (kept instanceof KeptFile) paths.push(kept.path);
    }
    return paths;
  }

  /**
   * For threads: `bytes` as a place in a SharedArrayBuffer. The first use of a buffer in the
   * call copies it, or finds the copy kept from an earlier call; later tasks view the same copy.
   */
  shared(bytes: Uint8Array): { buffer: SharedArrayBuffer; offset: number } {
    if (bytes.buffer instanceof SharedArrayBuffer) return { buffer: bytes.buffer, offset: bytes.byteOffset };
    const { key, region, offset } = regionOf(bytes);
    const regions = this.regionsOf(bytes.buffer);
    let kept = regions.get(key) as KeptCopy | undefined;
    if (!kept) {
      kept = acquireCopy(region, key);
      regions.set(key, kept);
    }
    return { buffer: kept.copy, offset };
  }

  /**
   * For processes: `bytes` as a place in a file, found (or written) the first time its buffer is
   * seen in the call. Throws TempFolderError when the file cannot be written.
   */
  file(bytes: Uint8Array): ExternalPlace {
    const { key, region, offset } = regionOf(bytes);
    const regions = this.regionsOf(bytes.buffer);
    let kept = regions.get(key) as KeptFile | undefined;
    if (!kept) {
      kept = acquireFile(region, key, this.tempFolder);
      regions.set(key, kept);
    }
    return { key: kept.path, offset };
  }

  /** The call ended: what it used may be dropped (workers' views of shared copies keep their memory alive). */
  dispose(): void {
    for (const regions of this.used.values()) for (const kept of regions.values()) release(kept);
    this.used.clear();
  }

  private regionsOf(buffer: ArrayBufferLike): Map<string, KeptCopy | KeptFile> {
    let regions = this.used.get(buffer);
    if (!regions) {
      regions = new Map();
      this.used.set(buffer, regions);
    }
    return regions;
  }
}
