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

  it.skipIf(!pooled)('gives an error of a joblib-ts class raised in a worker its class back', async () => {
    const run = await runNode(`
      try { await jl.Parallel({ nJobs: 2 })([jl.delayed(t.returnsFunction)()]); }
      catch (e) { report({ ...describe(e), isClass: e instanceof jl.SerializationError }); }`);
    expect(run.reports).toEqual([expect.objectContaining({ name: 'SerializationError', ctor: 'SerializationError',
      code: 'ERR_JOBLIB_SERIALIZATION', isClass: true })]);
  });
});
