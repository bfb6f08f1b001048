// How a worker thread starts under the parent's Node options: worker_threads refuse V8 options
// and options of the whole process (ERR_WORKER_INVALID_EXEC_ARGV), so a thread gets the loaders
// and the other options it accepts, and the heap and stack flags become its resourceLimits.

import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { poolSettings } from '../../src/parallel/backends/pool/pool-settings.js';
import { WorkerPool } from '../../src/parallel/backends/pool/worker-pool.js';
import type { JobOutcome } from '../../src/parallel/backends/pool/jobs.js';
import { threadLaunch, workerExecArgv } from '../../src/parallel/backends/pool/worker-launch.js';
import { WorkerThread } from '../../src/parallel/backends/threads/worker-thread.js';
import { runNode } from './run-node.js';

const ENTRY = fileURLToPath(new URL('../../dist/parallel/backends/threads/entry.js', import.meta.url));

describe('worker threads under the parent\'s Node options', () => {
  it('run in a parent started with --max-old-space-size, --expose-gc, --stack-size and --max-semi-space-size, keeping its loaders', async () => {
    const run = await runNode(`report(await jl.Parallel({ nJobs: 2, backend: 'threads' })([jl.delayed(t.threadStart)()]));`, {
      execArgv: ['--max-old-space-size=3000', '--expose-gc', '--stack-size=6000', '--max-semi-space-size=16',
        '--import', 'data:text/javascript,globalThis.importedByParentFlag = "yes"'],
    });
    expect(run.stderr).toBe('');
    expect(run.reports).toEqual([[{
      imported: 'yes',
      // V8 flags are process-wide: the thread already runs under --expose-gc.
      gc: 'function',
      // 3 semi-spaces make V8's young generation; the stack holds the parent's 6000 KB plus Node's 192 KB margin.
      limits: expect.objectContaining({ maxOldGenerationSizeMb: 3000, maxYoungGenerationSizeMb: 48, stackSizeMb: 7 }),
    }]]);
  });

  it('fails the call with TerminatedWorkerError (duringStartup) when Node refuses to create a thread', async () => {
    // A flag no thread accepts, given unfiltered: what a Node version refusing one more option would do.
    const pool = new WorkerPool(poolSettings({ maxWorkers: 1, idleTimeout: 1000 }),
      () => (events) => new WorkerThread({ entry: ENTRY, env: process.env, execArgv: ['--expose-gc'], resourceLimits: {} }, events));
    try {
      const outcome = await new Promise<JobOutcome>((settle) => {
        pool.submitJob({ functions: [], fnIds: [0], args: [[]], firstIndex: 0, timeoutMs: undefined, owner: {}, settle });
      });
      if (outcome.ok) throw new Error('the job ran');
      const { error } = outcome;
      expect(error).toMatchObject({ name: 'TerminatedWorkerError', duringStartup: true, exitCode: null, signal: null });
      expect(error.message).toMatch(/^A worker could not be started: Initiated Worker with invalid execArgv flags: --expose-gc\./);
      expect((error.cause as { code?: string }).code).toBe('ERR_WORKER_INVALID_EXEC_ARGV');
    } finally {
      await pool.shutdown({ kill: true });
    }
  });
});

describe('threadLaunch', () => {
  it('keeps loaders and other thread options with their values, maps heap and stack flags to resourceLimits, drops the rest', () => {
    expect(threadLaunch(['--import', 'tsx', '-r', './setup.cjs', '--conditions=dev', '--enable-source-maps', '--no-warnings',
      '--experimental-vm-modules', '--max-old-space-size=4096', '--max_semi_space_size=32', '--stack-size=2000',
      '--expose-gc', '--title', 'app', '--stack-trace-limit=50', '--jitless', '--allow-natives-syntax', '--cpu-prof']))
      .toEqual({
        // --cpu-prof: a thread option from Node 22 on (each thread writes its profile); not one on 20.
        execArgv: ['--import', 'tsx', '-r', './setup.cjs', '--conditions=dev', '--enable-source-maps', '--no-warnings',
          '--experimental-vm-modules', ...(process.allowedNodeEnvironmentFlags.has('--cpu-prof') ? ['--cpu-prof'] : [])],
        // A thread's default stack (4 MB) already holds 2000 KB.
        resourceLimits: { maxOldGenerationSizeMb: 4096, maxYoungGenerationSizeMb: 96, stackSizeMb: 4 },
      });
    expect(threadLaunch([])).toEqual({ execArgv: [], resourceLimits: {} });
  });

  it('passes a thread no option this Node refuses, of all it lists in allowedNodeEnvironmentFlags', async () => {
    const refused: string[] = [];
    for (const flag of process.allowedNodeEnvironmentFlags) {
      const { execArgv } = threadLaunch(workerExecArgv([flag]));
      if (execArgv.length === 0) continue;
      try {
        const worker = new Worker('', { eval: true, execArgv: [...execArgv] });
        worker.on('error', () => undefined);
        await worker.terminate();
      } catch (error) {
        // "requires an argument", "must be used with --heap-prof": a value or a companion is missing, not refused.
        const invalid = /invalid execArgv flags: (.*)/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
        if (invalid.includes(flag)) refused.push(flag);
      }
    }
    expect(refused).toEqual([]);
  });
});
