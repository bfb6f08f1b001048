// The BullMQ backend's link to Redis: bullmq and ioredis are loaded on first use (optional peer
// dependencies, so a clear error names the install command), connections get the options their
// role needs, and the server is only ever named with its password removed.

import type { Redis, RedisOptions } from 'ioredis';
import { BackendUnavailableError, InvalidOptionError } from '../../../errors.js';

type BullmqModule = typeof import('bullmq');

/** bullmq and ioredis, once loaded. */
export interface RedisModules {
  readonly bullmq: BullmqModule;
  readonly Redis: typeof Redis;
}

let modules: Promise<RedisModules> | undefined;

/** Loads bullmq and ioredis, or says how to install them. */
export function loadModules(): Promise<RedisModules> {
  modules ??= (async () => {
    try {
      const [bullmq, ioredis] = await Promise.all([import('bullmq'), import('ioredis')]);
      return { bullmq, Redis: ioredis.Redis };
    } catch (error) {
      modules = undefined;
      throw new InvalidOptionError('The BullMQ backend needs the packages bullmq and ioredis: npm install bullmq ioredis ' +
        `(${error instanceof Error ? error.message : String(error)}).`);
    }
  })();
  return modules;
}

/** A Redis URL or ioredis options as shown in messages: never a password. */
export function describeServer(connection: string | RedisOptions): string {
  if (typeof connection === 'string') return redact(connection);
  const host = connection.path ?? `${connection.host ?? 'localhost'}:${connection.port ?? 6379}`;
  return `redis://${host}${connection.db ? `/${connection.db}` : ''}`;
}

/** `redis://user:secret@host` → `redis://user:***@host`; also inside other text. */
export function redact(text: string): string {
  return text.replace(/(rediss?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}

/** What a connection is for: commands (fail fast while down), or blocking reads and BullMQ's own use. */
export type ConnectionRole = 'command' | 'blocking';

/**
 * A connected client, or BackendUnavailableError (password removed) when Redis does not answer
 * within `timeoutMs`. Commands fail at once while the link is down, rather than waiting in
 * ioredis's queue forever; the link keeps reconnecting in the background.
 */
export async function connect(
  connection: string | RedisOptions, role: ConnectionRole, timeoutMs: number,
): Promise<Redis> {
  const { Redis: RedisClient } = await loadModules();
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: Math.min(timeoutMs, 10_000),
    maxRetriesPerRequest: role === 'command' ? 1 : null,
    enableOfflineQueue: role !== 'command',
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
  // (ioredis's overloads do not type-check under exactOptionalPropertyTypes; the options are plain.)
  const client = typeof connection === 'string'
    ? new RedisClient(connection, options as never)
    : new RedisClient({ ...connection, ...options } as never);
  let lastError: unknown;
  client.on('error', (error: unknown) => {
    lastError = error; // reported where it matters; an 'error' without a listener would crash
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const server = describeServer(connection);
    const reason = redact(error instanceof Error ? error.message : String(error));
    throw new BackendUnavailableError(`Redis at ${server} cannot be reached: ${reason}. Check the URL, that ` +
      'redis-server runs and that this machine may connect to it.', server, 'unreachable', { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return client;
}
