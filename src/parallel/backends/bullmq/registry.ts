// Which workers serve a queue now. Each `joblib-ts worker` beats into a sorted set (score: when
// its last beat expires, by Redis's clock, so machines' clocks need not agree) and keeps a
// record of itself; a caller counts the slots of the workers whose beat has not expired.
// BullMQ's own worker list counts connections, not slots, and lingers after a machine dies, so
// it is not used.

import type { Redis } from 'ioredis';
import type { QueueKeys } from './keys.js';

/** A worker is alive while its last beat is this recent: three beats missed, and it is gone. */
export const BEATS_MISSED = 3;

/** What a worker says of itself. */
export interface WorkerRecord {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly slots: number;
  readonly root: string;
  readonly node: string;
  readonly allowSource: boolean;
}

const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], 'record', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
return now`;

/** One beat of a worker: it is alive, with these slots, for `BEATS_MISSED` more beats of `beatMs`. */
export async function beat(redis: Redis, keys: QueueKeys, record: WorkerRecord, beatMs: number): Promise<void> {
  await redis.eval(BEAT, 2, keys.workers, keys.worker(record.id), record.id, JSON.stringify(record),
    String(BEATS_MISSED * beatMs));
}

/** A worker leaving: gone from the registry at once. */
export async function leave(redis: Redis, keys: QueueKeys, id: string): Promise<void> {
  await redis.multi().zrem(keys.workers, id).del(keys.worker(id)).exec();
}

const LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
local records = {}
for i, id in ipairs(ids) do
  local record = redis.call('HGET', KEYS[2] .. id, 'record')
  if record then table.insert(records, record) end
end
return records`;

/** The workers whose last beat has not expired (each missed `BEATS_MISSED` of its own beats). */
export async function liveWorkers(redis: Redis, keys: QueueKeys): Promise<WorkerRecord[]> {
  const prefix = keys.worker('');
  const records = await redis.eval(LIVE, 2, keys.workers, prefix) as string[];
  return records.map((record) => JSON.parse(record) as WorkerRecord);
}
