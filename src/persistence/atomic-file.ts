// Crash-safe file writes: the bytes go to a temporary file beside the target, which is renamed
// over the target only once complete. A crash, a full disk or a kill mid-write leaves the old
// file (or none) under the target name, never a half-written one. Writes use writev so the
// caller's buffers go to the kernel as they are, without being joined first.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Linux accepts at most 1024 buffers per writev call. */
const IOV_MAX = 1024;
/**
 * Bytes per write call. One 200 MB writev measured 0.36–0.89 s here against 0.07 s for the
 * same bytes in 16 MiB calls (strace, Linux 6.x VM), so large parts are cut at this size.
 */
const MAX_WRITE_BYTES = 16 * 1024 * 1024;

/** Temporary files made by this process so far: with the pid, a name no other writer on this host uses. */
let temporaries = 0;

/**
 * Unique per process (pid and counter), with random digits for writers on other hosts sharing
 * the folder; created with O_EXCL, so a clash fails instead of sharing a file. Not crypto's
 * randomBytes: its first call seeds OpenSSL, 0.25–0.5 ms of a fresh process's first cache miss.
 */
function temporaryNameFor(target: string): string {
  const unique = `${process.pid}.${(temporaries++).toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  return path.join(path.dirname(target), `.${path.basename(target)}.${unique}.tmp`);
}

/** The parts with none longer than MAX_WRITE_BYTES (views, no copies) and none empty. */
export function writeSized(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const part of parts) {
    for (let offset = 0; offset < part.byteLength; offset += MAX_WRITE_BYTES) {
      out.push(part.subarray(offset, offset + MAX_WRITE_BYTES));
    }
  }
  return out;
}

/** Takes the buffers for one write call: at most IOV_MAX of them and about MAX_WRITE_BYTES. */
function nextBatch(pending: readonly Uint8Array[]): Uint8Array[] {
  let bytes = 0;
  let count = 0;
  while (count < pending.length && count < IOV_MAX && bytes < MAX_WRITE_BYTES)
    bytes += pending[count++]!.byteLength;
  return pending.slice(0, count);
}

/** What is left to write after `written` bytes of `parts` went out. */
function remainder(parts: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const part of parts) {
    if (written >= part.byteLength) {
      written -= part.byteLength;
      continue;
    }
    rest.push(written > 0 ? part.subarray(written) : part);
    written = 0;
  }
  return rest;
}

/** Told the byte count of each write call as it completes (for a progress bar). */
export type WriteProgress = (bytes: number) => void;

/** Writes every byte of `parts` at the descriptor's current position, resuming after short writes. */
export function writeAllSync(fd: number, parts: readonly Uint8Array[], written?: WriteProgress): void {
  let pending = writeSized(parts);
  while (pending.length > 0) {
    const batch = nextBatch(pending);
    const bytesWritten = fs.writevSync(fd, batch);
    written?.(bytesWritten);
    pending = [...remainder(batch, bytesWritten), ...pending.slice(batch.length)];
  }
}

/**
 * `meanwhile`, when given, runs once on this thread after each write call is issued and before
 * it is awaited: work that overlaps the write (dump's data checksum).
 */
export async function writeAll(
  handle: FileHandle, parts: readonly Uint8Array[], written?: WriteProgress, meanwhile?: () => void,
): Promise<void> {
  let pending = writeSized(parts);
  while (pending.length > 0) {
    const batch = nextBatch(pending);
    const writing = handle.writev(batch);
    meanwhile?.();
    const { bytesWritten } = await writing;
    written?.(bytesWritten);
    pending = [...remainder(batch, bytesWritten), ...pending.slice(batch.length)];
  }
}

/** Writes `parts` to `target` atomically; on failure removes the temporary file and rethrows. */
export function writeFileAtomicSync(target: string, parts: readonly Uint8Array[], written?: WriteProgress): void {
  const temporary = temporaryNameFor(target);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temporary, 'wx');
    writeAllSync(fd, parts, written);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temporary, target);
  } catch (error) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Work a writer does beside its writes, then before closing the file (dump's deferred checksum). */
export interface AlongsideWrites {
  /** Runs after each write call is issued, while it is in flight. */
  readonly meanwhile: () => void;
  /** Runs once everything is written, before the file is closed and renamed. */
  readonly beforeClose: (handle: FileHandle) => Promise<void>;
}

export async function writeFileAtomic(
  target: string, parts: readonly Uint8Array[], written?: WriteProgress, alongside?: AlongsideWrites,
): Promise<void> {
  const temporary = temporaryNameFor(target);
  let handle: FileHandle | null = null;
  try {
    handle = await fs.promises.open(temporary, 'wx');
    await writeAll(handle, parts, written, alongside?.meanwhile);
    await alongside?.beforeClose(handle);
    await handle.close();
    handle = null;
    await fs.promises.rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
