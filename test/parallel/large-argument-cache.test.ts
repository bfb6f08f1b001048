// Large arguments kept across calls, in this process: a file per distinct content (written once,
// found again from equal bytes in another array), a SharedArrayBuffer copy per unchanged array,
// what an array changed in place crossed in before dropped at once, the rest bounded by
// JOBLIB_TS_LARGE_ARGUMENT_CACHE bytes (least recently used dropped first); and a worker's copies
// of the files (read once, dropped when a task changed them or past the bound).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onKeptFilesRemoved } from '../../src/parallel/backends/pool/large-argument-cache.js';
import { LargeArguments } from '../../src/parallel/backends/pool/large-arguments.js';
import { nativeHelpers } from '../../src/native.js';
import { FileCopies } from '../../src/parallel/backends/worker/file-copies.js';
import { CACHE_BYTES_VARIABLE, contentKey, largeArgumentCacheBytes } from '../../src/parallel/backends/wire/large-argument-files.js';

const MB = 1024 * 1024;
let folder: string;
beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-kept-'));
  // What earlier tests kept goes: the next call to end finds a bound of 0.
  process.env[CACHE_BYTES_VARIABLE] = '0';
  callWithFile(array(1, 0));
  process.env[CACHE_BYTES_VARIABLE] = '10M';
});
afterEach(() => {
  delete process.env.JOBLIB_TS_LARGE_ARGUMENT_CACHE;
  fs.rmSync(folder, { recursive: true, force: true });
});

