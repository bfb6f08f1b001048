// The worker pools under failure, on processes and threads alike: crashes, timeouts,
// cancellation, recycling, idle exit; then what only processes have: signals, resizing the
// reusable executor, and no orphan workers after Ctrl-C or the parent's death (kill(pid, 0)).

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isAlive, runNode as runNodeOn, type RunOptions } from './run-node.js';

describe.each(['process', 'threads'] as const)('worker pool on %s', (backend) => {
  const runNode = (body: string, options: RunOptions = {}) => runNodeOn(body, { ...options, backend });

  it('fails a crashed worker\'s task with TerminatedWorkerError (process.exit, an uncaught error) and heals', async () => {
    const run = await runNode(`
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 1 });
      for (const task of [jl.delayed(t.exitWith)(3), jl.delayed(t.throwLater)()]) {
        try { await parallel([jl.delayed(t.square)(1), task, jl.delayed(t.square)(2)]); } catch (e) { report(describe(e)); }
        report(await parallel([3, 4].map((x) => jl.delayed(t.square)(x))));
      }`);
    const [exit, afterExit, uncaught, afterUncaught] = run.reports as Record<string, unknown>[];
    expect(exit).toMatchObject({ name: 'TerminatedWorkerError', exitCode: 3, signal: null, taskIndex: 1, duringStartup: false });
    const worker = backend === 'process' ? /worker process \(pid \d+\)/ : /worker thread \d+ \(in process \d+\)/;
    expect(exit!.message).toMatch(worker);
    expect(exit!.message).toMatch(/was unexpectedly terminated with exit code 3 while running task #1 \(exitWith\)/);
    expect(uncaught).toMatchObject({ name: 'TerminatedWorkerError', exitCode: 1, taskIndex: 1 });
    if (backend === 'threads') expect(uncaught!.message).toContain('exit code 1 (Error: thrown from a timer)');
    expect(run.stderr).toContain(backend === 'process' ? 'Error: thrown from a timer' : '');
    for (const after of [afterExit, afterUncaught]) expect(after).toEqual([9, 16]);
  });

  it('reports a worker that cannot start once, without respawning it forever', async () => {
    const run = await runNode(`
      try { await jl.Parallel({ nJobs: 2 })([1, 2, 3].map((x) => jl.delayed(t.square)(x))); } catch (e) { report(describe(e)); }`,
    { execArgv: ['--import', 'data:text/javascript,if (process.env.JOBLIB_TS_NESTING_LEVEL) throw new Error("broken loader")'] });
    const [error] = run.reports as Record<string, unknown>[];
    expect(error).toMatchObject({ name: 'TerminatedWorkerError', duringStartup: true, exitCode: 1 });
    expect(error!.message).toMatch(/before it was ready.*does not respawn/s);
    // A process prints its error to the shared stderr; a thread's comes in the message.
    if (backend === 'threads') expect(error!.message).toContain('(Error: broken loader)');
    expect(run.stderr.match(/^Error: broken loader/gm)?.length ?? 0).toBeLessThanOrEqual(2); // the first two workers only
  });

  it('kills a task past its timeout with TaskTimeoutError, or makes it that task\'s result with onTimeout: continue', async () => {
    const run = await runNode(`
      const start = Date.now();
      try { await jl.Parallel({ nJobs: 2, timeout: 300 })([jl.delayed(t.sleepSync)(10, 1), jl.delayed(t.sleepSync)(20_000)]); }
      catch (e) { report([describe(e), Date.now() - start]); }
      const out = await jl.Parallel({ nJobs: 2, timeout: 300, onTimeout: 'continue', batchSize: 2 })(
        [1, 20_000, 2, 3].map((ms) => jl.delayed(t.sleepSync)(ms)));
      report(out.map((r) => (r instanceof jl.TaskTimeoutError ? 'timeout#' + r.taskIndex : r)));
      report(await jl.Parallel({ nJobs: 2, timeout: 5000 })([jl.delayed(t.sleepSync)(50)]));`);
    const [[error, elapsed], continued, generous] = run.reports as [[Record<string, unknown>, number], unknown[], number[]];
    expect(error).toMatchObject({ name: 'TaskTimeoutError', taskIndex: 1 });
    expect(elapsed).toBeLessThan(5000);
    expect(continued).toEqual([1, 'timeout#1', 2, 3]);
    expect(generous).toEqual([50]);
  });

  it('treats timeout and idleTimeout of Infinity as no limit, and never arms a timer Node would overflow', async () => {
    // Node fires a timer of 2^31 ms or more after 1 ms: Infinity killed every task at once, and an
    // idle timer of Infinity re-armed itself every millisecond with a TimeoutOverflowWarning.
    const run = await runNode(`
      report(await jl.Parallel({ nJobs: 2, timeout: Infinity, idleTimeout: Infinity })([jl.delayed(t.addLater)(1, 2, 50)]));
      await new Promise((r) => setTimeout(r, 100)); // idle workers, under an idle timeout of Infinity
      for (const options of [{ timeout: 2 ** 31 }, { idleTimeout: Number.MAX_SAFE_INTEGER }, { timeout: '100' }]) {
        try { jl.Parallel({ nJobs: 2, ...options }); report('accepted'); } catch (e) { report(e.name + ': ' + e.message); }
      }`);
    expect(run.reports[0]).toEqual([3]);
    expect(run.reports[1]).toBe('InvalidOptionError: timeout of 2147483648 ms is longer than a Node timer can wait ' +
      '(2147483647 ms, about 24.8 days); use Infinity for no limit.');
    expect(run.reports[2]).toMatch(/^InvalidOptionError: idleTimeout of 9007199254740991 ms is longer than a Node timer/);
    expect(run.reports[3]).toBe('InvalidOptionError: timeout must be a positive number of milliseconds (Infinity: no limit), got \'100\'.');
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(run.code).toBe(0);
  });

  it('warns once when nJobs is many times the CPU count, and starts no more workers than tasks', async () => {
    const run = await runNode(`
      const nJobs = 8 * jl.cpuCount() + 1;
      process.on('warning', (w) => report([w.name, w.code]));
      await jl.Parallel({ nJobs, batchSize: 1 })([1, 2, 3].map(() => jl.delayed(t.sleepSync)(50)));
      if (${JSON.stringify(backend)} === 'process') report(jl.getReusableExecutor({ maxWorkers: nJobs }).pids.length);
      await jl.Parallel({ nJobs })([jl.delayed(t.square)(2)]);
      await jl.Parallel({ nJobs: jl.cpuCount() * 8 })([jl.delayed(t.square)(2)]);`);
    const kind = backend === 'process' ? 'processes' : 'threads';
    expect(run.stderr.match(/JoblibWarning/g)).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`nJobs: \\d+ allows up to \\d+ worker ${kind} on \\d+ CPUs?\\. Workers start only as tasks need them`));
    expect(run.reports[0]).toEqual(['JoblibWarning', 'JOBLIB_NJOBS_OVERSUBSCRIBED']);
    if (backend === 'process') expect(run.reports[1]).toBeLessThanOrEqual(3);
    expect(run.reports).toHaveLength(backend === 'process' ? 2 : 1);
  });

  it('cancels a call with an AbortSignal and kills its running tasks', async () => {
    const run = await runNode(`
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const start = Date.now();
      try { await jl.Parallel({ nJobs: 2, signal: controller.signal })([1, 2, 3, 4].map(() => jl.delayed(t.sleepSync)(20_000))); }
      catch (e) { report([e.name, Date.now() - start]); }
      report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(5)]));`);
    const [[name, elapsed], after] = run.reports as [[string, number], number[]];
    expect(name).toBe('AbortError');
    expect(elapsed).toBeLessThan(5000);
    expect(after).toEqual([25]);
  });

  it('reuses its workers across calls, and recycles them after maxTasksPerWorker tasks or past workerMemoryLimit', async () => {
    const run = await runNode(`
      const ids = async () => new Set(await jl.Parallel({ nJobs: 2, batchSize: 1 })(Array.from({ length: 8 }, () => jl.delayed(t.workerId)())));
      const first = await ids();
      const second = await ids();
      report([first.size, [...second].every((id) => first.has(id))]);
      const byCount = await jl.Parallel({ nJobs: 2, batchSize: 1, maxTasksPerWorker: 2 })(Array.from({ length: 8 }, () => jl.delayed(t.workerId)()));
      report(new Set(byCount).size);
      const byMemory = await jl.Parallel({ nJobs: 2, batchSize: 1, workerMemoryLimit: '40M' })(
        Array.from({ length: 12 }, () => jl.delayed(t.leak)(30)));
      report(new Set(byMemory).size);`, { timeoutMs: 30_000 });
    const [reuse, byCount, byMemory] = run.reports as [unknown, number, number];
    expect(reuse).toEqual([2, true]);
    expect(byCount).toBeGreaterThanOrEqual(4);
    expect(byMemory).toBeGreaterThanOrEqual(3);
  });
});

