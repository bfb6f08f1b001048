// The ParallelBackend interface as a plug-in sees it (README "Backends"): a worker count learned
// in begin() (preDispatch evaluated after it), a release in abort() that may take time (awaited,
// bounded, a failure warned about), all through a backend object used as it is. In this process:
// the backend runs tasks itself, so nothing here starts a worker.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delayed, Parallel, type BatchOutcome, type ParallelBackend, type TaskBatch } from '../../src/index.js';

let warnings: Error[];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** A backend whose batches finish when the test says, recording what it was asked. */
class ManualBackend implements ParallelBackend {
  readonly name = 'ManualBackend';
  readonly capabilities = { autoBatching: false, timeout: false, sharedMemory: false };
  workers = 1;
  readonly submitted: TaskBatch[] = [];
  private readonly pending: (() => void)[] = [];
  readonly events: string[] = [];

  constructor(private readonly options: { begin?: () => Promise<void>; release?: () => Promise<void> } = {}) {}

  effectiveNJobs(): number {
    return this.workers;
  }

  nestedBackend(): string {
    return 'sequential';
  }

  async begin(): Promise<void> {
    this.events.push('begin');
    await this.options.begin?.();
  }

  async prepare(): Promise<void> {}

  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    this.submitted.push(batch);
    this.pending.push(() => done({ ok: true, results: batch.tasks.map((task) => (task.fn as (...a: unknown[]) => unknown)(...task.args)) }));
  }

  /** Finishes every batch submitted so far. */
  finishAll(): void {
    for (const finish of this.pending.splice(0)) finish();
  }

  abort(): void | Promise<void> {
    this.events.push('abort');
    return this.options.release?.().then(() => {
      this.events.push('released');
    });
  }
}

const double = (x: number): number => 2 * x;
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the ParallelBackend interface', () => {
  it('evaluates preDispatch with the worker count begin() found, and prints it', async () => {
    const backend = new ManualBackend({
      begin: async () => {
        await tick();
        backend.workers = 4; // a cluster's size, known only now
      },
    });
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    let results: Promise<number[]>;
    try {
      results = Parallel({ backend, verbose: 1, batchSize: 1 })(Array.from({ length: 20 }, (_, i) => delayed(double)(i)));
      for (let i = 0; i < 5; i++) await tick();
    } finally {
      process.stderr.write = write;
    }
    // '2*nJobs' with the 4 workers begin() found, not the 1 known when Parallel() was called.
    expect(backend.submitted).toHaveLength(8);
    expect(lines.join('')).toMatch(/Using backend ManualBackend with 4 concurrent workers/);
    while (backend.submitted.length < 20) {
      backend.finishAll();
      await tick();
    }
    backend.finishAll();
    expect(await results).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
  });

  it('fails the call with what begin() threw, before anything is prepared or sent', async () => {
    const backend = new ManualBackend({
      begin: async () => {
        throw new RangeError('no worker registered on queue sim');
      },
    });
    await expect(Parallel({ backend })([delayed(double)(1)])).rejects.toThrow('no worker registered on queue sim');
    expect(backend.submitted).toEqual([]);
  });

  it('waits for an asynchronous release before the results are handed over', async () => {
    const backend = new ManualBackend({ release: () => new Promise((resolve) => setTimeout(resolve, 50)) });
    const results = Parallel({ backend })([delayed(double)(1), delayed(double)(2)]);
    await tick();
    backend.finishAll();
    expect(await results).toEqual([2, 4]);
    expect(backend.events).toEqual(['begin', 'abort', 'released']);
  });

  it('does not wait forever for a release that never ends, and warns about a release that fails', async () => {
    const hanging = new ManualBackend({ release: () => new Promise(() => undefined) });
    const slow = Parallel({ backend: hanging })([delayed(double)(1)]);
    await tick();
    hanging.finishAll();
    expect(await slow).toEqual([2]); // after the bounded wait
    const failing = new ManualBackend({ release: async () => {
      throw new Error('Redis is gone');
    } });
    const call = Parallel({ backend: failing })([delayed(double)(3)]);
    await tick();
    failing.finishAll();
    expect(await call).toEqual([6]);
    await tick();
    expect(warnings.some((w) => (w as { code?: string }).code === 'JOBLIB_BACKEND_RELEASE_FAILED' && /Redis is gone/.test(w.message)))
      .toBe(true);
  }, 10_000);
});