/** A Float64Array of `mb` megabytes whose every element is `fill`. */
const array = (mb: number, fill: number): Float64Array => new Float64Array(mb * MB / 8).fill(fill);
const bytes = (values: Float64Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
/** One call's use of `values`: the file it crosses in (processes), released when the call ends. */
function callWithFile(values: Float64Array): string {
  const call = new LargeArguments(MB, folder);
  const { key } = call.file(bytes(values));
  call.dispose();
  return key;
}
function callWithCopy(values: Float64Array): SharedArrayBuffer {
  const call = new LargeArguments(MB, undefined);
  const { buffer } = call.shared(bytes(values));
  call.dispose();
  return buffer;
}
const inode = (file: string): number => fs.statSync(file).ino;

describe('large arguments kept across calls', () => {
  it('writes a file once for equal bytes, from the same array or another, and a new one when the bytes changed', () => {
    const values = array(2, 1);
    const first = callWithFile(values);
    const ino = inode(first);
    expect(callWithFile(values)).toBe(first);
    expect(callWithFile(array(2, 1))).toBe(first); // another array, equal bytes
    expect(inode(first)).toBe(ino); // never written again
    values[7] = 2;
    const changed = callWithFile(values);
    expect(changed).not.toBe(first);
    expect(fs.existsSync(first)).toBe(false); // the array changed in place: its old bytes' file goes at once
    expect(fs.readFileSync(changed).equals(Buffer.from(bytes(values)))).toBe(true);
    // Other bytes of the same length: a file of their own, each found again by its content.
    const other = array(2, 3);
    const otherFile = callWithFile(other);
    expect(otherFile).not.toBe(changed);
    expect([callWithFile(values), callWithFile(other), callWithFile(array(2, 3))]).toEqual([changed, otherFile, otherFile]);
  });

  it('keeps at most JOBLIB_TS_LARGE_ARGUMENT_CACHE bytes no call uses, dropping the least recently used first', () => {
    const removed: string[] = [];
    const stop = onKeptFilesRemoved((paths) => removed.push(...paths));
    try {
      const [a, b, c] = [array(4, 1), array(4, 2), array(4, 3)].map(callWithFile);
      expect(removed).toEqual([a]); // 12 MB over a 10 MB bound: a, the oldest, goes
      callWithFile(array(4, 2)); // b used again: c is now the oldest
      callWithFile(array(4, 4));
      expect(removed).toEqual([a, c]);
      expect(fs.existsSync(a!) || fs.existsSync(c!)).toBe(false);
      expect(fs.existsSync(b!)).toBe(true);
      // A file in use is never dropped, however big; it goes when its call ends.
      const call = new LargeArguments(MB, folder);
      const big = call.file(bytes(array(12, 5))).key;
      expect(fs.existsSync(big)).toBe(true);
      call.dispose();
      expect(fs.existsSync(big)).toBe(false);
    } finally {
      stop();
    }
  });

  it('keeps nothing between calls with JOBLIB_TS_LARGE_ARGUMENT_CACHE=0, and refuses a value that is not a size', () => {
    process.env[CACHE_BYTES_VARIABLE] = '0';
    const file = callWithFile(array(2, 1));
    expect(fs.existsSync(file)).toBe(false);
    process.env[CACHE_BYTES_VARIABLE] = 'lots';
    expect(() => largeArgumentCacheBytes()).toThrow(/JOBLIB_TS_LARGE_ARGUMENT_CACHE must be a byte count/);
  });

  it('keeps the SharedArrayBuffer copy of an unchanged array, and copies again when the array or the copy changed', () => {
    const values = array(2, 1);
    const copy = callWithCopy(values);
    expect(callWithCopy(values) === copy).toBe(true);
    values[3] = 9;
    const second = callWithCopy(values);
    expect(second === copy).toBe(false);
    expect(new Float64Array(second)[3]).toBe(9);
    expect(new Float64Array(copy)[3]).toBe(1); // an earlier call's results may view it: never overwritten
    new Float64Array(second)[0] = 5; // a task wrote into the copy
    const third = callWithCopy(values);
    expect(third === second).toBe(false);
    expect(new Float64Array(third)[0]).toBe(1);
    // Another array with equal bytes is not the same array: a copy of its own.
    expect(callWithCopy(array(2, 1)) === copy).toBe(false);
  });
});

describe('a worker\'s copies of large-argument files', () => {
  const write = (values: Float64Array): string => {
    const file = path.join(folder, `${contentKey(bytes(values))}.bin`);
    fs.writeFileSync(file, bytes(values));
    return file;
  };

  it('reads a file once, and drops a copy a task wrote into when the call ends', () => {
    const copies = new FileCopies();
    const file = write(array(1, 1));
    const copy = copies.read(file);
    expect(copies.read(file) === copy).toBe(true);
    copies.verify([file]); // the call ended, the copy is intact
    expect(copies.read(file) === copy).toBe(true);
    copy[0] = 42; // a task wrote into it
    copies.verify([file]);
    const reread = copies.read(file);
    expect(reread === copy).toBe(false);
    expect(Buffer.from(reread).equals(fs.readFileSync(file))).toBe(true);
    expect(copies.bytes).toBe(MB);
    copies.release([file]);
    expect(copies.bytes).toBe(0);
  });

  it.runIf(nativeHelpers() && process.platform === 'linux')(
    'maps the file with the native helpers, as numpy\'s memmap: no copy, and a task\'s write never reaches the file', () => {
      const copies = new FileCopies();
      const file = write(array(2, 3));
      const copy = copies.read(file);
      // The mapping is the copy: the file appears in this process's memory map, its whole size.
      const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(file));
      expect(maps).toHaveLength(1);
      const [start, end] = maps[0]!.split(' ')[0]!.split('-').map((address) => BigInt(`0x${address}`));
      expect(end! - start!).toBe(BigInt(2 * MB));
      copy[0] = 42; // private: this process's page only
      expect(fs.readFileSync(file).equals(Buffer.from(bytes(array(2, 3))))).toBe(true);
      copies.verify([file]);
      expect(copies.read(file)[0]).toBe(bytes(array(2, 3))[0]); // the written copy was dropped: mapped again
      copies.release([file]);
    });

  it('keeps the copies a running call uses past the bound, and drops the least recently used ones when it ends', () => {
    const copies = new FileCopies();
    const files = [1, 2, 3].map((fill) => write(array(4, fill)));
    const first = files.map((file) => copies.read(file));
    expect(copies.bytes).toBe(12 * MB); // all in use by the call: none dropped
    copies.verify(files);
    expect(copies.bytes).toBe(8 * MB);
    // Identity, not contents: comparing 4 MB arrays element by element is slow.
    expect(copies.read(files[0]!) === first[0]).toBe(false); // the oldest went
    expect(copies.read(files[2]!) === first[2]).toBe(true);
  });
});
