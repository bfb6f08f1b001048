// Parallel on many machines: the BullMQ backend. One batch is one BullMQ job on a queue that
// `joblib-ts worker` processes serve; each worker hands its batches to its machine's process
// pool. BullMQ gives the queue, locks, stalled-job recovery and dashboards; results, large
// arguments, cancellation and the worker count go through keys of our own (remote-call.ts).

import type { TaskFunction } from '../../delayed.js';
import type {
  BackendCapabilities, BackendSettings, BatchOutcome, ParallelBackend, ParallelBackendFactory, TaskBatch,
} from '../backend.js';
import { registeredFunction, registerFunction } from '../wire/function-table.js';
import { type ResolvedParams, resolveParams } from './params.js';
import { RemoteCall } from './remote-call.js';

/**
 * A network round trip per batch (2–3 ms through Redis here) and load balanced across machines:
 * batches aim at 0.2–1 s, as joblib's dask backend does.
 */
const CAPABILITIES: BackendCapabilities = {
  autoBatching: true, timeout: true, sharedMemory: false, idealBatchDurationMs: [200, 1000],
};

export class BullmqBackend implements ParallelBackend {
  readonly name = 'BullmqBackend';
  readonly capabilities = CAPABILITIES;
  /** Slots of the live workers, as the last call counted them (1 before any call). */
  private liveSlots = 1;
  private readonly calls = new Map<object, RemoteCall>();

  constructor(private readonly settings: BackendSettings, private readonly params: ResolvedParams) {}

  /** nJobs as joblib's dask backend reads it: -1 (and null) all live slots, -k all but k − 1, n at most n. */
  effectiveNJobs(): number {
    const { nJobs } = this.settings;
    if (nJobs === null || nJobs === -1) return Math.max(this.liveSlots, 1);
    if (nJobs < 0) return Math.max(this.liveSlots + 1 + nJobs, 1);
    return nJobs;
  }

  /** A Parallel inside a task runs in the task's pool process. */
  nestedBackend(): string {
    return 'sequential';
  }

  async begin(owner: object): Promise<void> {
    const call = await RemoteCall.begin(this.params, this.settings.maxNbytes);
    this.calls.set(owner, call);
    this.liveSlots = call.liveSlots;
  }

  /** Functions are resolved (and a closure refused) here, before any job is queued. */
  async prepare(functions: ReadonlySet<TaskFunction>): Promise<void> {
    const registered = await Promise.all([...functions].map((fn) => registerFunction(fn)));
    for (const call of this.calls.values()) call.addFunctions(registered);
  }

  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    const call = this.calls.get(batch.owner);
    if (!call) return; // the call ended while its batch was on its way
    this.liveSlots = call.liveSlots;
    const ids = batch.tasks.map((task) => registeredFunction(task.fn)!.id);
    call.submit(batch, ids, done);
  }

  abort(owner: object): Promise<void> {
    const call = this.calls.get(owner);
    this.calls.delete(owner);
    return call ? call.end() : Promise.resolve();
  }
}

/** The factory of the backend registered as `name`: `defaults` under each call's own `backendParams`. */
export function bullmqFactory(name: string, defaults: Readonly<Record<string, unknown>>): ParallelBackendFactory {
  return (settings) => new BullmqBackend(settings, resolveParams({ ...defaults, ...settings.backendParams }, name));
}
