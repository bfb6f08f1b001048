// What a batch and its outcome look like in Redis. A job's data (BullMQ keeps it as JSON) is
// small: ids, function and type references, and where the batch's bytes are. The bytes are a
// codec frame (the same as on a worker's pipe): inside the job's data as base64 when small, else
// a binary key; arguments over `maxNbytes` are set aside once per call as binary keys (chunked
// under Redis's 512 MiB limit) and named from the frame. Binary data never goes through JSON.

import type { Redis } from 'ioredis';
import type { ExternalPlace } from '../../../serialization/codec/encoder.js';
import type { FunctionRef } from '../../../serialization/functions/function-ref.js';
import type { TypeRef } from '../../../serialization/functions/type-ref.js';
import { decodeFrame, encodePipeFrame, frameFromBytes, joinFrame } from '../wire/frames.js';
import type { QueueKeys } from './keys.js';
import { freshBuffer } from '../../../huge-pages.js';

/** A job's `data`: JSON, small. */
export interface JobData {
  readonly v: 1;
  readonly call: string;
  readonly seq: number;
  /** Position of the batch's first task in the call's input. */
  readonly first: number;
  readonly count: number;
  readonly timeoutMs: number | null;
  /** Starts after which the batch fails as killing its workers. */
  readonly maxAttempts: number;
  /** The functions the batch uses: [id, portable reference]. */
  readonly functions: readonly (readonly [number, FunctionRef])[];
  /** The registered types its arguments hold (portable references), loaded before they are decoded. */
  readonly types: readonly TypeRef[];
  /** The batch's frame as base64, when small. */
  readonly inline?: string;
  /** Else: the key holding it (read once, then removed). */
  readonly payloadKey?: string;
  /** Large arguments the frame names: [name, chunks, bytes]. */
  readonly blobs: readonly (readonly [string, number, number])[];
}

/** What a batch's frame holds. */
export interface BatchBody {
  readonly fnIds: readonly number[];
  readonly args: readonly (readonly unknown[])[];
}

/** Redis refuses values over 512 MiB; 64 MiB chunks also keep one command from stalling it. */
const CHUNK_BYTES = 64 * 1024 * 1024;

/** The large arguments of one call on the caller's side: each set aside once, named, uploaded once. */
export class CallBlobs {
  private readonly names = new Map<ArrayBufferLike, Map<string, string>>();
  private readonly pending: { name: string; bytes: Uint8Array }[] = [];
  /** Every blob of the call: name → [chunks, bytes]. */
  readonly all = new Map<string, readonly [number, number]>();
  private next = 0;

  constructor(private readonly maxNbytes: number) {}

  /** The codec's external hook: a binary value over maxNbytes goes by name, once per region. */
  readonly place = (bytes: Uint8Array): ExternalPlace | undefined => {
    if (bytes.byteLength <= this.maxNbytes) return undefined;
    // A value covering half of its buffer or more sends the whole buffer (views share it).
    const whole = bytes.byteLength * 2 >= bytes.buffer.byteLength;
    const region = whole ? new Uint8Array(bytes.buffer) : bytes;
    const regionKey = whole ? 'whole' : `${bytes.byteOffset}+${bytes.byteLength}`;
    let byRegion = this.names.get(bytes.buffer);
    if (!byRegion) this.names.set(bytes.buffer, (byRegion = new Map()));
    let name = byRegion.get(regionKey);
    if (!name) {
      name = String(this.next++);
      byRegion.set(regionKey, name);
      this.pending.push({ name, bytes: region });
      this.all.set(name, [Math.max(1, Math.ceil(region.byteLength / CHUNK_BYTES)), region.byteLength]);
    }
    return { key: name, offset: whole ? bytes.byteOffset : 0 };
  };

  /** Uploads what was set aside since the last call (chunked, each key expiring after `ttlMs`). */
  async upload(redis: Redis, keys: QueueKeys, callId: string, ttlMs: number): Promise<string[]> {
    const written: string[] = [];
    for (const { name, bytes } of this.pending.splice(0)) {
      const [chunks] = this.all.get(name)!;
      for (let chunk = 0; chunk < chunks; chunk += 1) {
        const key = keys.blob(callId, name, chunk);
        const piece = bytes.subarray(chunk * CHUNK_BYTES, (chunk + 1) * CHUNK_BYTES);
        await redis.set(key, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength), 'PX', ttlMs);
        written.push(key);
      }
    }
    return written;
  }
}

/** A batch as one frame: its blocks over maxNbytes go to `blobs`, its registered types to `onType`. */
export function encodeBatch(body: BatchBody, blobs: CallBlobs, onType: (name: string) => void): Buffer {
  return joinFrame(encodePipeFrame(body, { external: blobs.place, onRegisteredType: onType }));
}

/** Fetches a large argument's chunks into one buffer. */
export async function fetchBlob(
  redis: Redis, keys: QueueKeys, callId: string, name: string, chunks: number, bytes: number,
): Promise<Uint8Array> {
  const whole = freshBuffer(bytes);
  let at = 0;
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    const piece = await redis.getBuffer(keys.blob(callId, name, chunk));
    if (!piece) throw new Error(`a large argument of the call (${name}, part ${chunk}) is gone from Redis`);
    piece.copy(whole, at);
    at += piece.length;
  }
  if (at !== bytes) throw new Error(`a large argument of the call (${name}) is ${at} bytes, not ${bytes}`);
  return whole;
}

/** The batch in a frame, its large arguments resolved from `blobs`. */
export function decodeBatch(frame: Uint8Array, blobs: ReadonlyMap<string, Uint8Array>): BatchBody {
  return decodeFrame(frameFromBytes(frame, (name) => {
    const bytes = blobs.get(name);
    if (!bytes) throw new Error(`the batch names a large argument (${name}) the worker did not fetch`);
    return bytes;
  })) as BatchBody;
}

/** A batch's outcome as the worker reports it. */
export type RemoteOutcome =
  | { readonly ok: true; readonly results: readonly unknown[] }
  | {
    readonly ok: false;
    readonly error: unknown;
    readonly index: number;
    readonly partial: readonly unknown[];
    /** The worker-side stack, for a task's own error; undefined for a failure around the task. */
    readonly stack: string | undefined;
    readonly pid: number | undefined;
    readonly host: string;
  };

export function encodeOutcome(outcome: RemoteOutcome): Buffer {
  return joinFrame(encodePipeFrame(outcome));
}

export function decodeOutcome(bytes: Uint8Array): RemoteOutcome {
  return decodeFrame(frameFromBytes(bytes)) as RemoteOutcome;
}
