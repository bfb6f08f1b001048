// The wire between the parent and a worker: frames, each one value in the project's codec.
// On a process's pipe a frame is length-prefixed: a 16-byte header (payload length, structure
// length, flags), the MessagePack structure, then the 64-byte-aligned binary blocks written
// straight from the sender's memory; the receiver gets typed arrays as views of one aligned
// buffer. Between threads the same payload is one posted ArrayBuffer (`packForThread`).

import type { Readable, Writable } from 'node:stream';
import { FrameTooLargeError } from '../../../errors.js';
import { decodeValue, type ExternalResolver } from '../../../serialization/decoder.js';
import { encodeValue, type EncodedValue, type ExternalHook } from '../../../serialization/encoder.js';
import { alignUp, BLOCK_ALIGNMENT } from '../../../serialization/ext-codes.js';

const HEADER = 16;
const FLAG_REFERENCES = 1;
const MAX_FRAME = 2 ** 32 - 1;
const PADDING = new Uint8Array(BLOCK_ALIGNMENT);

/** Writes `message` as one frame. Throws `SerializationError` (nothing written) if it cannot be encoded. */
export function writeFrame(socket: Writable, message: unknown, external?: ExternalHook): void {
  const encoded = encodeValue(message, { scratch: true, ...(external && { external }) });
  const { structure, blocks, dataLength, hasReferences } = encoded;
  const { dataOffset, payload } = layout(encoded);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload, 0);
  header.writeUInt32LE(structure.byteLength, 4);
  header.writeUInt32LE(hasReferences ? FLAG_REFERENCES : 0, 8);
  header.writeUInt32LE(0, 12);
  if (dataLength === 0) {
    // One write: the structure is the encoder's own buffer, copied once here with the header.
    socket.write(Buffer.concat([header, structure]));
    return;
  }
  socket.cork();
  socket.write(header);
  socket.write(Buffer.from(structure)); // a copy: the scratch buffer is reused by the next frame
  if (dataOffset > structure.byteLength) socket.write(PADDING.subarray(0, dataOffset - structure.byteLength));
  let written = 0;
  for (const { bytes, offset } of blocks) {
    if (offset > written) socket.write(PADDING.subarray(0, offset - written));
    socket.write(bytes);
    written = offset + bytes.byteLength;
  }
  if (dataLength > written) socket.write(PADDING.subarray(0, dataLength - written));
  socket.uncork();
}

/** Where an encoded message's data section starts and how long the payload is; refuses frames over 4 GiB. */
function layout({ structure, dataLength }: EncodedValue): { dataOffset: number; payload: number } {
  const dataOffset = dataLength > 0 ? alignUp(structure.byteLength, BLOCK_ALIGNMENT) : structure.byteLength;
  const payload = dataOffset + dataLength;
  if (payload > MAX_FRAME) {
    throw new FrameTooLargeError(payload);
  }
  return { dataOffset, payload };
}

/** A frame between threads: the payload in one buffer of its own (transferable), and its layout. */
export interface PackedFrame {
  readonly payload: ArrayBuffer;
  readonly structureLength: number;
  readonly flags: number;
}

/** Encodes `message` into one owned buffer. Throws `SerializationError` if it cannot be encoded. */
function packFrame(message: unknown, external?: ExternalHook): PackedFrame {
  const encoded = encodeValue(message, { scratch: true, ...(external && { external }) });
  const { dataOffset, payload } = layout(encoded);
  const bytes = new Uint8Array(payload);
  bytes.set(encoded.structure);
  for (const { bytes: block, offset } of encoded.blocks) bytes.set(block, dataOffset + offset);
  return { payload: bytes.buffer, structureLength: encoded.structure.byteLength,
    flags: encoded.hasReferences ? FLAG_REFERENCES : 0 };
}

/** One `postMessage` between threads: frames, and the SharedArrayBuffers their external blocks name by index. */
export interface ThreadPost {
  readonly frames: readonly PackedFrame[];
  readonly shared: readonly SharedArrayBuffer[];
}

/**
 * Packs `message` for another thread: binary values in a SharedArrayBuffer (or that `toShared`
 * places in one) go by reference, named by their index in `shared`, which grows as needed and
 * is left as it was if the message cannot be encoded.
 */
