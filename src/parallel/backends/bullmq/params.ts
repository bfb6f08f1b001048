// The BullMQ backend's parameters (`backendParams`), checked once: unknown names refused,
// durations and sizes in range, defaults filled in.

import type { RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../../../errors.js';
import { refuseUnknownOptions } from '../../../unknown-options.js';

/**
 * What `backendParams` (or `registerBullmqBackend`'s defaults) may hold for the BullMQ backend.
 *
 * @category BullMQ
 */
export interface BullmqBackendParams {
  /** Redis: a URL (`redis://:password@10.0.0.5:6379/0`, `rediss://` for TLS) or ioredis options. */
  readonly connection?: string | RedisOptions;
  /** The queue the workers serve (`joblib-ts worker --queue NAME`); default `'joblib-ts'`. */
  readonly queue?: string;
  /** BullMQ's key prefix; default `'bull'`. */
  readonly prefix?: string;
  /** How long a call waits for a live worker before `NoWorkersError`, in ms; default 30 000. */
  readonly workerTimeoutMs?: number;
  /** How long Redis may be unreachable during a call before `BackendUnavailableError`, in ms; default 10 000. */
  readonly redisTimeoutMs?: number;
  /** Starts of one batch before it fails as killing its workers (`TerminatedWorkerError`); default 2. */
  readonly maxAttempts?: number;
  /**
   * A call's keys live this long unless its caller refreshes them (it does, every third of it):
   * the work of a caller that died stops within about this long. In ms; default 30 000.
   */
  readonly callTtlMs?: number;
  /** Batches up to this many bytes ride inside the job's data; larger ones in a binary key. Default 65 536. */
  readonly inlineBytes?: number;
}

/** The parameters with defaults applied. */
export type ResolvedParams = Required<Omit<BullmqBackendParams, 'connection'>> & {
  readonly connection: string | RedisOptions;
};

const NAMES: ReadonlySet<string> = new Set<keyof BullmqBackendParams>(['connection', 'queue', 'prefix',
  'workerTimeoutMs', 'redisTimeoutMs', 'maxAttempts', 'callTtlMs', 'inlineBytes']);

/** Checks the parameters of the backend registered as `backend` and fills in the defaults. */
export function resolveParams(params: Readonly<Record<string, unknown>>, backend: string): ResolvedParams {
  refuseUnknownOptions(params, NAMES, `the ${backend} backend (backendParams)`);
  const p = params as BullmqBackendParams;
  const connection = p.connection ?? process.env.JOBLIB_TS_REDIS_URL ?? process.env.REDIS_URL;
  if (connection === undefined) {
    throw new InvalidOptionError(`The ${backend} backend needs a Redis connection: backendParams: { connection: ` +
      '\'redis://host:6379\' } (or JOBLIB_TS_REDIS_URL in the environment).');
  }
  if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new InvalidOptionError('connection must be a Redis URL or an object of ioredis options.');
  }
  const name = (key: 'queue' | 'prefix', fallback: string): string => {
    const value = p[key] ?? fallback;
    if (typeof value !== 'string' || value === '' || value.includes(':')) {
      throw new InvalidOptionError(`${key} must be a non-empty string without ':', got ${JSON.stringify(value)}.`);
    }
    return value;
  };
  const positive = (key: keyof BullmqBackendParams, fallback: number, integer = false): number => {
    const value = p[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw new InvalidOptionError(`${key} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}.`);
    }
    return value;
  };
  return {
    connection,
    queue: name('queue', process.env.JOBLIB_TS_QUEUE ?? 'joblib-ts'),
    prefix: name('prefix', 'bull'),
    workerTimeoutMs: positive('workerTimeoutMs', 30_000),
    redisTimeoutMs: positive('redisTimeoutMs', 10_000),
    maxAttempts: positive('maxAttempts', 2, true),
    callTtlMs: positive('callTtlMs', 30_000),
    inlineBytes: positive('inlineBytes', 64 * 1024, true),
  };
}
