// Choosing where Parallel runs: parallelConfig scopes (precedence, nesting, async isolation,
// libraries), prefer / require / aliases, the backend registry with a user's backend, and what
// workers start with (env, OMP_NUM_THREADS and friends, initializer).

import { describe, expect, it } from 'vitest';
import { runNode } from './run-node.js';

describe('parallelConfig', () => {
  it('sets defaults for everything fn runs, libraries included; explicit options win; scopes nest, restore and stay per async flow', async () => {
    const run = await runNode(`
      const kinds = (ids) => [...new Set(ids.map((id) => id.split('/')[0] === String(process.pid) ? (id.endsWith('/0') ? 'here' : 'thread') : 'process'))];
      await jl.parallelConfig({ backend: 'threads', nJobs: 2 }, async () => {
        report(['library', kinds(await t.libraryCall(6))]);
        report(['explicit', kinds(await jl.Parallel({ backend: 'process' })(Array.from({ length: 4 }, () => jl.delayed(t.workerId)())))]);
        await jl.parallelConfig({ backend: 'sequential' }, async () => {
          report(['inner', kinds(await t.libraryCall(2)), jl.activeParallelConfig()]);
        });
        report(['restored', kinds(await t.libraryCall(2))]);
      });
      report(['outside', kinds(await t.libraryCall(2)), jl.activeParallelConfig()]);
      // Two flows at once, each in its own scope, interleaving their awaits.
      const flow = (backend) => jl.parallelConfig({ backend, nJobs: 2 }, async () => {
        const seen = [];
        for (let i = 0; i < 3; i++) { seen.push(...kinds(await t.libraryCall(2))); await new Promise((r) => setTimeout(r, 5)); }
        return [...new Set(seen)];
      });
      report(['concurrent', await Promise.all([flow('threads'), flow('process')])]);
      const runner = jl.parallelConfig({ backend: 'threads', nJobs: 2 }, () => jl.Parallel());
      report(['created inside, called outside', kinds(await runner([jl.delayed(t.workerId)()]))]);`);
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([
      ['library', ['thread']],
      ['explicit', ['process']],
      ['inner', ['here'], { backend: 'sequential', nJobs: 2 }],
      ['restored', ['thread']],
      ['outside', ['here'], {}],
      ['concurrent', [['thread'], ['process']]],
      ['created inside, called outside', ['thread']],
    ]);
  });

  it('chooses backends as joblib: prefer, require, aliases; unknown names and zero workers are errors', async () => {
    const run = await runNode(`
      const name = (options) => { let line = ''; const write = process.stderr.write; process.stderr.write = (s) => { line ||= String(s); return true; };
        try { jl.Parallel({ verbose: 1, ...options })([]); } finally { process.stderr.write = write; } return line.replace(/.*Using backend (\\w+) with (\\d+).*\\n/, '$1 $2'); };
      const tryIt = (fn) => { try { return fn(); } catch (e) { return e.name + ': ' + e.message; } };
      report([name({ nJobs: 2 }), name({ nJobs: 2, prefer: 'threads' }), name({ nJobs: 2, require: 'sharedmem' }),
        name({ nJobs: 2, backend: 'loky' }), name({ nJobs: 2, backend: 'threading' }), name({ nJobs: 1, backend: 'threads' }),
        jl.parallelConfig({ backend: 'process', prefer: 'threads' }, () => name({ nJobs: 2 })),
        jl.parallelConfig({ nJobs: 2 }, () => name({ prefer: 'threads' }))]);
      report(tryIt(() => jl.Parallel({ backend: 'dask' })));
      report(tryIt(() => jl.Parallel({ prefer: 'gpu' })));
      report(tryIt(() => jl.Parallel({ require: 'gpu' })));
      jl.registerParallelBackend('empty', () => ({ name: 'EmptyBackend', capabilities: { autoBatching: false, timeout: false, sharedMemory: false },
        effectiveNJobs: () => 0, nestedBackend: () => 'sequential', prepare: async () => {}, submit: () => {}, abort: () => {} }));
      report(tryIt(() => jl.Parallel({ backend: 'empty' })));`);
    const [names, unknown, prefer, require, empty] = run.reports as [string[], string, string, string, string];
    expect(names).toEqual(['ProcessBackend 2', 'ThreadingBackend 2', 'ThreadingBackend 2', 'ProcessBackend 2', 'ThreadingBackend 2',
      'SequentialBackend 1', 'ProcessBackend 2', 'ThreadingBackend 2']);
    expect(unknown).toBe('InvalidOptionError: Unknown backend \'dask\'. Registered backends: \'loky\', \'process\', \'processes\', ' +
      '\'sequential\', \'threading\', \'threads\'. Register others with registerParallelBackend(name, factory).');
    expect(prefer).toMatch(/prefer must be 'processes', 'threads' or null, got 'gpu'/);
    expect(require).toMatch(/require must be 'sharedmem' or null, got 'gpu'/);
    expect(empty).toMatch(/The backend EmptyBackend reported 0 workers; a backend must run at least one/);
  });

  it('runs Parallel on a registered backend, made the default, with the settings it was configured with', async () => {
    const run = await runNode(`
      const seen = [];
      class InlineBackend {
        name = 'InlineBackend';
        capabilities = { autoBatching: false, timeout: false, sharedMemory: true };
        constructor(settings) { this.settings = settings; }
        effectiveNJobs() { return 3; }
        nestedBackend() { return 'sequential'; }
        async prepare(functions, count) { seen.push(['prepare', functions.size, count]); }
        submit(batch, done) {
          seen.push(['batch', batch.firstIndex, batch.tasks.length]);
          setImmediate(() => done({ ok: true, results: batch.tasks.map(({ fn, args }) => fn(...args)) }));
        }
        abort() { seen.push(['abort']); }
      }
      jl.registerParallelBackend('inline', (settings) => new InlineBackend(settings), { makeDefault: true });
      report(await jl.Parallel({ batchSize: 2, maxNbytes: '2K', tempFolder: '/x' })([1, 2, 3].map((x) => jl.delayed(t.square)(x))));
      report(seen);
      const backend = jl.parallelConfig({ nJobs: -1 }, () => { let b; jl.registerParallelBackend('spy', (s) => (b = new InlineBackend(s))); jl.Parallel({ backend: 'spy' }); return b; });
      report([backend.settings.nJobs, backend.settings.maxNbytes, backend.settings.tempFolder]);`);
    expect(run.stderr).toBe('');
    // 3 tasks over 3 workers: joblib's dispatch splits them into one batch per worker.
    expect(run.reports).toEqual([[1, 4, 9], [['prepare', 1, 3], ['batch', 0, 1], ['batch', 1, 1], ['batch', 2, 1], ['abort']],
      [-1, 1024 * 1024, null]]);
  });
});

