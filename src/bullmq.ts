// The public surface of `joblib-ts/bullmq`: Parallel on many machines through a BullMQ queue
// on Redis. A subpath of its own so that `joblib-ts` itself never loads bullmq or ioredis
// (optional peer dependencies: install them where this is used). Re-exports only.

/**
 * Parallel on many machines: {@link registerBullmqBackend} adds a `Parallel` backend that sends
 * batches through a BullMQ queue on Redis, and {@link startWorker} (or `npx joblib-ts worker`)
 * runs them on each worker machine. Needs the optional peer dependencies `bullmq` and `ioredis`.
 *
 * @module joblib-ts/bullmq
 */

import { registerParallelBackend } from './parallel/backends/backend.js';
import { bullmqFactory } from './parallel/backends/bullmq/backend.js';
import type { BullmqBackendParams } from './parallel/backends/bullmq/params.js';

export type { BullmqBackendParams } from './parallel/backends/bullmq/params.js';
export {
  type RunningWorker, startWorker, type WorkerMachineOptions,
} from './parallel/backends/bullmq/worker.js';

/**
 * Registers the BullMQ backend under `name` (default `'bullmq'`). Each Parallel that uses it
 * gets `defaults`, under its own `backendParams`; workers are `npx joblib-ts worker` processes
 * serving the same queue on the same Redis (or {@link startWorker} in a program of one's own).
 * Registering the name again replaces it.
 *
 * @param name - The backend's name, as `Parallel({ backend: name })` gives it.
 * @param defaults - Parameters every call gets; a call's own `backendParams` override them one by one.
 * @category BullMQ
 * @example
 * import { Parallel, delayed, parallelConfig } from 'joblib-ts';
 * import { registerBullmqBackend } from 'joblib-ts/bullmq';
 * registerBullmqBackend();
 * const results = await parallelConfig(
 *   { backend: 'bullmq', backendParams: { connection: 'redis://10.0.0.5:6379', queue: 'sim' } },
 *   () => Parallel({ nJobs: -1 })(params.map((p) => delayed(simulate)(p))));
 */
export function registerBullmqBackend(name = 'bullmq', defaults: BullmqBackendParams = {}): void {
  registerParallelBackend(name, bullmqFactory(name, defaults as Readonly<Record<string, unknown>>));
}
