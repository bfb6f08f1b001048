// The parity suite, continued: values of registered types (registerType) crossing to workers
// and back, on each backend. A type travels like a function: the library's own by the worker's
// own copy of its module, a user's by the module that registers it, or from source when it is
// registered in the entry script; what cannot travel is refused before its batch is sent, and
// a value a worker cannot rebuild fails its task with a named error, never a worker crash.

import { describe, expect, it } from 'vitest';
import { type RunOptions, runNode as runNodeOn } from './run-node.js';

const BACKENDS = ['process', 'threads', 'sequential'] as const;

describe.each(BACKENDS)('registered types on %s', (backend) => {
  const pooled = backend !== 'sequential';
  const runNode = (body: string, options: RunOptions = {}) => runNodeOn(body, { ...options, backend });
  /** A scenario's prelude: the fixture types, and \`outcome(promise)\` to report a call's results or error. */
  const SHAPES = `
    import * as sh from './shapes.mjs';
    const outcome = (call) => call.then((results) => ({ results }),
      (e) => ({ ...describe(e), typeName: e.typeName, isClass: e instanceof jl[e.name] }));`;

  it.skipIf(!pooled)('gives an error of a joblib-ts class raised in a worker its class back', async () => {
    const run = await runNode(`
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(t.returnsFunction)()]); }
      catch (e) { report({ ...describe(e), isClass: e instanceof jl.SerializationError }); }`);
    expect(run.reports).toEqual([expect.objectContaining({ name: 'SerializationError', ctor: 'SerializationError',
      code: 'ERR_JOBLIB_SERIALIZATION', isClass: true })]);
  });

  it('fails only the task whose arguments a worker cannot rebuild, with a named error; the worker lives on', async () => {
    const run = await runNode(`${SHAPES}
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 2 });
      report(await outcome(parallel([0, 1, 2, { deep: [new sh.ParentOnly(3)] }].map((x) => jl.delayed(t.echo)(x)))));
      // Alone in its call (a failing call stops the workers running its other tasks), to see its worker survive.
      const workers = async () => (await parallel([0, 1].map(() => jl.delayed(t.workerId)()))).sort().join();
      const before = await workers();
      report(await outcome(parallel([jl.delayed(t.echo)(new sh.ParentOnly(4))])));
      report(await workers() === before);`);
    const [failure, alone, sameWorkers] = run.reports as Record<string, unknown>[];
    expect(sameWorkers).toBe(true);
    if (!pooled) return expect([failure, alone]).toEqual([{ results: [0, 1, 2, { deep: [{ v: 3 }] }] }, { results: [{ v: 4 }] }]);
    expect(failure).toMatchObject({ name: 'UnregisteredTypeError', code: 'ERR_JOBLIB_UNREGISTERED_TYPE', isClass: true,
      typeName: 'test/ParentOnly', cause: { name: 'RemoteTaskError', taskIndex: 3 } });
    expect(failure!.message).toMatch(/^A value of registered type "test\/ParentOnly" in the arguments of task #3 \(args\[0\]\.deep\[0\]\) cannot be rebuilt in the worker: the type is not registered there\./);
    expect(alone).toMatchObject({ name: 'UnregisteredTypeError', typeName: 'test/ParentOnly' });
  });

  it('fails the task whose result this process cannot rebuild, streamed or not; the worker lives on', async () => {
    const run = await runNode(`${SHAPES}
      const parallel = jl.Parallel({ nJobs: 2, batchSize: 2 });
      report(await outcome(parallel([1, 2, 3].map((x) => jl.delayed(t.square)(x)).concat(jl.delayed(sh.makeWorkerOnly)(4)))));
      const workers = async () => (await parallel([0, 1].map(() => jl.delayed(t.workerId)()))).sort().join();
      const before = await workers();
      report(await outcome(parallel([jl.delayed(sh.makeWorkerOnly)(5)])));
      report(await outcome(jl.Parallel({ nJobs: 2, timeout: 20_000 })([jl.delayed(sh.makeWorkerOnly)(6)])));
      report(await workers() === before);`);
    const [batched, alone, streamed, sameWorkers] = run.reports as Record<string, unknown>[];
    expect(sameWorkers).toBe(true);
    if (!pooled) {
      return expect([batched, alone, streamed]).toEqual([{ results: [1, 4, 9, { v: 4 }] }, { results: [{ v: 5 }] }, { results: [{ v: 6 }] }]);
    }
    for (const [failure, task] of [[batched, 3], [alone, 0], [streamed, 0]] as const) {
      expect(failure).toMatchObject({ name: 'UnregisteredTypeError', isClass: true, typeName: 'test/WorkerOnly' });
      expect(failure!.message).toContain(`A value of registered type "test/WorkerOnly" in the result of task #${task} (result) ` +
        'cannot be rebuilt in this process: the type is not registered there. The worker registered it; register it here too');
    }
  });
});
