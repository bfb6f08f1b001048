// One thread pool per process, shared by every Parallel call on the threads backend: reused
// when its options match, resized when only the worker count differs, replaced otherwise.

import type { RegisteredFunction } from '../wire/function-table.js';
import { WorkerPool } from '../pool/worker-pool.js';
import { type ExecutorOptions, poolSettings } from '../pool/pool-settings.js';
import { threadLaunch, workerEntry, workerExecArgv } from '../pool/worker-launch.js';
import { WorkerThread } from './worker-thread.js';

let current: { key: string; pool: WorkerPool } | undefined;

export function threadPool(options: ExecutorOptions, initializer: RegisteredFunction | undefined): WorkerPool {
  const settings = poolSettings(options, initializer);
  const execArgv = workerExecArgv();
  const entry = workerEntry('thread');
  const key = JSON.stringify([settings.key, execArgv]);
  const launch = threadLaunch(execArgv);
  if (current && current.key === key && !current.pool.isShut) {
    current.pool.resize(settings.maxWorkers);
    return current.pool;
  }
  if (current && !current.pool.isShut) void current.pool.shutdown();
  const pool: WorkerPool = new WorkerPool({
    ...settings, initializer,
    spawn: (events) => new WorkerThread({ entry, env: settings.env(pool.maxWorkers), ...launch }, events),
  });
  current = { key, pool };
  return pool;
}
