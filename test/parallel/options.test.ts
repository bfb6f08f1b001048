// The pure rules of Parallel, checked directly: nJobs, preDispatch expressions, byte sizes,
// joblib's auto-batching steps, progress formatting, the cgroup CPU quota, and the checks every
// option goes through before anything runs.

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoBatcher } from '../../src/parallel/batching.js';
import { cgroupCpuLimit, cpuCount } from '../../src/parallel/cpu-count.js';
import { type ExecutorOptions, getReusableExecutor } from '../../src/parallel/backends/process/executor.js';
import { parallelConfig } from '../../src/parallel/config.js';
import { effectiveNJobs, parseBytes } from '../../src/parallel/option-checks.js';
import type { ParallelConfig, ParallelOptions } from '../../src/parallel/options.js';
import { Parallel } from '../../src/parallel/parallel.js';
import { evaluateExpression, preDispatchCount } from '../../src/parallel/pre-dispatch.js';
import { shortFormatTime, skipLine } from '../../src/parallel/progress.js';

describe('nJobs', () => {
  it('maps -1 to all CPUs, -2 to all but one, large negatives to 1 and null to 1', () => {
    const cpus = cpuCount();
    expect(effectiveNJobs(-1)).toBe(cpus);
    expect(effectiveNJobs(-2)).toBe(Math.max(cpus - 1, 1));
    expect(effectiveNJobs(-(cpus + 10))).toBe(1);
    expect(effectiveNJobs(null)).toBe(1);
    expect(effectiveNJobs(undefined)).toBe(1);
    expect(effectiveNJobs(7)).toBe(7);
  });

  it('rejects 0 and non-integers with joblib\'s meaning in the message', () => {
    expect(() => effectiveNJobs(0)).toThrow(/nJobs: 0 has no meaning/);
    expect(() => effectiveNJobs(0.5)).toThrow(/must be an integer/);
    expect(() => effectiveNJobs('2' as unknown as number)).toThrow(/must be an integer.*got '2'/);
  });
});

describe('preDispatch', () => {
  it('evaluates joblib expressions with nJobs and rejects anything else', () => {
    expect(preDispatchCount(undefined, 3)).toBe(6);
    expect(preDispatchCount('2*nJobs', 4)).toBe(8);
    expect(preDispatchCount('3 * n_jobs + 1', 2)).toBe(7);
    expect(preDispatchCount('all', 2)).toBe(Infinity);
    expect(preDispatchCount(5, 2)).toBe(5);
    expect(evaluateExpression('2**3 // 3 % 5 - -1')).toBe(3);
    expect(() => evaluateExpression('1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1')).toThrow(/longer than 30/);
    expect(() => evaluateExpression('10**7')).toThrow(/exceeds 1e6/);
    expect(() => evaluateExpression('process.exit()')).toThrow(/not allowed/);
    expect(() => preDispatchCount('0*nJobs', 2)).toThrow(/at least 1/);
    expect(() => preDispatchCount(-1, 2)).toThrow(/positive integer/);
  });

  it('parses byte sizes in 1024 units', () => {
    expect(parseBytes('1M', 'x')).toBe(1_048_576);
    expect(parseBytes('3K', 'x')).toBe(3072);
    expect(parseBytes('1.5G', 'x')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes(10, 'x')).toBe(10);
    expect(() => parseBytes('lots', 'workerMemoryLimit')).toThrow(/workerMemoryLimit must be a byte count/);
  });
});

describe('AutoBatcher (joblib rule)', () => {
  it('grows at most 2x per step while batches are fast and ignores stale sizes', () => {
    const batcher = new AutoBatcher();
    expect(batcher.next()).toBe(1);
    batcher.completed(1, 0.001);
    expect(batcher.next()).toBe(2); // ideal 400, capped at 2x
    batcher.completed(1, 5); // a batch of the old size: ignored
    expect(batcher.smoothedDuration).toBe(0);
    batcher.completed(2, 0.15);
    expect(batcher.next()).toBe(4); // min(4, int(2*0.2/0.15)*2 = 4)
    batcher.completed(4, 0.5); // in the 0.2-2 s band: keep
    expect(batcher.next()).toBe(4);
  });

  it('shrinks fast when batches are slow and smooths samples 0.8/0.2', () => {
    const batcher = new AutoBatcher();
    batcher.batchSize = 100;
    batcher.completed(100, 4);
    batcher.completed(100, 9);
    expect(batcher.smoothedDuration).toBeCloseTo(0.8 * 4 + 0.2 * 9);
    expect(batcher.next()).toBe(2 * Math.trunc((100 * 0.2) / 5));
    batcher.reset();
    expect([batcher.batchSize, batcher.smoothedDuration]).toEqual([1, 0]);
  });

  it('aims at the bounds a backend declares (idealBatchDurationMs)', () => {
    const network = new AutoBatcher([50, 1000]);
    network.batchSize = 8;
    network.completed(8, 0.1); // 100 ms: too fast for joblib's 200 ms, inside this backend's band
    expect(network.next()).toBe(8);
    const slow = new AutoBatcher([50, 1000]);
    slow.batchSize = 8;
    slow.completed(8, 1.5); // too slow for 1 s (joblib's 2 s would keep it): shrink
    expect(slow.next()).toBe(1);
    const local = new AutoBatcher();
    local.batchSize = 8;
    local.completed(8, 0.1);
    expect(local.next()).toBe(16);
    local.batchSize = 8;
    local.smoothedDuration = 0;
    local.completed(8, 1.5);
    expect(local.next()).toBe(8);
  });
});

