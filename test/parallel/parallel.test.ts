// The parity suite: every Parallel scenario end to end, in real `node` processes, on each
// backend (worker processes, worker threads, and this process): ordering, function references,
// errors, generators, lazy dispatch, progress and nesting. Where a backend's contract differs
// (sequential runs any closure and rethrows the original error), the test says so.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunOptions, runNode as runNodeOn, runScript as runScriptOn, TASKS } from './run-node.js';

const BACKENDS = ['process', 'threads', 'sequential'] as const;
const BACKEND_NAMES = { process: 'ProcessBackend', threads: 'ThreadingBackend', sequential: 'SequentialBackend' };

describe.each(BACKENDS)('Parallel on %s', (backend) => {
  const pooled = backend !== 'sequential';
  const runNode = (body: string, options: RunOptions = {}) => runNodeOn(body, { ...options, backend });
  const runScript = (args: string[], options: RunOptions = {}) => runScriptOn(args, { ...options, backend });

  it('returns results in input order for nJobs 1, 2 and -1, with built-ins, async and module functions', async () => {
    const run = await runNode(`
      for (const nJobs of [1, 2, -1]) {
        report(await jl.Parallel({ nJobs })(Array.from({ length: 50 }, (_, i) => jl.delayed(t.square)(i))));
        report(await jl.Parallel({ nJobs })([1, 4, 9].map((x) => jl.delayed(Math.sqrt)(x))));
        report(await jl.Parallel({ nJobs, batchSize: 2 })([3, 2, 1].map((x) => jl.delayed(t.addLater)(x, 10, 5 * x))));
      }`);
    expect(run.stderr).toBe('');
    const squares = Array.from({ length: 50 }, (_, i) => i * i);
    expect(run.reports).toEqual([squares, [1, 2, 3], [13, 12, 11], squares, [1, 2, 3], [13, 12, 11], squares, [1, 2, 3], [13, 12, 11]]);
  });

  it('rebuilds functions of the entry script that use its imports and helper functions', async () => {
    const run = await runNode(`
      import { join } from 'node:path';
      import * as os from 'node:os';
      function helper(x) { return x * 2; }
      const twice = (x) => helper(x);
      function work(x) { return join('dir', String(twice(x)), typeof os.cpus); }
      report(await jl.Parallel({ nJobs: 2 })([1, 2, 3].map((x) => jl.delayed(work)(x))));`);
    expect(run.reports).toEqual([['dir/2/function', 'dir/4/function', 'dir/6/function']]);
  });

  if (pooled) it('refuses a function that captures variables before dispatching anything, naming them', async () => {
    const run = await runNode(`
      const threshold = 0.5;
      let counter = 0;
      const uses = (x) => x > threshold && counter++;
      function outer() { const local = 3; return (x) => x + local; }
      for (const fn of [uses, outer()]) {
        try {
          await jl.Parallel({ nJobs: 2, onProgress: () => report('dispatched') })([jl.delayed(t.square)(1), jl.delayed(fn)(2)]);
        } catch (e) { report(describe(e)); }
      }`);
    const [captured, local, ...rest] = run.reports as { name: string; message: string; variables: string[] }[];
    expect(captured!.name).toBe('FunctionReferenceError');
    expect(captured!.variables).toEqual(['threshold', 'counter']);
    expect(captured!.message).toMatch(/`threshold` \(a module-level const, line \d+\)/);
    expect(captured!.message).toMatch(/pass them as an argument.*export it/s);
    expect(local!.variables).toEqual(['local']);
    expect(local!.message).toContain('a local variable of an enclosing function');
    expect(rest).toEqual([]); // refused before the first task (square) was dispatched
  });

  it('sends each distinct function to a worker once and runs TypeScript through the parent loader', async () => {
    const run = await runNode(`
      const pool = jl.getReusableExecutor({ maxWorkers: 1 });
      report(await pool.map(t.square, [1, 2, 3]));
      report(await pool.submit(t.movePoint, new t.Point(1, 2), 3) instanceof t.Point);
      report((await pool.submit(t.movePoint, new t.Point(3, 4), 0)).norm());`);
    expect(run.reports).toEqual([[1, 4, 9], true, 5]);
  });

  if (backend === 'process') it('runs a cached function exported by a module in workers, which share its cache', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-parallel-cache-'));
    try {
      const run = await runNode(`
        const first = await jl.Parallel({ nJobs: 2, batchSize: 1 })([1, 2, 3, 4].map((x) => jl.delayed(t.cachedPid)(x)));
        const again = await jl.Parallel({ nJobs: 2, batchSize: 1 })([1, 2, 3, 4].map((x) => jl.delayed(t.cachedPid)(x)));
        report([first.map((r) => r.x), again.every((r, i) => r.pid === first[i].pid), first.every((r) => r.pid !== process.pid)]);
        const local = new jl.Memory(process.env.JOBLIB_TS_TEST_CACHE, { verbose: 0 }).cache(function local(x) { return x; });
        try { await jl.Parallel({ nJobs: 2 })([jl.delayed(local)(1)]); } catch (e) { report(e.message); }`,
      { env: { JOBLIB_TS_TEST_CACHE: cache } });
      expect(run.reports[0]).toEqual([[1, 2, 3, 4], true, true]); // the second call's results come from the cache
      expect(run.reports[1]).toMatch(/the cached function local runs in a worker only when it is exported from a module/);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('keeps console output of tasks on the terminal without corrupting results', async () => {
    const run = await runNode(`report(await jl.Parallel({ nJobs: 2 })([0, 1, 2, 3].map((i) => jl.delayed(t.chatty)(i))));`);
    expect(run.reports).toEqual([[0, 1, 2, 3]]);
    for (const i of [0, 1, 2, 3]) expect(run.stdout).toContain(`hello from task ${i}`);
  });

  it('has a task\'s output out before its result, even when the script ends right after', async () => {
    // The script ends as soon as it has the results (and the pool goes with it), before the test reads its stdout.
    const run = await runNode(`report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.verbose)(20_000), jl.delayed(t.square)(3)]));`);
    expect(run.reports).toEqual([[20_000, 9]]);
    expect(run.stdout.match(/^line \d+ of a chatty task$/gm)).toHaveLength(20_000);
    expect(run.stdout.indexOf('line 19999 of')).toBeLessThan(run.stdout.indexOf('REPORT'));
  });

  it('returns [] for an empty or exhausted input and reads async iterables', async () => {
    const run = await runNode(`
      const it = [1, 2].map((x) => jl.delayed(t.square)(x))[Symbol.iterator]();
      [...it];
      report(await jl.Parallel({ nJobs: 2 })(it));
      report(await jl.Parallel({ nJobs: 2 })([]));
      async function* tasks() { for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 1)); yield jl.delayed(t.square)(i); } }
      report(await jl.Parallel({ nJobs: 2 })(tasks()));`);
    expect(run.reports).toEqual([[], [], [0, 1, 4, 9, 16]]);
  });

  it('runs a nested Parallel inside a worker sequentially', async () => {
    const run = await runNode(`report(await jl.Parallel({ nJobs: 2 })([0, 10].map((n) => jl.delayed(t.nestedSum)(n))));`);
    // In this process (sequential) a nested Parallel is a top-level one: it may use a pool.
    const nesting = pooled ? { nesting: '1' } : {};
    expect(run.reports).toEqual([[{ sum: 14, ...nesting }, { sum: 434, ...nesting }]]);
  });
  it('rejects with the original error class, its properties, and the worker stack as cause; the pool stays usable', async () => {
    const run = await runNode(`
      const parallel = jl.Parallel({ nJobs: 2 });
      try { await parallel(Array.from({ length: 10 }, (_, i) => jl.delayed(t.failAt)(i, 6))); }
      catch (e) { report({ ...describe(e), isClass: e instanceof t.FinickyError, remote: e.cause?.remoteStack.includes('failAt') }); }
      report(await parallel([1, 2].map((x) => jl.delayed(t.square)(x))));
      await parallel[Symbol.asyncDispose](); // what \`await using\` calls: the runner stays usable
      try { await jl.Parallel({ nJobs: 1 })([jl.delayed(t.failAt)(1, 1)]); } catch (e) { report(e instanceof t.FinickyError); }
      try { await jl.Parallel({ nJobs: 2 })(['a'].map((x) => jl.delayed(t.throwType)(x))); } catch (e) { report(e.constructor.name); }`);
    const [error, after, sequential, typeError] = run.reports as Record<string, unknown>[];
    expect(error).toMatchObject({ name: 'FinickyError', ctor: 'FinickyError', message: 'finicky: task 6', code: 'E_FINICKY',
      isClass: true });
    // From a worker, the worker's stack comes as the cause; in this process the error is the original, stack and all.
    if (pooled) expect(error).toMatchObject({ remote: true, cause: { name: 'RemoteTaskError', taskIndex: 6 } });
    expect(after).toEqual([1, 4]);
    expect(sequential).toBe(true);
    expect(typeError).toBe('TypeError');
  });

  if (pooled) it('aborts on the first error without waiting for slow tasks', async () => {
    const run = await runNode(`
      const start = Date.now();
      const tasks = [jl.delayed(t.throwType)('a'), ...Array.from({ length: 20 }, () => jl.delayed(t.sleepSync)(10_000))];
      try { await jl.Parallel({ nJobs: 2, batchSize: 1 })(tasks); } catch (e) { report([e.name, Date.now() - start]); }
      report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(3)]));`);
    const [[name, elapsed], after] = run.reports as [[string, number], number[]];
    expect(name).toBe('TypeError');
    expect(elapsed).toBeLessThan(8000);
    expect(after).toEqual([9]);
  });

  it('re-raises an error thrown by the task iterator', async () => {
    const run = await runNode(`
      function* tasks() { for (let i = 0; i < 10; i++) { if (i === 5) throw new RangeError('input broke at 5'); yield jl.delayed(t.square)(i); } }
      try { await jl.Parallel({ nJobs: 2 })(tasks()); } catch (e) { report([e.name, e.message]); }
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(1), 42]); } catch (e) { report([e.name, e.message]); }`);
    expect(run.reports).toEqual([['RangeError', 'input broke at 5'],
      ['InvalidOptionError', 'Parallel expects tasks made with delayed(fn)(...args); item #1 is number.']]);
  });

  if (pooled) it('refuses unserializable arguments and results with a SerializationError that names the task and the path', async () => {
    const run = await runNode(`
      const check = (e) => ({ ...describe(e), isClass: e instanceof jl.SerializationError });
      try { await jl.Parallel({ nJobs: 2, batchSize: 2 })([jl.delayed(t.echo)(1), jl.delayed(t.echo)({ cb: () => 1 })]); } catch (e) { report(check(e)); }
      // Task #2 of the input, third of its batch; also when results stream back one by one (under a timeout).
      for (const extra of [{}, { timeout: 20_000 }]) {
        for (const kind of ['function', 'symbol', 'instance']) {
          try { await jl.Parallel({ nJobs: 2, batchSize: 3, ...extra })([0, 1, 2, 3, 4, 5].map((i) => jl.delayed(t.unsendableAt)(i, 2, kind))); }
          catch (e) { report(check(e)); }
        }
      }
      try { await jl.Parallel({ nJobs: 2, batchSize: 3 })([3, 4, 5].map((i) => jl.delayed(t.unsendableAt)(i, 4))); } catch (e) { report(check(e)); }
      report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.echo)(5)]));`);
    const [argument, ...rest] = run.reports as { name: string; message: string; path: string; isClass: boolean }[];
    expect(argument).toMatchObject({ name: 'SerializationError', isClass: true, path: 'args[0].cb' });
    expect(argument!.message).toMatch(/arguments of task #1 cannot be sent to a worker: args\[0\]\.cb: it is a function/);
    const results = rest.slice(0, 6);
    for (const result of results) {
      expect(result).toMatchObject({ name: 'SerializationError', isClass: true, code: 'ERR_JOBLIB_SERIALIZATION' });
      expect(result.message).toMatch(/^The result of task #2 \(unsendableAt\) cannot be sent back to the parent: /);
    }
    for (const at of [0, 3]) {
      expect(results[at]!.path).toBe('result.model.init');
      expect(results[at]!.message).toMatch(/: result\.model\.init: it is a function \(init\)/);
      expect(results[at + 1]!.path).toBe('result');
      expect(results[at + 1]!.message).toMatch(/: result: it is a symbol/);
      expect(results[at + 2]!.path).toBe('result.wrapped');
      expect(results[at + 2]!.message).toMatch(/: result\.wrapped: it is an instance of class Unregistered/);
    }
    expect(rest[6]).toMatchObject({ name: 'SerializationError', isClass: true, path: 'result.model.init' });
    expect(rest[6]!.message).toMatch(/^The result of task #1 \(unsendableAt\)/);
    expect(rest[7]).toEqual([5]);
  });

  it('rejects with the library\'s own error class when a task throws one (FormatError from load)', async () => {
    const run = await runNode(`
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(2), jl.delayed(t.loadGarbage)()]); }
      catch (e) { report({ ...describe(e), isClass: e instanceof jl.FormatError, base: e instanceof jl.JoblibError }); }`);
    expect(run.reports).toEqual([expect.objectContaining({ name: 'FormatError', ctor: 'FormatError', code: 'ERR_JOBLIB_FORMAT',
      isClass: true, base: true })]);
    if (pooled) expect(run.reports[0]).toMatchObject({ cause: { name: 'RemoteTaskError', taskIndex: 1 } });
  });

  it('rejects with the error an onProgress callback throws, stops dispatching, and stays usable', async () => {
    const run = await runNode(`
      const broken = new RangeError('the progress bar broke');
      let calls = 0;
      const onProgress = () => { calls += 1; throw broken; };
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 1, onProgress });
      try { await parallel(Array.from({ length: 20 }, (_, i) => jl.delayed(t.sleepSync)(20, i))); report('resolved'); }
      catch (e) { report([e === broken, calls]); }
      await new Promise((r) => setTimeout(r, 200)); // no batch dispatched later reports progress
      report(calls);
      report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(3)]));`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.reports).toEqual([[true, 1], 1, [9]]);
  });

  it('throws ParallelBusyError when a runner is called while running; two runners run at once', async () => {
    const run = await runNode(`
      const a = jl.Parallel({ nJobs: 2 });
      const first = a([jl.delayed(t.addLater)(1, 1, 200)]);
      try { a([jl.delayed(t.square)(2)]); } catch (e) { report(e.name); }
      const b = jl.Parallel({ nJobs: 2 });
      report(await Promise.all([first, b([jl.delayed(t.square)(3)])]));
      report(await a([jl.delayed(t.square)(4)]));
      const g = jl.Parallel({ nJobs: 2, returnAs: 'generator' });
      const neverRead = g([jl.delayed(t.square)(6)]);
      await new Promise((r) => setTimeout(r, 500));
      const later = [];
      for await (const r of g([jl.delayed(t.square)(7)])) later.push(r); // the runner is free once its call ended
      for await (const r of neverRead) later.push(r); // and the first call's result is still there
      report(later);`);
    expect(run.reports).toEqual(['ParallelBusyError', [[2], [9]], [16], [49, 36]]);
  });
  it('yields in input order, or fastest first with generatorUnordered', async () => {
    const run = await runNode(`
      const tasks = () => [jl.delayed(t.sleepSync)(600, 'slow'), ...Array.from({ length: 9 }, (_, i) => jl.delayed(t.sleepSync)(5, i))];
      const ordered = [];
      for await (const r of jl.Parallel({ nJobs: 2, batchSize: 1, returnAs: 'generator' })(tasks())) ordered.push(r);
      report(ordered);
      const unordered = [];
      for await (const r of jl.Parallel({ nJobs: 2, batchSize: 1, returnAs: 'generatorUnordered' })(tasks())) unordered.push(r);
      report(unordered);`);
    const [ordered, unordered] = run.reports as unknown[][];
    expect(ordered).toEqual(['slow', 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    if (!pooled) {
      expect(unordered).toEqual(ordered); // one task at a time: completion order is input order
      return;
    }
    expect(unordered!.at(-1)).toBe('slow');
    expect([...unordered!.slice(0, 9)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('cancels the rest when a generator is abandoned early, closing the input generator', async () => {
    const run = await runNode(`
      let produced = 0;
      let closed = false;
      function* tasks() { try { for (let i = 0; i < 100; i++) { produced++; yield jl.delayed(t.sleepSync)(20, i); } } finally { closed = true; } }
      for await (const r of jl.Parallel({ nJobs: 2, batchSize: 1, returnAs: 'generator' })(tasks())) { if (r === 2) break; }
      const at = produced;
      await new Promise((r) => setTimeout(r, 300));
      report([at, produced, closed]);
      const controller = new AbortController();
      for (let i = 0; i < 20; i++) await jl.Parallel({ nJobs: 1, signal: controller.signal })([jl.delayed(t.square)(i)]);
      report('no listener leak');`);
    const [[at, later, closed]] = run.reports as [[number, number, boolean]];
    expect(at).toBeLessThan(30); // of 100: read lazily, a few ahead of the consumer
    expect(later).toBe(at);
    expect(closed).toBe(true);
    expect(run.stderr).not.toMatch(/MaxListenersExceededWarning/);
  });

  it('reads a lazy input only as fast as workers free up (preDispatch)', async () => {
    const run = await runNode(`
      let completed = 0;
      const seen = [];
      function* tasks() { for (let i = 0; i < 12; i++) { seen.push([i, completed]); yield jl.delayed(t.sleepSync)(30, i); } }
      report(await jl.Parallel({ nJobs: 2, batchSize: 1, preDispatch: 3, onProgress: (p) => { completed = p.completed; } })(tasks()));
      report(seen);`);
    const [results, seen] = run.reports as [number[], [number, number][]];
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const [index, completedWhenRead] of seen) expect(completedWhenRead).toBeGreaterThanOrEqual(index - 3);
  });

  it('reports progress in every mode and prints joblib-style lines with verbose', async () => {
    const run = await runNode(`
      for (const nJobs of [1, 2]) {
        const events = [];
        await jl.Parallel({ nJobs, batchSize: 2, verbose: 11, onProgress: (e) => events.push([e.completed, e.total]) })(
          Array.from({ length: 6 }, (_, i) => jl.delayed(t.square)(i)));
        report(events);
      }`);
    const [sequential, pooled] = run.reports as [number, number][][];
    expect(sequential!.at(-1)).toEqual([6, 6]);
    expect(pooled!.at(-1)).toEqual([6, 6]);
    const counts = pooled!.map(([done]) => done);
    expect(counts).toEqual([...counts].sort((a, b) => a - b)); // batches of 2, smaller near the end
    const workers = backend === 'sequential' ? '1 concurrent worker' : '2 concurrent workers';
    expect(run.stderr).toContain(`[Parallel(nJobs=2)]: Using backend ${BACKEND_NAMES[backend]} with ${workers}.`);
    expect(run.stderr).toMatch(/\[Parallel\(nJobs=2\)\]: Done 6 out of 6 \| elapsed: +\d+\.\ds finished/);
    expect(run.stderr).toMatch(/\[Parallel\(nJobs=1\)\]: Done 2 tasks {6}\| elapsed: +\d+\.\ds\n/); // still reading the input, as joblib
  });

  if (pooled) it('grows batches on many tiny tasks (auto-batching) and keeps every result', async () => {
    const run = await runNode(`
      const out = await jl.Parallel({ nJobs: 2, verbose: 10 })(Array.from({ length: 20000 }, (_, i) => jl.delayed(t.square)(i)));
      report([out.length, out[19999]]);`);
    expect(run.reports).toEqual([[20000, 19999 ** 2]]);
    expect(run.stderr).toMatch(/Batch computation too fast \([\d.]+s\.\) Setting batchSize=\d+\./);
  });
  it('runs TypeScript entry-script functions under `node --import tsx` (workers inherit the loader)', async () => {
    const run = await runScript(['--import', 'tsx', 'entry-script.ts']);
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([['a=4', 'b=9'], ['A=4', 'B=9'], [16]]);
  });

  it('runs functions of a CommonJS script piped on stdin that use its require()s', async () => {
    const script = `
      const { join } = require('node:path');
      const os = require('node:os');
      const work = (x) => join('p', String(x), typeof os.cpus);
      import('joblib-ts').then(async ({ Parallel, delayed }) => {
        const out = await Parallel({ nJobs: 2, backend: process.env.JOBLIB_TS_TEST_BACKEND })([1, 2].map((x) => delayed(work)(x)));
        console.log('REPORT ' + JSON.stringify(out));
      });`;
    const run = await runScript(['-'], { input: script });
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([['p/1/function', 'p/2/function']]);
  });

  it('sends a function by an explicit module reference (shipByReference)', async () => {
    const run = await runNode(`
      const sq = jl.shipByReference((x) => x * x, '${TASKS}', 'square');
      report(await jl.Parallel({ nJobs: 2 })([5].map((x) => jl.delayed(sq)(x))));
      const missing = jl.shipByReference((x) => x, '${TASKS}', 'noSuchExport');
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(missing)(1)]); } catch (e) { report(e.message); }`);
    expect(run.reports[0]).toEqual([25]);
    // In this process the function itself runs: the reference is only read by workers.
    if (pooled) expect(run.reports[1]).toMatch(/could not find <anonymous> at noSuchExport: it is undefined/);
    else expect(run.reports[1]).toBeUndefined();
  });

  if (pooled) it('refuses bound functions with the fix', async () => {
    const run = await runNode(`
      const bound = t.square.bind(null);
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(bound)(2)]); } catch (e) { report([e.name, e.message]); }`);
    expect(run.reports).toEqual([['FunctionReferenceError', expect.stringMatching(/bound or native function cannot be sent.*Pass the bound values as arguments/)]]);
  });
});

describe('Parallel options', () => {
  it('validates options with clear messages', async () => {
    const run = await runNodeOn(`
      for (const options of [{ nJobs: 0 }, { nJobs: 1.5 }, { batchSize: 0 }, { batchSize: 1.42 }, { returnAs: 'list' },
        { preDispatch: '2*nJobs+__import__' }, { timeout: -1 }]) {
        try { jl.Parallel(options); report('accepted'); } catch (e) { report(e.name + ': ' + e.message); }
      }`);
    const messages = run.reports as string[];
    expect(messages[0]).toBe('InvalidOptionError: nJobs: 0 has no meaning: use 1 to run in this process, n > 1 for n workers, -1 for all CPUs.');
    expect(messages[1]).toMatch(/nJobs must be an integer/);
    expect(messages[2]).toMatch(/batchSize must be 'auto' or a positive integer, got 0/);
    expect(messages[3]).toMatch(/got 1.42/);
    expect(messages[4]).toMatch(/returnAs must be/);
    expect(messages[5]).toMatch(/Cannot evaluate the expression/);
    expect(messages[6]).toMatch(/timeout must be a positive number/);
  });
});