export function packForThread(
  message: unknown, shared: SharedArrayBuffer[],
  toShared?: (bytes: Uint8Array) => { buffer: SharedArrayBuffer; offset: number } | undefined,
): PackedFrame {
  const before = shared.length;
  try {
    return packFrame(message, (bytes) => {
      const place = bytes.buffer instanceof SharedArrayBuffer ? { buffer: bytes.buffer, offset: bytes.byteOffset }
        : toShared?.(bytes);
      if (!place) return undefined;
      let key = shared.indexOf(place.buffer);
      if (key < 0) key = shared.push(place.buffer) - 1;
      return { key: String(key), offset: place.offset };
    });
  } catch (error) {
    shared.length = before;
    throw error;
  }
}

/** The messages of a post from another thread, in order; their external blocks view its SharedArrayBuffers. */
export function unpackPost(post: ThreadPost): unknown[] {
  const resolve = (key: string): Uint8Array => new Uint8Array(post.shared[Number(key)]!);
  return post.frames.map((frame) => unpackFrame(frame, resolve));
}

/** Frames at least this long move (transfer) between threads; smaller ones are copied, which costs less. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/** The payloads of `frames` worth transferring rather than copying. */
export function transferList(frames: readonly PackedFrame[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const { payload } of frames) if (payload.byteLength >= TRANSFER_MIN_BYTES) list.push(payload);
  return list;
}

/** Decodes a frame made by `packFrame`; typed arrays in it view its payload. */
function unpackFrame(frame: PackedFrame, external?: ExternalResolver): unknown {
  return decodePayload(new Uint8Array(frame.payload), frame.structureLength, frame.flags, external);
}

function decodePayload(payload: Uint8Array, structureLength: number, flags: number,
  external: ExternalResolver | undefined): unknown {
  const structure = payload.subarray(0, structureLength);
  const dataStart = alignUp(structureLength, BLOCK_ALIGNMENT);
  const data = payload.length > structureLength ? payload.subarray(dataStart) : null;
  return decodeValue(structure, data, (flags & FLAG_REFERENCES) !== 0, external);
}

/** Splits a byte stream into frames and hands each decoded value to `onMessage`, in order. */
export class FrameReader {
  private buffered: Buffer | null = null;
  /** The frame being filled when it spans chunks. */
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private structureLength = 0;
  private flags = 0;

  constructor(
    stream: Readable,
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (error: unknown) => void,
    private readonly external?: ExternalResolver,
  ) {
    stream.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    let input = chunk;
    let position = 0;
    while (position < input.length) {
      if (this.frame) {
        const take = Math.min(this.frame.length - this.frameFilled, input.length - position);
        input.copy(this.frame, this.frameFilled, position, position + take);
        this.frameFilled += take;
        position += take;
        if (this.frameFilled === this.frame.length) {
          const frame = this.frame;
          this.frame = null;
          this.deliver(frame);
        }
        continue;
      }
      if (this.buffered) {
        input = Buffer.concat([this.buffered, input.subarray(position)]);
        this.buffered = null;
        position = 0;
      }
      if (input.length - position < HEADER) {
        this.buffered = Buffer.from(input.subarray(position));
        return;
      }
      const payload = input.readUInt32LE(position);
      this.structureLength = input.readUInt32LE(position + 4);
      this.flags = input.readUInt32LE(position + 8);
      position += HEADER;
      const hasData = payload > this.structureLength;
      if (!hasData && input.length - position >= payload) {
        // Whole frame in this chunk and no blocks to align: decode in place.
        this.deliver(input.subarray(position, position + payload));
        position += payload;
        continue;
      }
      // Own, zero-offset memory so the data section is 64-byte aligned for typed-array views.
      this.frame = hasData ? Buffer.allocUnsafeSlow(payload) : Buffer.allocUnsafe(payload);
      this.frameFilled = 0;
    }
  }

  private deliver(payload: Buffer): void {
    let message: unknown;
    try {
      message = decodePayload(payload, this.structureLength, this.flags, this.external);
    } catch (error) {
      this.onError(error);
      return;
    }
    this.onMessage(message);
  }
}