describe('thread pool', () => {
  it('fails a task that calls process.abort() with Node\'s TypeError (unsupported in a thread), and stays usable', async () => {
    // Node does not let a thread abort the process: process.abort() throws there, in the task,
    // which may catch it. Nothing crashed, so this is the task's error, not TerminatedWorkerError.
    const run = await runNodeOn(`
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 1, backend: 'threads' });
      try { await parallel([jl.delayed(t.square)(1), jl.delayed(t.crashNative)(), jl.delayed(t.square)(2)]); }
      catch (e) { report({ ...describe(e), remote: e.cause instanceof jl.RemoteTaskError }); }
      report(await parallel([3, 4].map((x) => jl.delayed(t.square)(x))));`);
    expect(run.reports).toEqual([
      expect.objectContaining({ name: 'TypeError', ctor: 'TypeError', code: 'ERR_WORKER_UNSUPPORTED_OPERATION',
        message: 'process.abort() is not supported in workers', remote: true,
        cause: expect.objectContaining({ name: 'RemoteTaskError', taskIndex: 1 }) }),
      [9, 16]]);
    expect(run.code).toBe(0);
  });
});

describe('sequential', () => {
  it('warns once that nJobs: 1 cannot enforce a timeout', async () => {
    const run = await runNodeOn(`report(await jl.Parallel({ nJobs: 1, timeout: 10 })([jl.delayed(t.square)(2)]));`);
    expect(run.reports).toEqual([[4]]);
    expect(run.stderr.match(/does not support timeout/g)).toHaveLength(1);
  });
});

