// Arguments over `maxNbytes` cross once per Parallel call, not once per task (joblib's
// memmapping): for threads, one copy into a SharedArrayBuffer that every task views; for
// processes, one file in the temporary folder that each worker reads once. Files are removed
// when the call ends, at exit, and on SIGINT/SIGTERM/SIGHUP; folders left by a killed process
// are swept the next time one is made.

import { accessSync, closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, unlinkSync,
  writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempFolderError } from '../../../errors.js';
import type { ExternalPlace } from '../../../serialization/codec/encoder.js';

const SHM = '/dev/shm';
const FOLDER_PREFIX = 'joblib-ts-';
/** Writes are cut into pieces of this size: one huge write is several times slower here. */
const WRITE_CHUNK = 16 * 1024 * 1024;

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
  /** Per source buffer, per region of it (see `regionOf`): its SharedArrayBuffer copy or its file. */
  private readonly sharedCopies = new Map<ArrayBufferLike, Map<string, SharedArrayBuffer>>();
  private readonly written = new Map<ArrayBufferLike, Map<string, string>>();

  /**
   * @param maxNbytes binary values longer than this are shared (Infinity: never)
   * @param tempFolder where process workers' files go; undefined picks one (see `chooseFolder`)
   */
  constructor(readonly maxNbytes: number, private readonly tempFolder: string | undefined) {}

  /** Files written for this call, for the workers to forget at its end. */
  get files(): string[] {
    return [...this.written.values()].flatMap((paths) => [...paths.values()]);
  }

  /**
   * For threads: `bytes` as a place in a SharedArrayBuffer. The first use of a buffer in the
   * call copies it once; later tasks view the same copy.
   */
  shared(bytes: Uint8Array): { buffer: SharedArrayBuffer; offset: number } {
    if (bytes.buffer instanceof SharedArrayBuffer) return { buffer: bytes.buffer, offset: bytes.byteOffset };
    const { key, region, offset } = regionOf(bytes);
    const copies = entryOf(this.sharedCopies, bytes.buffer);
    let copy = copies.get(key);
    if (!copy) {
      copy = new SharedArrayBuffer(region.byteLength);
      new Uint8Array(copy).set(region);
      copies.set(key, copy);
    }
    return { buffer: copy, offset };
  }

  /** For processes: `bytes` as a place in a file, written the first time its buffer is seen in the call. */
  file(bytes: Uint8Array): ExternalPlace {
    const { key, region, offset } = regionOf(bytes);
    const paths = entryOf(this.written, bytes.buffer);
    let path = paths.get(key);
    if (!path) {
      path = writeTempFile(region, this.tempFolder);
      paths.set(key, path);
    }
    return { key: path, offset };
  }

  /** Removes the call's files and drops its shared copies (workers' views keep their memory alive). */
  dispose(): void {
    for (const path of this.files) removeTempFile(path);
    this.written.clear();
    this.sharedCopies.clear();
  }
}

function entryOf<T>(map: Map<ArrayBufferLike, Map<string, T>>, buffer: ArrayBufferLike): Map<string, T> {
  let entry = map.get(buffer);
  if (!entry) {
    entry = new Map();
    map.set(buffer, entry);
  }
  return entry;
}

const liveFiles = new Set<string>();
const folders = new Map<string, string>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

/**
 * The folder for a file of `size` bytes: `tempFolder`, else `JOBLIB_TEMP_FOLDER`, else
 * /dev/shm when it is writable and has room for it, else the OS temporary folder.
 */
function chooseFolder(size: number, tempFolder: string | undefined): string {
  const chosen = tempFolder ?? process.env.JOBLIB_TEMP_FOLDER;
  if (chosen) return chosen;
  try {
    accessSync(SHM, constants.W_OK);
    const { bavail, bsize } = statfsSync(SHM);
    // Leave room for the rest of the system: shared memory that fills up fails in odd places.
    if (bavail * bsize > size * 2 + 64 * 1024 * 1024) return SHM;
  } catch {
    // no /dev/shm here (macOS, some containers)
  }
  return tmpdir();
}

function writeTempFile(bytes: Uint8Array, tempFolder: string | undefined): string {
  const base = chooseFolder(bytes.byteLength, tempFolder);
  let path = '';
  let fd: number | undefined;
  try {
    installCleanupHooks();
    path = join(callFolder(base), `${liveFiles.size}-${Math.random().toString(36).slice(2)}.bin`);
    fd = openSync(path, 'wx', 0o600);
    liveFiles.add(path);
    for (let at = 0; at < bytes.byteLength;) {
      at += writeSync(fd, bytes, at, Math.min(WRITE_CHUNK, bytes.byteLength - at));
    }
    closeSync(fd);
    fd = undefined;
    return path;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    if (path) removeTempFile(path);
    const reason = error instanceof Error ? error.message : String(error);
    throw new TempFolderError(
      `Cannot write a large argument (${bytes.byteLength} bytes) to the temporary folder ${base} for the worker ` +
        `processes: ${reason}. Set 'tempFolder' (or JOBLIB_TEMP_FOLDER) to a folder with room, raise 'maxNbytes', or ` +
        'use maxNbytes: null to send it inside every task\'s message.', base, { cause: error });
  }
}

function removeTempFile(path: string): void {
  liveFiles.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** This process's folder under `base`, made on first use (sweeping folders of dead processes). */
function callFolder(base: string): string {
  let folder = folders.get(base);
  if (folder) return folder;
  sweepDeadFolders(base);
  folder = mkdtempSync(join(base, `${FOLDER_PREFIX}${process.pid}-`));
  folders.set(base, folder);
  return folder;
}

function sweepDeadFolders(base: string): void {
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^joblib-ts-(\d+)-/.exec(entry);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    rmSync(join(base, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes every file and folder this process made. Synchronous: it runs in 'exit'. */
function removeAllTempFiles(): void {
  for (const path of [...liveFiles]) removeTempFile(path);
  for (const folder of folders.values()) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function installCleanupHooks(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeAllTempFiles);
  }
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/**
 * Cleans up, then lets the signal do what it would have done: with no other listener, the
 * process dies of it as if we had never listened; a program that handles it keeps control.
 */
function onSignal(signal: NodeJS.Signals): void {
  removeAllTempFiles();
  for (const other of SIGNALS) process.removeListener(other, onSignal);
  signalHooksInstalled = false;
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