describe('backend instances and backendParams', () => {
  it('runs on a ParallelBackend instance given as backend, here or in parallelConfig', async () => {
    const run = await runNode(`
      class InlineBackend {
        name = 'InlineBackend';
        capabilities = { autoBatching: false, timeout: false, sharedMemory: false };
        batches = 0;
        effectiveNJobs() { return 2; }
        nestedBackend() { return 'sequential'; }
        async prepare() {}
        submit(batch, done) { this.batches += 1; setImmediate(() => done({ ok: true, results: batch.tasks.map(({ fn, args }) => fn(...args)) })); }
        abort() {}
      }
      const inline = new InlineBackend();
      report(await jl.Parallel({ backend: inline, batchSize: 2 })([1, 2, 3].map((x) => jl.delayed(t.square)(x))));
      report(await jl.parallelConfig({ backend: inline }, () => jl.Parallel()([jl.delayed(t.square)(4)])));
      report(inline.batches);
      const tryIt = (fn) => { try { fn(); return 'accepted'; } catch (e) { return e.name + ': ' + e.message; } };
      report(tryIt(() => jl.Parallel({ backend: { name: 'Half', submit() {} } })));
      report(tryIt(() => jl.Parallel({ backend: inline, require: 'sharedmem' })));
      // From parallelConfig, a backend without shared memory gives way to threads, as a named one does.
      report(jl.parallelConfig({ backend: inline }, () => tryIt(() => jl.Parallel({ nJobs: 2, require: 'sharedmem' }))));`);
    expect(run.stderr).toBe('');
    const [results, configured, batches, half, sharedmem, fallback] = run.reports;
    expect([results, configured]).toEqual([[1, 4, 9], [16]]);
    expect(batches).toBeGreaterThanOrEqual(2); // both calls ran on the instance
    expect(half).toBe('InvalidOptionError: backend must be the name of a registered backend or an object implementing ' +
      'ParallelBackend; the object given has no capabilities, effectiveNJobs, nestedBackend, prepare, abort.');
    expect(sharedmem).toMatch(/require: 'sharedmem' needs a backend whose tasks share this process's memory, and backend InlineBackend does not/);
    expect(fallback).toBe('accepted');
  });

  it('passes backendParams to the factory of the backend named with them, and nowhere else', async () => {
    const run = await runNode(`
      const seen = [];
      jl.registerParallelBackend('remote', (settings) => {
        seen.push(settings.backendParams);
        return { name: 'RemoteBackend', capabilities: { autoBatching: false, timeout: false, sharedMemory: false },
          effectiveNJobs: () => 1, nestedBackend: () => 'sequential', prepare: async () => {},
          submit: (batch, done) => done({ ok: true, results: batch.tasks.map(({ fn, args }) => fn(...args)) }), abort: () => {} };
      });
      await jl.Parallel({ backend: 'remote', backendParams: { endpoint: 'tcp://queue:7000', retries: 2 } })([jl.delayed(t.square)(1)]);
      await jl.parallelConfig({ backend: 'remote', backendParams: { endpoint: 'from config' } }, async () => {
        await jl.Parallel()([jl.delayed(t.square)(2)]);
        await jl.Parallel({ backend: 'remote' })([jl.delayed(t.square)(2)]); // named here, without params
        // Another backend, here or in an inner scope, does not get them (the built-ins would refuse them).
        report(await jl.Parallel({ backend: 'threads', nJobs: 2 })([jl.delayed(t.square)(3)]));
        report(await jl.parallelConfig({ backend: 'sequential' }, () => jl.Parallel()([jl.delayed(t.square)(4)])));
        await jl.parallelConfig({ nJobs: 1 }, () => jl.Parallel()([jl.delayed(t.square)(5)])); // inherited with the backend
      });
      report(seen);
      const tryIt = (fn) => { try { fn(); return 'accepted'; } catch (e) { return e.name + ': ' + e.message; } };
      report(tryIt(() => jl.Parallel({ backend: 'loky', nJobs: 2, backendParams: { endpoint: 'x' } })));
      report(tryIt(() => jl.Parallel({ backend: 'sequential', backendParams: { endpoint: 'x' } })));
      report(tryIt(() => jl.Parallel({ backendParams: { endpoint: 'x' } })));
      report(tryIt(() => jl.parallelConfig({ backendParams: { endpoint: 'x' } }, () => 1)));
      report(tryIt(() => jl.Parallel({ backend: 'remote', backendParams: 'x' })));
      report(tryIt(() => jl.Parallel({ backend: { name: 'Made', capabilities: {}, effectiveNJobs() {}, nestedBackend() {},
        prepare() {}, submit() {}, abort() {} }, backendParams: { endpoint: 'x' } })));`);
    expect(run.stderr).toBe('');
    const [threads, sequential, seen, ...refusals] = run.reports;
    expect([threads, sequential]).toEqual([[9], [16]]);
    expect(seen).toEqual([{ endpoint: 'tcp://queue:7000', retries: 2 }, { endpoint: 'from config' }, {}, { endpoint: 'from config' }]);
    expect(refusals).toEqual([
      'InvalidOptionError: The process backend takes no backendParams, got \'endpoint\'. backendParams are for backends ' +
        'registered with registerParallelBackend; its options (nJobs, idleTimeout, env, ...) are options of Parallel.',
      expect.stringMatching(/^InvalidOptionError: The sequential backend takes no backendParams, got 'endpoint'/),
      'InvalidOptionError: backendParams go to the factory of the backend named beside them: give backend: \'<name>\' ' +
        'in the same options.',
      expect.stringMatching(/^InvalidOptionError: backendParams go to the factory of the backend named beside them/),
      'InvalidOptionError: backendParams must be an object of parameters for the backend\'s factory, got \'x\'.',
      expect.stringMatching(/^InvalidOptionError: backendParams cannot reach a backend given as an object \(it was made already\)/),
    ]);
  });
});

describe('worker environment', () => {
  it('sets OMP_NUM_THREADS and friends to cpus / nJobs unless set, passes env, and runs the initializer once per worker', async () => {
    const run = await runNode(`
      report(String(Math.max(Math.floor(jl.cpuCount() / 2), 1)));
      const inProcess = jl.Parallel({ nJobs: 1, initializer: t.initWorker });
      report([await inProcess([jl.delayed(t.initCount)(), jl.delayed(t.initCount)()]), await inProcess([jl.delayed(t.initCount)()])]);
      for (const backend of ['process', 'threads']) {
        const vars = (options) => jl.Parallel({ nJobs: 2, backend, ...options })(
          ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'FOO'].map((name) => jl.delayed(t.env)(name)));
        report([backend, await vars({}), await vars({ innerMaxNumThreads: 3, env: { FOO: 'bar', MKL_NUM_THREADS: '7' } })]);
        report(await jl.Parallel({ nJobs: 2, backend, batchSize: 1, initializer: t.initWorker })(Array.from({ length: 6 }, () => jl.delayed(t.initCount)())));
        try { await jl.Parallel({ nJobs: 2, backend, initializer: t.failingInit })([jl.delayed(t.square)(1)]); }
        catch (e) { report([e.name, e.message]); }
      }`, { env: { OPENBLAS_NUM_THREADS: '5' } });
    expect(run.stderr).toBe('');
    const [perWorker, inProcess] = run.reports; // max(cpuCount() / nJobs, 1)
    expect(inProcess).toEqual([[1, 1], [1]]); // in this process: once per runner, before its first task
    for (const backend of ['process', 'threads']) {
      const at = backend === 'process' ? 2 : 5;
      expect(run.reports[at]).toEqual([backend, [perWorker, perWorker, '5', null], ['3', '7', '5', 'bar']]);
      expect(run.reports[at + 1]).toEqual([1, 1, 1, 1, 1, 1]);
      expect(run.reports[at + 2]).toEqual(['RangeError', 'The worker initializer failingInit failed: no GPU here']);
    }
  });

  it('asks glibc for huge pages in worker processes on Linux unless GLIBC_TUNABLES is set or JOBLIB_TS_HUGE_PAGES is 0', async () => {
    const run = await runNode(`
      const tunables = (options) => jl.Parallel({ nJobs: 2, ...options })([jl.delayed(t.env)('GLIBC_TUNABLES')]);
      report(await tunables({}));
      report(await tunables({ env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } })); // the user's own, as they are
      report(await tunables({ env: { JOBLIB_TS_HUGE_PAGES: '0' } }));
      report(await tunables({ backend: 'threads' })); // a thread shares this process's malloc
      try { await tunables({ env: { JOBLIB_TS_HUGE_PAGES: 'yes' } }); } catch (e) { report([e.name, e.message]); }`,
    { env: { GLIBC_TUNABLES: undefined, JOBLIB_TS_HUGE_PAGES: undefined } });
    expect(run.stderr).toBe('');
    const [byDefault, theirs, off, thread, refused] = run.reports;
    expect(byDefault).toEqual([process.platform === 'linux' ? 'glibc.malloc.hugetlb=1' : null]);
    expect(theirs).toEqual(['glibc.malloc.arena_max=2']);
    expect(off).toEqual([null]);
    expect(thread).toEqual([null]);
    expect(refused).toEqual(['InvalidOptionError',
      'JOBLIB_TS_HUGE_PAGES must be 0 (no huge pages) or 1 (huge pages for big buffers, the default on Linux), got \'yes\'.']);
  });

  it('refuses a bad JOBLIB_TS_HUGE_PAGES of this process when the pool starts, even when env overrides it for workers', async () => {
    // This process's frame buffers read it too: a bad value fails here, named, not inside a call.
    const run = await runNode(`
      try { await jl.Parallel({ nJobs: 2, env: { JOBLIB_TS_HUGE_PAGES: '1' } })([jl.delayed(t.square)(3)]); report('ran'); }
      catch (e) { report([e.name, e.message]); }`,
    { env: { JOBLIB_TS_HUGE_PAGES: 'on' } });
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([['InvalidOptionError',
      'JOBLIB_TS_HUGE_PAGES must be 0 (no huge pages) or 1 (huge pages for big buffers, the default on Linux), got \'on\'.']]);
  });
});
