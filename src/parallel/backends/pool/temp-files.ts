// The files that carry large arguments to worker processes: one folder per process under the
// temporary folder (/dev/shm when it has room), files written once and removed when dropped, at
// exit, and on SIGINT/SIGTERM/SIGHUP; folders left by a killed process are swept the next time
// one is made.

import { accessSync, closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, unlinkSync,
  writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempFolderError } from '../../../errors.js';

const SHM = '/dev/shm';
const FOLDER_PREFIX = 'joblib-ts-';
/** Writes are cut into pieces of this size: one huge write is several times slower here. */
const WRITE_CHUNK = 16 * 1024 * 1024;

const liveFiles = new Set<string>();
/** Files written so far: part of each name, so that names never repeat. */
let written = 0;
const folders = new Map<string, string>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

/**
 * The folder for a file of `size` bytes: `tempFolder`, else `JOBLIB_TEMP_FOLDER`, else
 * /dev/shm when it is writable and has room for it, else the OS temporary folder.
 */
export function chooseFolder(size: number, tempFolder: string | undefined): string {
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

/**
 * Writes `bytes` to a new file in this process's folder under `base` and returns its path.
 * Throws TempFolderError (leaving nothing behind) when it cannot.
 */
export function writeTempFile(bytes: Uint8Array, base: string): string {
  let path = '';
  let fd: number | undefined;
  try {
    installCleanupHooks();
    path = join(processFolder(base), `${bytes.byteLength}-${++written}-${Math.random().toString(36).slice(2)}.bin`);
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
    if (liveFiles.has(path)) removeTempFile(path);
    const reason = error instanceof Error ? error.message : String(error);
    throw new TempFolderError(
      `Cannot write a large argument (${bytes.byteLength} bytes) to the temporary folder ${base} for the worker ` +
        `processes: ${reason}. Set 'tempFolder' (or JOBLIB_TEMP_FOLDER) to a folder with room, raise 'maxNbytes', or ` +
        'use maxNbytes: null to send it inside every task\'s message.', base, { cause: error });
  }
}

/** Whether `path` was written here and not removed since (a signal's cleanup removes every file). */
export function isLiveTempFile(path: string): boolean {
  return liveFiles.has(path);
}

export function removeTempFile(path: string): void {
  liveFiles.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** This process's folder under `base`, made on first use (sweeping folders of dead processes). */
function processFolder(base: string): string {
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
