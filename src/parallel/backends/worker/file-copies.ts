// A worker process's copies of large-argument files: each file is mapped (copy-on-write, as
// numpy's memmap does; with the native helpers) or else read, once, and kept for later calls,
// until the parent removes the file, a task changed the copy (checked against the file's content
// key when a call ends), or the copies pass JOBLIB_TS_LARGE_ARGUMENT_CACHE bytes (least recently
// used dropped first; never one a running call uses).

import { readFileSync } from 'node:fs';
import { nativeHelpers } from '../../../native.js';
import { contentKey, contentKeyOfFile, largeArgumentCacheBytes } from '../wire/large-argument-files.js';

interface Copy {
  readonly bytes: Uint8Array;
  /** Used since the parent last said a call using it ended (`verify`): never dropped for room. */
  inCall: boolean;
  /** The file's content key, read from the file at the first check (a file never changes). */
  fileKey: string | undefined;
}

export class FileCopies {
  /** Least recently used first. */
  private readonly copies = new Map<string, Copy>();
  private held = 0;

  /** The bytes the copies hold: they are no leak, so the leak guard leaves them out. */
  get bytes(): number {
    return this.held;
  }

  /** The bytes of the file at `path`, read at its first use. */
  read(path: string): Uint8Array {
    let copy = this.copies.get(path);
    if (copy) {
      this.copies.delete(path);
    } else {
      copy = { bytes: bytesOf(path), inCall: true, fileKey: undefined };
      this.held += copy.bytes.byteLength;
    }
    copy.inCall = true;
    this.copies.set(path, copy);
    this.trim();
    return copy.bytes;
  }

  /** The parent removed these files. */
  release(paths: readonly string[]): void {
    for (const path of paths) this.drop(path);
  }

  /** A call that used these files ended: keep each copy only if its tasks left it as the file is. */
  verify(paths: readonly string[]): void {
    for (const path of paths) {
      const copy = this.copies.get(path);
      if (!copy) continue;
      copy.inCall = false;
      try {
        copy.fileKey ??= contentKeyOfFile(path);
        if (contentKey(copy.bytes) === copy.fileKey) continue;
      } catch {
        // the file is gone (the parent removed it on a signal): the copy goes too
      }
      this.drop(path);
    }
    this.trim();
  }

  private trim(): void {
    const limit = largeArgumentCacheBytes();
    for (const [path, copy] of this.copies) {
      if (this.held <= limit) return;
      if (!copy.inCall) this.drop(path);
    }
  }

  private drop(path: string): void {
    this.held -= this.copies.get(path)?.bytes.byteLength ?? 0;
    this.copies.delete(path);
  }
}

/**
 * The file's bytes: a private mapping when the native helpers are there (no copy; the pages are
 * the page cache's, shared by every worker, and faulted in only where tasks read; a task's
 * writes stay in this process), else read into memory.
 */
function bytesOf(path: string): Uint8Array {
  const mapped = nativeHelpers()?.mapFile(path);
  return mapped ? new Uint8Array(mapped) : readFileSync(path);
}
