// The parity suite, continued: values of registered types (registerType) crossing to workers
// and back, on each backend. A type travels like a function: the library's own by the worker's
// own copy of its module, a user's by the module that registers it, or from source when it is
// registered in the entry script; what cannot travel is refused before its batch is sent, and
// a value a worker cannot rebuild fails its task with a named error, never a worker crash.

import { describe, expect, it } from 'vitest';
import { type RunOptions, runNode as runNodeOn, runScript as runScriptOn } from './run-node.js';

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

  it('sends a shelved result (MemorizedResult) to workers, whose tasks read it, and gets it back', async () => {
    const run = await runNode(`
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const dir = mkdtempSync(join(tmpdir(), 'joblib-ts-shelved-'));
      try {
        const shelved = new jl.Memory(dir, { verbose: 0 }).cache(t.square).callAndShelve(7);
        report(shelved instanceof jl.MemorizedResult);
        report(await jl.Parallel({ nJobs: 2 })([jl.delayed(t.invoke)(shelved, 'get'), jl.delayed(t.square)(3)]));
        const [back] = await jl.Parallel({ nJobs: 2 })([jl.delayed(t.echo)({ nested: [shelved] })]);
        report([back.nested[0] instanceof jl.MemorizedResult, back.nested[0].get()]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }`);
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([true, [49, 9], [true, 49]]);
  });

  it('sends an instance of a type registered by a module the worker never saw, and rebuilds those it returns', async () => {
    const run = await runNode(`${SHAPES}
      const parallel = jl.Parallel({ nJobs: 2 });
      const out = await parallel([jl.delayed(t.echo)({ at: [new sh.Vec(1, 2)] }), jl.delayed(t.invoke)(new sh.Vec(1, 2), 'scaled', 3)]);
      report([out[0].at[0] instanceof sh.Vec, out[1] instanceof sh.Vec, out[1].scaled(2)]);
      report(await outcome(parallel([jl.delayed(t.echo)(new sh.Fragile(1))])));
      report(await outcome(parallel([jl.delayed(t.echo)(new sh.ParentOnly(1))])));`);
    const [vectors, fragile, parentOnly] = run.reports as Record<string, unknown>[];
    expect(vectors).toEqual([true, true, { x: 6, y: 12 }]);
    if (!pooled) return expect([fragile, parentOnly]).toEqual([{ results: [{ v: 1 }] }, { results: [{ v: 1 }] }]);
    expect(fragile).toMatchObject({ name: 'SerializationError', isClass: true, path: 'args[0]' });
    expect(fragile!.message).toBe('A value of registered type "test/Fragile" in the arguments of task #0 (args[0]) cannot be ' +
      'rebuilt in the worker: its decode threw RangeError: no Fragile in workers. Make decode accept every state its encode ' +
      'returns, in every process.');
    expect(parentOnly).toMatchObject({ name: 'UnregisteredTypeError', typeName: 'test/ParentOnly' });
    expect(parentOnly!.message).toMatch(/the type is not registered there\. The worker imported \/.*\/shapes\.mjs, where the parent registered "test\/ParentOnly", but that did not register it: call registerType at the top level of that module, in every process/);
  });

  it('rebuilds a type registered in the entry script from its source when it uses only imports and helpers', async () => {
    const run = await runNode(`
      import { join } from 'node:path';
      import { Celsius } from './shapes.mjs';
      function cents(amount) { return Math.round(amount * 100); }
      class Money {
        constructor(amount) { this.amount = amount; }
        plus(other) { return new Money(this.amount + other.amount); }
        label() { return join('money', String(cents(this.amount))); }
      }
      jl.registerType(Money, { name: 'app/Money', encode: (m) => cents(m.amount), decode(c) { return new Money(c / 100); } });
      // A class of a module, registered here (as for a third-party class): its import comes along.
      jl.registerType(Celsius, { name: 'app/Celsius', encode: (c) => c.degrees, decode: (d) => new Celsius(d) });
      const add = (a, b) => a.plus(b);
      const out = await jl.Parallel({ nJobs: 2 })([jl.delayed(add)(new Money(1.5), new Money(2.25)),
        jl.delayed(t.invoke)(new Money(3), 'label'), jl.delayed(t.invoke)(new Celsius(20), 'warmer', 1.5)]);
      report([out[0] instanceof Money, out[0].amount, out[1], out[2] instanceof Celsius, out[2].degrees]);`);
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([[true, 3.75, 'money/300', true, 21.5]]);
  });

  it('rebuilds functions and classes of a TypeScript entry script under `node --import tsx`, with the helpers tsx adds', async () => {
    const run = await runScriptOn(['--import', 'tsx', 'typed-entry.ts'], { backend });
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([[6.5], [true, 3.5, 'EUR']]);
  });

  it('refuses a type registered in the entry script that cannot be rebuilt in a worker, before sending its batch', async () => {
    const run = await runNode(`${SHAPES}
      import { existsSync, mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const scale = 100;
      class Meters {
        constructor(value) { this.value = value; }
      }
      jl.registerType(Meters, { name: 'app/Meters', encode: (m) => m.value * scale, decode: (cm) => new Meters(cm / scale) });
      const dir = mkdtempSync(join(tmpdir(), 'joblib-ts-refused-'));
      try {
        const markers = [join(dir, 'a'), join(dir, 'b')];
        report(await outcome(jl.Parallel({ nJobs: 2 })(markers.map((m, i) => jl.delayed(t.touch)(m, new Meters(i))))));
        report(markers.map((m) => existsSync(m)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }`);
    const [refusal, ran] = run.reports as Record<string, unknown>[];
    if (!pooled) return expect(ran).toEqual([true, true]);
    expect(ran).toEqual([false, false]); // neither task ran
    expect(refusal).toMatchObject({ name: 'TypeReferenceError', code: 'ERR_JOBLIB_TYPE_REFERENCE', isClass: true,
      typeName: 'app/Meters' });
    expect(refusal!.message).toMatch(/^The registered type "app\/Meters" cannot be sent to a worker: it is registered in the entry script \(file:\/\/.*\[eval1\]\)/);
    expect(refusal!.message).toMatch(/cannot be rebuilt there from its source: it uses `scale` \(a module-level const, line \d+\), which a worker cannot see\./);
    expect(refusal!.message).toContain('move registerType(Meters, …) next to `export class Meters` in a module other than the entry script');
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
