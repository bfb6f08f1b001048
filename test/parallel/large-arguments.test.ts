// Large arguments cross once per call: processes read one temporary file each (removed after
// the call when nothing is kept between calls, on failure, abort, exit and SIGINT; swept after
// SIGKILL), threads view one SharedArrayBuffer, and `require: 'sharedmem'` lets tasks write into
// the caller's memory. Kept between calls (the default): a file per content, written once, each
// worker's copy read once and checked, bounded by JOBLIB_TS_LARGE_ARGUMENT_CACHE.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canMountTmpfs, mountTmpfs } from '../tmpfs.js';
import { isAlive, runNode } from './run-node.js';

let folder: string;
beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-large-'));
});
afterEach(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});
const filesLeft = (): string[] => fs.readdirSync(folder, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => e.name);
/** Nothing kept between calls: each call's files are removed when it ends. */
const KEEP_NOTHING = { JOBLIB_TS_LARGE_ARGUMENT_CACHE: '0' };

describe('large arguments on processes', () => {
  it('writes a 80 MB array once and each worker reads it at most once for a 100-task call (nothing kept)', async () => {
    const run = await runNode(`
      const values = new Float64Array(10_000_000).map((_, i) => i % 7);
      const tempFolder = process.env.TEST_FOLDER;
      const means = await jl.Parallel({ nJobs: 2, tempFolder })(Array.from({ length: 100 }, (_, i) => jl.delayed(t.sliceMean)(values, i, 100)));
      report([means.length, means.every((m) => Math.abs(m - 3) < 0.01)]);
      const seen = await jl.Parallel({ nJobs: 2, tempFolder, batchSize: 1 })(Array.from({ length: 100 }, () => jl.delayed(t.bufferSeen)(values)));
      report(seen.map((s) => s.distinct));
      report(await jl.Parallel({ nJobs: 2, tempFolder })([jl.delayed(t.filesUnder)(tempFolder, values)]));
      report(await jl.Parallel({ nJobs: 2, tempFolder, maxNbytes: null })([jl.delayed(t.filesUnder)(tempFolder, values)]));
      report(await jl.Parallel({ nJobs: 2, tempFolder, maxNbytes: '100M' })([jl.delayed(t.filesUnder)(tempFolder, values)]));`,
    { env: { TEST_FOLDER: folder, ...KEEP_NOTHING }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    const [means, distinct, during, disabled, under] = run.reports as [unknown, number[], number[], number[], number[]];
    expect(means).toEqual([100, true]);
    // The worker sees one buffer for all its tasks: it read the file once (a read per task would make 100).
    expect(distinct.every((d) => d === 1)).toBe(true);
    expect(during).toEqual([1]); // one file while the call runs
    expect(disabled).toEqual([0]); // maxNbytes: null sends it in the message
    expect(under).toEqual([0]); // 80 MB is under '100M'
    expect(filesLeft()).toEqual([]); // removed after each call
  });

  it('sends a small view of a big buffer alone, and views covering half of one or more as the whole buffer, once (nothing kept)', async () => {
    const run = await runNode(`
      const tempFolder = process.env.TEST_FOLDER;
      const big = new Float64Array(8_000_000).map((_, i) => i); // 64 MB
      const slice = big.subarray(1_000_000, 1_250_000); // 2 MB of it
      for (const backend of ['process', 'threads']) {
        report(await jl.Parallel({ nJobs: 2, backend, tempFolder })([jl.delayed(t.viewInfo)(slice), jl.delayed(t.bytesUnder)(tempFolder, slice)]));
      }
      const halves = [big.subarray(0, 4_000_000), big.subarray(4_000_000)];
      report(await jl.Parallel({ nJobs: 2, tempFolder })([...halves.map((h) => jl.delayed(t.viewInfo)(h)), jl.delayed(t.bytesUnder)(tempFolder, ...halves)]));`,
    { env: { TEST_FOLDER: folder, ...KEEP_NOTHING }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    const [processes, threads, halves] = run.reports as unknown[][];
    expect(processes).toEqual([{ length: 250_000, first: 1_000_000, bufferBytes: 2_000_000 }, 2_000_000]); // a 2 MB file
    expect(threads![0]).toEqual({ length: 250_000, first: 1_000_000, bufferBytes: 2_000_000 }); // a 2 MB shared copy
    // Two halves of one buffer: each covers half of it, so the whole buffer is written once and both view it.
    expect(halves).toEqual([{ length: 4_000_000, first: 0, bufferBytes: 64_000_000 },
      { length: 4_000_000, first: 4_000_000, bufferBytes: 64_000_000 }, 64_000_000]);
  });

  it('removes the files when a call fails, is aborted (nothing kept), or the process exits', async () => {
    const run = await runNode(`
      const values = new Float64Array(500_000).fill(1);
      const tempFolder = process.env.TEST_FOLDER;
      const count = () => t.filesUnder(tempFolder);
      try { await jl.Parallel({ nJobs: 2, tempFolder })([jl.delayed(t.describeArray)(values), jl.delayed(t.failAt)(1, 1, values)]); }
      catch (e) { report([e.name, await count()]); }
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      try { await jl.Parallel({ nJobs: 2, tempFolder, signal: controller.signal })([jl.delayed(t.sleepSync)(20_000, values)]); }
      catch (e) { report([e.name, await count()]); }
      setTimeout(() => { report(['exiting', fs.readdirSync(tempFolder, { recursive: true }).length > 0]); process.exit(0); }, 300);
      await jl.Parallel({ nJobs: 2, tempFolder })([jl.delayed(t.sleepSync)(20_000, values)]);`,
    { env: { TEST_FOLDER: folder, ...KEEP_NOTHING }, timeoutMs: 30_000 });
    expect(run.reports).toEqual([['FinickyError', 0], ['AbortError', 0], ['exiting', true]]);
    expect(run.code).toBe(0);
    expect(filesLeft()).toEqual([]);
  });

  it('removes the files on SIGINT and still dies of it; a SIGKILLed process\'s folder is swept by the next', async () => {
    const { spawn } = await import('node:child_process');
    const script = (signal: string) => `
      import * as jl from 'joblib-ts';
      import * as t from './tasks.mjs';
      const values = new Float64Array(500_000).fill(1);
      setTimeout(() => process.kill(process.pid, '${signal}'), 500);
      await jl.Parallel({ nJobs: 2, tempFolder: process.env.TEST_FOLDER })([jl.delayed(t.sleepSync)(20_000, values)]);`;
    const runUntilKilled = (signal: string) => new Promise<NodeJS.Signals | null>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script(signal)],
        { cwd: path.join(import.meta.dirname, 'fixtures'), env: { ...process.env, TEST_FOLDER: folder }, stdio: 'inherit' });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await runUntilKilled('SIGINT')).toBe('SIGINT');
    expect(filesLeft()).toEqual([]);
    expect(await runUntilKilled('SIGKILL')).toBe('SIGKILL');
    const [left] = fs.readdirSync(folder);
    expect(left).toMatch(/^joblib-ts-\d+-/);
    expect(isAlive(Number(/joblib-ts-(\d+)-/.exec(left!)![1]))).toBe(false);
    const run = await runNode(`
      await jl.Parallel({ nJobs: 2, tempFolder: process.env.TEST_FOLDER })([jl.delayed(t.describeArray)(new Float64Array(500_000))]);`,
    { env: { TEST_FOLDER: folder } });
    expect(run.stderr).toBe('');
    expect(fs.readdirSync(folder).filter((name) => name === left)).toEqual([]);
  }, 30_000);

  it('keeps the file and each worker\'s copy across calls: written once, read once, written again only for new bytes', async () => {
    const run = await runNode(`
      const fs = await import('node:fs');
      const path = await import('node:path');
      const tempFolder = process.env.TEST_FOLDER;
      const files = () => fs.readdirSync(tempFolder, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
        .map((e) => { const stat = fs.statSync(path.join(e.parentPath ?? e.path, e.name)); return [e.name, stat.ino, stat.mtimeMs]; });
      // Two tasks of one each: each worker runs one (an idle worker first).
      const onBoth = (fn, ...args) => jl.Parallel({ nJobs: 2, tempFolder, batchSize: 1 })([jl.delayed(fn)(...args), jl.delayed(fn)(...args)]);
      const values = new Float64Array(1_000_000).map((_, i) => i % 7); // 8 MB
      for (let call = 0; call < 3; call += 1) {
        report((await onBoth(t.bufferSeen, values)).map((seen) => seen.distinct));
        report(files());
      }
      values[0] = 100;
      report((await onBoth(t.describeArray, values)).map((d) => d.sum));
      report((await onBoth(t.bufferSeen, values)).map((seen) => seen.distinct));
      report(files().length);
      report((await onBoth(t.describeArray, Float64Array.from(values))).map((d) => d.sum)); // equal bytes, another array
      report(files().length);`,
    { env: { TEST_FOLDER: folder, JOBLIB_TS_LARGE_ARGUMENT_CACHE: '64M' }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    const [seen1, files1, seen2, files2, seen3, files3, sums, seenChanged, filesChanged, sumsOther, filesOther] = run.reports;
    // The same copy in each worker for three calls: read once; the same file, never written again.
    expect([seen1, seen2, seen3]).toEqual([[1, 1], [1, 1], [1, 1]]);
    expect((files1 as unknown[]).length).toBe(1);
    expect(files2).toEqual(files1);
    expect(files3).toEqual(files1);
    const sum = 2_999_997 + 100; // i % 7 over a million elements, with the first set to 100
    expect(sums).toEqual([sum, sum]);
    expect(seenChanged).toEqual([2, 2]); // changed bytes: a new file, read by each worker
    expect(filesChanged).toBe(1); // the array changed in place: the file of its old bytes is gone
    expect(sumsOther).toEqual([sum, sum]);
    expect(filesOther).toBe(1); // found by content: no second file
    expect(filesLeft()).toEqual([]); // removed at exit
  });

  it('drops a worker\'s copy a task wrote into, so that the next call sees the caller\'s bytes', async () => {
    const run = await runNode(`
      const tempFolder = process.env.TEST_FOLDER;
      const onBoth = (fn, ...args) => jl.Parallel({ nJobs: 2, tempFolder, batchSize: 1 })([jl.delayed(fn)(...args), jl.delayed(fn)(...args)]);
      const values = new Float64Array(1_000_000).fill(1);
      await onBoth(t.writeAt, values, 0, 1e6); // into each worker's copy
      report((await onBoth(t.describeArray, values)).map((d) => d.sum));
      report((await onBoth(t.bufferSeen, values)).map((seen) => seen.distinct));`,
    { env: { TEST_FOLDER: folder }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([[1_000_000, 1_000_000], [1, 1]]);
  });

  it('keeps at most JOBLIB_TS_LARGE_ARGUMENT_CACHE bytes between calls: the least recently used file goes, and workers read it again', async () => {
    const run = await runNode(`
      const fs = await import('node:fs');
      const tempFolder = process.env.TEST_FOLDER;
      const onBoth = (fn, ...args) => jl.Parallel({ nJobs: 2, tempFolder, batchSize: 1 })([jl.delayed(fn)(...args), jl.delayed(fn)(...args)]);
      const count = () => fs.readdirSync(tempFolder, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
      const arrays = [1, 2, 3].map((fill) => new Float64Array(1_000_000).fill(fill)); // 8 MB each
      for (const values of [...arrays, arrays[0]]) {
        report([(await onBoth(t.bufferSeen, values)).map((seen) => seen.distinct), count()]);
      }`,
    { env: { TEST_FOLDER: folder, JOBLIB_TS_LARGE_ARGUMENT_CACHE: '20M' }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    // Three 8 MB files over a 20 MB bound: the first goes; used again, it is written and read anew.
    expect(run.reports).toEqual([[[1, 1], 1], [[2, 2], 2], [[3, 3], 2], [[4, 4], 2]]);
  });

  it('refuses a JOBLIB_TS_LARGE_ARGUMENT_CACHE that is not a size before a task given a large argument runs', async () => {
    const run = await runNode(`
      const values = new Float64Array(500_000);
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(t.touch)(process.env.TEST_FOLDER + '/ran', values)]); }
      catch (e) { report([e.name, e.message]); }`,
    { env: { TEST_FOLDER: folder, JOBLIB_TS_LARGE_ARGUMENT_CACHE: 'plenty' } });
    expect(run.reports).toEqual([['InvalidOptionError', expect.stringMatching(/JOBLIB_TS_LARGE_ARGUMENT_CACHE must be a byte count/)]]);
    expect(fs.existsSync(path.join(folder, 'ran'))).toBe(false);
  });

  it('leaves the copies a worker keeps out of its leak guard: it is not recycled for them', async () => {
    const run = await runNode(`
      const options = { nJobs: 1 + 1, tempFolder: process.env.TEST_FOLDER, workerMemoryLimit: '30M', batchSize: 1 };
      const onBoth = (fn, ...args) => jl.Parallel(options)([jl.delayed(fn)(...args), jl.delayed(fn)(...args)]);
      const before = (await onBoth(t.workerId)).sort();
      for (let fill = 1; fill <= 2; fill += 1) await onBoth(t.describeArray, new Float64Array(5_000_000).fill(fill)); // 40 MB
      report([before, (await onBoth(t.workerId)).sort()]);`,
    { env: { TEST_FOLDER: folder }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    const [[before, after]] = run.reports as [[string[], string[]]];
    expect(after).toEqual(before);
  });

  // A real full filesystem: a 1 MB tmpfs. Root can mount one here and in CI; elsewhere this is skipped.
  it.skipIf(!canMountTmpfs())('raises TempFolderError on a full disk and leaves no partial file', async () => {
    const { folder: tiny, unmount } = mountTmpfs('size=1m');
    try {
      const run = await runNode(`
        try { await jl.Parallel({ nJobs: 2, tempFolder: process.env.TINY })([jl.delayed(t.describeArray)(new Float64Array(500_000))]); }
        catch (e) { report([e.name, e.cause?.code, e.message]); }
        report(await jl.Parallel({ nJobs: 2, tempFolder: process.env.TINY })([jl.delayed(t.describeArray)(new Float64Array(500))]));`,
      { env: { TINY: tiny } });
      const [[name, code, message], small] = run.reports as [string[], unknown[]];
      expect([name, code]).toEqual(['TempFolderError', 'ENOSPC']);
      expect(message).toMatch(/Cannot write a large argument \(4000000 bytes\) to the temporary folder .*joblib-ts-disk-.*ENOSPC/);
      expect(small).toEqual([{ kind: 'Float64Array', length: 500, shared: false, sum: 0 }]); // small ones still go in the message
      expect(fs.readdirSync(tiny, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
    } finally {
      unmount();
    }
  });

  it('raises TempFolderError naming the folder when the file cannot be written, and leaves nothing', async () => {
    const run = await runNode(`
      const values = new Float64Array(500_000);
      try { await jl.Parallel({ nJobs: 2, tempFolder: '/nonexistent/joblib' })([jl.delayed(t.describeArray)(values)]); }
      catch (e) { report([e.name, e.code, e.folder, e.message]); }
      process.env.JOBLIB_TEMP_FOLDER = process.env.TEST_FOLDER;
      report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.filesUnder)(process.env.TEST_FOLDER, values)]));`,
    { env: { TEST_FOLDER: folder } });
    const [[name, code, where, message], viaEnv] = run.reports as [string[], number[]];
    expect([name, code, where]).toEqual(['TempFolderError', 'ERR_JOBLIB_TEMP_FOLDER', '/nonexistent/joblib']);
    expect(message).toMatch(/Cannot write a large argument \(4000000 bytes\) to the temporary folder \/nonexistent\/joblib.*ENOENT.*maxNbytes: null/s);
    expect(viaEnv).toEqual([1]); // JOBLIB_TEMP_FOLDER is where the file went
  });
});

describe('large and shared arguments on threads', () => {
  it('shares SharedArrayBuffers and large arrays with every task without copies, and lets tasks write into shared output', async () => {
    const run = await runNode(`
      const big = new Float64Array(500_000).fill(2);
      const small = new Float64Array(10).fill(1);
      const parallel = jl.Parallel({ nJobs: 2, backend: 'threads' });
      report(await parallel([jl.delayed(t.describeArray)(big), jl.delayed(t.describeArray)(small)]));
      report(await jl.Parallel({ nJobs: 2, backend: 'threads', maxNbytes: null })([jl.delayed(t.describeArray)(big)]));
      // joblib's writable memmap example: tasks fill a shared output array in place.
      const out = new Float64Array(new SharedArrayBuffer(8 * 20));
      await jl.Parallel({ nJobs: 2, require: 'sharedmem' })(Array.from({ length: 20 }, (_, i) => jl.delayed(t.writeAt)(out, i, i * i)));
      report(Array.from(out));
      // A result viewing shared memory comes back as a view of that memory.
      const [back] = await parallel([jl.delayed(t.echo)(out)]);
      back[0] = 42;
      report([out[0], back.buffer === out.buffer || back.buffer instanceof SharedArrayBuffer]);
      try { jl.Parallel({ nJobs: 2, backend: 'process', require: 'sharedmem' }); } catch (e) { report([e.name, e.message]); }
      report(await jl.parallelConfig({ backend: 'process' }, () => jl.Parallel({ nJobs: 2, require: 'sharedmem' })(
        [jl.delayed(t.writeAt)(out, 0, 7)])));
      report(out[0]);`);
    const [given, copied, squares, [roundTrip, isShared], refused, fallback, written] = run.reports as
      [unknown[], unknown[], number[], [number, boolean], string[], number[], number];
    expect(given).toEqual([{ kind: 'Float64Array', length: 500_000, shared: true, sum: 1_000_000 },
      { kind: 'Float64Array', length: 10, shared: false, sum: 10 }]);
    expect(copied).toEqual([{ kind: 'Float64Array', length: 500_000, shared: false, sum: 1_000_000 }]);
    expect(squares).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(roundTrip).toBe(42);
    expect(isShared).toBe(true);
    expect(refused![0]).toBe('InvalidOptionError');
    expect(refused![1]).toMatch(/require: 'sharedmem' needs a backend whose tasks share this process's memory, and backend 'process' does not/);
    expect(fallback).toEqual([0]); // a configured backend without shared memory gives way to threads, as joblib
    expect(written).toBe(7);
  });
});