describe('process pool', () => {
  it('fails a task whose worker dies of a signal (SIGKILL, abort) with TerminatedWorkerError, and heals', async () => {
    const run = await runNodeOn(`
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 1 });
      for (const task of [jl.delayed(t.killSelf)('SIGKILL'), jl.delayed(t.crashNative)()]) {
        try { await parallel([jl.delayed(t.square)(1), task, jl.delayed(t.square)(2)]); } catch (e) { report(describe(e)); }
        report(await parallel([3, 4].map((x) => jl.delayed(t.square)(x))));
      }`);
    const [kill, afterKill, abort, afterAbort] = run.reports as Record<string, unknown>[];
    expect(kill).toMatchObject({ name: 'TerminatedWorkerError', signal: 'SIGKILL', taskIndex: 1 });
    expect(abort).toMatchObject({ name: 'TerminatedWorkerError', signal: 'SIGABRT' });
    for (const after of [afterKill, afterAbort]) expect(after).toEqual([9, 16]);
  });

  it('reuses workers across calls, lets idle workers exit, and never keeps the parent alive', async () => {
    const run = await runNodeOn(`
      const pids = async () => new Set(await jl.Parallel({ nJobs: 2, batchSize: 1, idleTimeout: 400 })(
        Array.from({ length: 8 }, () => jl.delayed(t.sleepSync)(20, 0)).map((task, i) => jl.delayed(t.pid)())));
      const first = await pids();
      const second = await pids();
      report([first.size, [...second].every((p) => first.has(p))]);
      await new Promise((r) => setTimeout(r, 1000));
      report(jl.getReusableExecutor({ maxWorkers: 2, idleTimeout: 400 }).pids.length);
      await jl.Parallel({ nJobs: 2 })([jl.delayed(t.square)(1)]); // a warm pool (default 300 s idle) must not hold the exit`,
    { timeoutMs: 15_000 });
    expect(run.reports).toEqual([[2, true], 0]);
    expect(run.code).toBe(0);
  });

  it('resizes the reusable executor up and down many times without deadlock', async () => {
    const run = await runNodeOn(`
      let ok = 0;
      for (let i = 0; i < 20; i++) {
        const ex = jl.getReusableExecutor({ maxWorkers: 1 + (i % 3) });
        const out = await ex.map(t.square, [1, 2, 3, 4, 5]);
        if (out.join() === '1,4,9,16,25') ok++;
      }
      report(ok);
      const ex = jl.getReusableExecutor({ maxWorkers: 2 });
      report([await ex.submit(t.square, 21), await ex.submit(Math.max, 3, 9)]);
      await ex.shutdown();
      try { await ex.submit(t.square, 2); } catch (e) { report(e.name); }
      report(await jl.getReusableExecutor({ maxWorkers: 2 }).map(t.square, [7]));
      const two = jl.Parallel({ nJobs: 2, batchSize: 1 });
      const three = jl.Parallel({ nJobs: 3, batchSize: 1 });
      await three([1].map((x) => jl.delayed(t.square)(x)));
      await jl.getReusableExecutor({ maxWorkers: 3 }).shutdown(); // a runner outlives the pool it started on
      report(await two([1, 2].map((x) => jl.delayed(t.square)(x))));
      report(jl.getReusableExecutor({ maxWorkers: 2 }).maxWorkers);`, { timeoutMs: 60_000 });
    expect(run.reports).toEqual([20, [441, 9], 'ShutdownExecutorError', [49], [1, 4], 2]);
  });

  it('makes an Executor of its own with new Executor(options), as loky\'s ProcessPoolExecutor', async () => {
    const run = await runNodeOn(`
      const shared = jl.getReusableExecutor({ maxWorkers: 2 });
      await shared.map(t.square, [1, 2]);
      const ex = new jl.Executor({ maxWorkers: 2, idleTimeout: 60_000 });
      report([ex.maxWorkers, await ex.submit(t.square, 7), await ex.map(t.square, [1, 2, 3], { chunkSize: 2 })]);
      report([ex instanceof jl.Executor, ex.pids.length > 0 && ex.pids.every((pid) => !shared.pids.includes(pid))]);
      for (const make of [() => new jl.Executor({ maxWorker: 2 }), () => new jl.Executor({ maxWorkers: 0 }),
        () => new jl.Executor({ idleTimeout: 'soon' })]) {
        try { make(); report('accepted'); } catch (e) { report(e.name + ': ' + e.message); }
      }
      try { await ex.map(t.square, [1], { chunkSize: 0 }); } catch (e) { report(e.name + ': ' + e.message); }
      try { await ex.submit(t.unsendableAt, 2, 2); } catch (e) { report([e.name, e.message.slice(0, 43)]); }
      await ex.shutdown();
      try { await ex.submit(t.square, 2); } catch (e) { report(e.name); }
      report(await shared.submit(t.square, 5)); // the shared pool is not this one
      const idle = new jl.Executor({ maxWorkers: 1 });
      report(await idle.submit(t.square, 6)); // never shut down: its idle worker must not hold the exit`, { timeoutMs: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.reports).toEqual([
      [2, 49, [1, 4, 9]],
      [true, true],
      'InvalidOptionError: \'maxWorker\' is not an option of Executor; did you mean \'maxWorkers\'?',
      'InvalidOptionError: maxWorkers must be a positive integer, got 0.',
      expect.stringMatching(/^InvalidOptionError: idleTimeout must be a positive number of milliseconds/),
      'InvalidOptionError: chunkSize must be a positive integer, got 0.',
      ['SerializationError', 'The result of task #0 (unsendableAt) cannot'],
      'ShutdownExecutorError',
      25,
      36,
    ]);
  });

  it('finishes the tasks of workers it retires: shrinking while busy, and shutdown without kill', async () => {
    const run = await runNodeOn(`
      const ex = jl.getReusableExecutor({ maxWorkers: 2 });
      const busy = [ex.submit(t.sleepSync, 400, 'a'), ex.submit(t.sleepSync, 400, 'b')];
      await new Promise((r) => setTimeout(r, 150));
      jl.getReusableExecutor({ maxWorkers: 1 }); // shrink: one busy worker is retired
      report(await Promise.all(busy));
      const last = ex.submit(t.sleepSync, 300, 'c');
      await new Promise((r) => setTimeout(r, 100));
      await ex.shutdown();
      report(await last);`, { timeoutMs: 20_000 });
    expect(run.reports).toEqual([['a', 'b'], 'c']);
  });

  it.each([
    ['SIGKILL to the parent', 'SIGKILL', false],
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true],
  ])('leaves no orphan workers after %s', async (_label, signal, group) => {
    const { spawn } = await import('node:child_process');
    const { FIXTURES, TASKS } = await import('./run-node.js');
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import * as jl from 'joblib-ts';
      import * as t from '${TASKS}';
      const ex = jl.getReusableExecutor({ maxWorkers: 2 });
      const busy = jl.Parallel({ nJobs: 2, batchSize: 1 })([1, 2].map(() => jl.delayed(t.sleepSync)(30_000)));
      await new Promise((r) => setTimeout(r, 700));
      console.log('PIDS ' + JSON.stringify(ex.pids));
      await busy;`], { cwd: FIXTURES, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    while (!out.includes('\n')) await sleep(50);
    const pids = JSON.parse(out.split('PIDS ')[1]!) as number[];
    expect(pids).toHaveLength(2);
    process.kill(group ? -child.pid! : child.pid!, signal as NodeJS.Signals);
    const deadline = Date.now() + 5000;
    while (pids.some(isAlive) && Date.now() < deadline) await sleep(100);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
