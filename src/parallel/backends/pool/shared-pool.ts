// One reusable pool per runtime and process (loky's get_reusable_executor), shared by every
// Parallel call and by libraries: reused when its options match, resized when only the worker
// count differs, replaced when anything else changes (the old one finishes its work and exits).

import type { FunctionDef } from '../wire/function-table.js';
import { type ExecutorOptions, poolSettings } from './pool-settings.js';
import type { Spawner } from './pool-worker.js';
import { workerExecArgv } from './worker-launch.js';
import { WorkerPool } from './worker-pool.js';

const current = new Map<Spawner, { key: string; pool: WorkerPool }>();

/** The shared pool of the runtime `spawner` starts, for these options and this initializer. */
export function sharedPool(spawner: Spawner, options: ExecutorOptions, initializer?: FunctionDef): WorkerPool {
  const settings = poolSettings(options, initializer);
  // Loaders and flags the workers inherit are part of what makes two pools the same.
  const key = JSON.stringify([settings.key, workerExecArgv()]);
  const known = current.get(spawner);
  if (known && known.key === key && !known.pool.isShut) {
    known.pool.resize(settings.maxWorkers);
    return known.pool;
  }
  if (known && !known.pool.isShut) void known.pool.shutdown();
  const pool = new WorkerPool(settings, spawner, initializer);
  current.set(spawner, { key, pool });
  return pool;
}
