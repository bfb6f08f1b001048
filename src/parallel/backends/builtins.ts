// The built-in backends, registered by name like any other: 'sequential', 'process' (alias
// 'loky') and 'threads' (alias 'threading'). A pool asked for one worker runs in this process.
// Registered by a call that `Parallel` makes, never by importing this file: the package says
// `"sideEffects": false`, so a bundler may drop an import kept only for its side effects.

import { InvalidOptionError } from '../../errors.js';
import { emitJoblibWarning } from '../../warnings.js';
import { cpuCount } from '../cpu-count.js';
import { effectiveNJobs } from '../option-checks.js';
import {
  type BackendCapabilities, type BackendSettings, isBackendRegistered, type ParallelBackend,
  type ParallelBackendFactory, registerParallelBackend,
} from './backend.js';
import { PoolBackend } from './pool/pool-backend.js';
import { spawnProcesses } from './process/worker-process.js';
import { SequentialBackend } from './sequential.js';
import { spawnThreads } from './threads/worker-thread.js';

const PROCESS: BackendCapabilities = { autoBatching: true, timeout: true, sharedMemory: false };
/**
 * joblib keeps batches at 1 on threads (the GIL makes tiny tasks pointless there). Measured here,
 * Node's threads gain as much as processes from batching: 100k tiny tasks went from 10–13k/s to
 * 450–580k/s, and 100 slices of a shared 80 MB array from 63–70 ms to 33–35 ms (CHANGES.md).
 */
const THREADS: BackendCapabilities = { autoBatching: true, timeout: true, sharedMemory: true };

/** The built-ins are configured by Parallel's own options: any backendParams is a mistake. */
function refuseBackendParams({ backendParams }: BackendSettings, name: string): void {
  const [key] = Object.keys(backendParams);
  if (key === undefined) return;
  throw new InvalidOptionError(`The ${name} backend takes no backendParams, got '${key}'. backendParams are for backends ` +
    'registered with registerParallelBackend; its options (nJobs, idleTimeout, env, ...) are options of Parallel.');
}

/**
 * joblib lets nJobs exceed the CPUs and so does this library, but past this many per CPU a pool
 * costs more than it gives. Measured here (2 CPUs, 80 tasks sleeping 200 ms): nJobs 1000 started 80
 * processes, 6.3 GB and 34.6 s (threads: 1.5 GB, 17.3 s) against 150 MB and 8.5 s with nJobs 2.
 */
const OVERSUBSCRIPTION_PER_CPU = 8;
const warnedOversubscribed = new Set<string>();

/** Warns once per kind of worker: the workers never outnumber the tasks in flight, but each one costs. */
function warnIfOversubscribed(nJobs: number, workers: 'processes' | 'threads'): void {
  const cpus = cpuCount();
  if (nJobs <= OVERSUBSCRIPTION_PER_CPU * cpus || warnedOversubscribed.has(workers)) return;
  warnedOversubscribed.add(workers);
  emitJoblibWarning('JoblibWarning', 'JOBLIB_NJOBS_OVERSUBSCRIBED', `nJobs: ${nJobs} allows up to ${nJobs} worker ` +
    `${workers} on ${cpus} CPU${cpus > 1 ? 's' : ''}. Workers start only as tasks need them (never more than the tasks ` +
    `in flight), but each takes ${workers === 'processes' ? 'tens of MB and 0.1-0.2 s' : 'a heap of its own and tens of ms'} ` +
    'to start: CPU-bound tasks gain nothing past the CPU count (nJobs: -1), and tasks that mostly wait are cheaper as ' +
    'async code.');
}

let registered = false;

/**
 * Registers the built-in backends, once per process; a name a user registered first keeps the
 * user's backend.
 */
export function registerBuiltinBackends(): void {
  if (registered) return;
  registered = true;
  const add = (name: string, factory: ParallelBackendFactory): void => {
    if (!isBackendRegistered(name)) registerParallelBackend(name, factory);
  };
  add('sequential', (settings) => {
    refuseBackendParams(settings, 'sequential');
    return new SequentialBackend(settings.initializer);
  });
  add('process', (settings): ParallelBackend => {
    refuseBackendParams(settings, 'process');
    const nJobs = effectiveNJobs(settings.nJobs);
    if (nJobs === 1) return new SequentialBackend(settings.initializer);
    warnIfOversubscribed(nJobs, 'processes');
    return new PoolBackend('ProcessBackend', PROCESS, nJobs, settings, spawnProcesses);
  });
  add('threads', (settings): ParallelBackend => {
    refuseBackendParams(settings, 'threads');
    const nJobs = effectiveNJobs(settings.nJobs);
    if (nJobs === 1) return new SequentialBackend(settings.initializer);
    warnIfOversubscribed(nJobs, 'threads');
    return new PoolBackend('ThreadingBackend', THREADS, nJobs, settings, spawnThreads);
  });
}
