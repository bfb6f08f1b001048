// The Redis keys of the BullMQ backend, all under the queue's prefix (so one hash tag serves a
// Redis Cluster): the worker registry, and per call its record, function definitions, large
// arguments, batch payloads and result stream. A call's keys expire unless its caller keeps
// refreshing them, so a caller that dies leaves nothing behind for long.

/** Key names for one queue. */
export class QueueKeys {
  /** `<prefix>:<queue>:jt`, the root of everything joblib-ts keeps beside BullMQ's own keys. */
  private readonly base: string;

  constructor(readonly prefix: string, readonly queue: string) {
    this.base = `${prefix}:${queue}:jt`;
  }

  /** ZSET: worker id → last heartbeat (ms since the epoch, by Redis's clock). */
  get workers(): string {
    return `${this.base}:workers`;
  }

  /** HASH of one worker: host, pid, slots, versions. */
  worker(id: string): string {
    return `${this.base}:worker:${id}`;
  }

  /** Pub/sub channel: a call id, when that call is cancelled. */
  get cancel(): string {
    return `${this.base}:cancel`;
  }

  /** HASH: the call's record (caller host and pid); its absence means the call is over. */
  call(callId: string): string {
    return `${this.base}:call:${callId}`;
  }

  /** Binary: the codec bytes of a batch too large to ride in the job's data. */
  payload(callId: string, seq: number): string {
    return `${this.base}:call:${callId}:in:${seq}`;
  }

  /** Binary: one chunk of a large argument of the call. */
  blob(callId: string, name: string, chunk: number): string {
    return `${this.base}:call:${callId}:blob:${name}:${chunk}`;
  }

  /** STREAM: the call's results, one entry per batch. */
  results(callId: string): string {
    return `${this.base}:call:${callId}:out`;
  }

  /** Every key of a call, for SCAN in tests and cleanup. */
  callPattern(callId: string): string {
    return `${this.base}:call:${callId}*`;
  }
}