describe('progress formatting', () => {
  it('formats times as joblib does and thins lines quadratically', () => {
    expect(shortFormatTime(1.234)).toBe('   1.2s');
    expect(shortFormatTime(90)).toBe(' 1.5min');
    const printed = Array.from({ length: 200 }, (_, i) => i).filter((i) => !skipLine(i, 5));
    expect(printed).toEqual([0, 17, 71, 161]); // (i + 1) / 18 crosses 1, 4, 9
    expect(Array.from({ length: 50 }, (_, i) => i).every((i) => !skipLine(i, 11))).toBe(true);
    expect(skipLine(3, 0)).toBe(true);
  });
});

describe('cpuCount', () => {
  it('reads cgroup v2 and v1 quotas, rounding up, and treats "max" as no limit', () => {
    const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
    writeFileSync(join(root, 'cpu.max'), '150000 100000\n');
    expect(cgroupCpuLimit(root)).toBe(2);
    writeFileSync(join(root, 'cpu.max'), 'max 100000\n');
    expect(cgroupCpuLimit(root)).toBe(Infinity);
    const v1 = mkdtempSync(join(tmpdir(), 'cgroup-v1-'));
    mkdirSync(join(v1, 'cpu'));
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_quota_us'), '50000');
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_period_us'), '100000');
    expect(cgroupCpuLimit(v1)).toBe(1);
    expect(cgroupCpuLimit(join(root, 'missing'))).toBe(Infinity);
    expect(cpuCount()).toBeGreaterThanOrEqual(1);
  });
});

describe('option checks at Parallel(...), parallelConfig and getReusableExecutor', () => {
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
    return 'accepted';
  };

  it('refuses a callback, signal, initializer or other option of the wrong type before anything runs', () => {
    const bad: [ParallelOptions, RegExp][] = [
      [{ onProgress: 'x' as never }, /^InvalidOptionError: onProgress must be a function \(\{ completed, total, elapsedMs \}\) => void, got 'x'/],
      [{ signal: 'x' as never }, /^InvalidOptionError: signal must be an AbortSignal \(from new AbortController\(\)\.signal or AbortSignal\.timeout\(ms\)\), got 'x'/],
      [{ initializer: 'x' as never }, /^InvalidOptionError: initializer must be a function, got 'x'/],
      [{ verbose: 'x' as never }, /^InvalidOptionError: verbose must be a number ≥ 0, got 'x'/],
      [{ verbose: -1 }, /verbose must be a number ≥ 0, got -1/],
      [{ env: { A: 1 } as never }, /^InvalidOptionError: env must map names to strings; env\.A is 1/],
      [{ tempFolder: 3 as never }, /^InvalidOptionError: tempFolder must be a folder path \(a string\), got 3/],
      [{ maxTasksPerWorker: 1.5 }, /maxTasksPerWorker must be an integer ≥ 0 \(0: never\), got 1.5/],
      [{ innerMaxNumThreads: 0 }, /innerMaxNumThreads must be a positive integer, got 0/],
      [{ workerMemoryLimit: 'lots' }, /workerMemoryLimit must be a byte count/],
      [{ idleTimeout: 0 }, /idleTimeout must be a positive number of milliseconds/],
      [{ maxNbytes: '1X' }, /maxNbytes must be a byte count/],
      [{ preDispatch: {} as never }, /preDispatch must be a positive integer, 'all' or an expression/],
    ];
    for (const [options, message] of bad) {
      for (const nJobs of [1, 2]) expect(refusal(() => Parallel({ nJobs, ...options }))).toMatch(message);
    }
    expect(refusal(() => Parallel({ nJobs: 2, signal: new AbortController().signal, onProgress: () => undefined,
      initializer: Math.random, verbose: 0, env: { A: 'b' } }))).toBe('accepted');
  });

  it('refuses unknown option names, naming the nearest', () => {
    expect(refusal(() => Parallel({ nJob: 2 } as ParallelOptions)))
      .toBe('InvalidOptionError: \'nJob\' is not an option of Parallel; did you mean \'nJobs\'?');
    expect(refusal(() => parallelConfig({ n_jobs: 2 } as ParallelConfig, () => 1))).toMatch(/'n_jobs' is not an option of parallelConfig; did you mean 'nJobs'\?/);
    expect(refusal(() => parallelConfig({ signal: new AbortController().signal } as ParallelConfig, () => 1)))
      .toBe('InvalidOptionError: \'signal\' is an option of Parallel itself, not of parallelConfig: pass it to Parallel(...).');
    expect(refusal(() => parallelConfig({ verbose: 'x' } as never, () => 1))).toMatch(/verbose must be a number/);
    expect(refusal(() => getReusableExecutor({ maxWorker: 2 } as ExecutorOptions)))
      .toMatch(/'maxWorker' is not an option of getReusableExecutor; did you mean 'maxWorkers'\?/);
    expect(refusal(() => getReusableExecutor({ idleTimeout: '5' } as never))).toMatch(/idleTimeout must be a positive number/);
  });
});
