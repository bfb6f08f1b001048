// The wire between the parent and a worker: frames, each one value in the project's codec.
// On a process's pipe a frame is length-prefixed: a 16-byte header (payload length, structure
// length, flags, tag), the MessagePack structure, then the 64-byte-aligned binary blocks written
// straight from the sender's memory; the receiver gets typed arrays as views of one aligned
// buffer. Between threads the same payload is one posted ArrayBuffer (`packForThread`).
// The tag is the batch id of a batch or of its results (0 for other messages): a receiver can
// hold a batch undecoded until its types are loaded, and fail that batch alone if it cannot be read.

import type { Readable, Writable } from 'node:stream';
import { FormatError, FrameTooLargeError } from '../../../errors.js';
import { decodeValue, type ExternalResolver, type UndecodableHook } from '../../../serialization/codec/decoder.js';
import { encodeValue, type EncodedValue, type EncodeOptions } from '../../../serialization/codec/encoder.js';
import { alignUp, BLOCK_ALIGNMENT } from '../../../serialization/codec/layout.js';
import { freshBuffer } from '../../../huge-pages.js';

const HEADER = 16;
const FLAG_REFERENCES = 1;
const MAX_FRAME = 2 ** 32 - 1;
const PADDING = new Uint8Array(BLOCK_ALIGNMENT);

/** How a message is encoded into a frame. Options are passed on field by field: a spread costs a microsecond. */
export interface FrameOptions extends Pick<EncodeOptions, 'external' | 'onRegisteredType'> {
  /** The batch id the frame carries (a batch, or its results); 0 or absent for other messages. */
  readonly tag?: number | undefined;
}

/** A message encoded for a pipe: the buffers of one frame, in order. Nothing is written yet. */
export type PipeFrame = readonly Uint8Array[];

/** Encodes `message` as one pipe frame. Throws `SerializationError` if it cannot be encoded. */
export function encodePipeFrame(message: unknown, options: FrameOptions = {}): PipeFrame {
  const { external, onRegisteredType } = options;
  const encoded = encodeValue(message, { scratch: true, external, onRegisteredType });
  const { structure, blocks, dataLength, hasReferences } = encoded;
  const { dataOffset, payload } = layout(encoded);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload, 0);
  header.writeUInt32LE(structure.byteLength, 4);
  header.writeUInt32LE(hasReferences ? FLAG_REFERENCES : 0, 8);
  header.writeUInt32LE(options.tag ?? 0, 12);
  // One buffer when there are no blocks: the structure is the encoder's own, copied once here with the header.
  if (dataLength === 0) return [Buffer.concat([header, structure])];
  // The structure is copied: the scratch buffer is reused by the next frame.
  const frame: Uint8Array[] = [header, Buffer.from(structure)];
  if (dataOffset > structure.byteLength) frame.push(PADDING.subarray(0, dataOffset - structure.byteLength));
  let written = 0;
  for (const { bytes, offset } of blocks) {
    if (offset > written) frame.push(PADDING.subarray(0, offset - written));
    frame.push(bytes);
    written = offset + bytes.byteLength;
  }
  if (dataLength > written) frame.push(PADDING.subarray(0, dataLength - written));
  return frame;
}

/** Writes a frame made by `encodePipeFrame`: its blocks go straight from the sender's memory. */
export function writePipeFrame(socket: Writable, frame: PipeFrame): void {
  if (frame.length === 1) {
    socket.write(frame[0]);
    return;
  }
  socket.cork();
  for (const bytes of frame) socket.write(bytes);
  socket.uncork();
}

/** Writes `message` as one frame. Throws `SerializationError` (nothing written) if it cannot be encoded. */
export function writeFrame(socket: Writable, message: unknown, options?: FrameOptions): void {
  writePipeFrame(socket, encodePipeFrame(message, options));
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
  readonly tag: number;
}

/** Encodes `message` into one owned buffer. Throws `SerializationError` if it cannot be encoded. */
function packFrame(message: unknown, options: FrameOptions): PackedFrame {
  const { external, onRegisteredType } = options;
  const encoded = encodeValue(message, { scratch: true, external, onRegisteredType });
  const { dataOffset, payload } = layout(encoded);
  const bytes = new Uint8Array(payload);
  bytes.set(encoded.structure);
  for (const { bytes: block, offset } of encoded.blocks) bytes.set(block, dataOffset + offset);
  return { payload: bytes.buffer, structureLength: encoded.structure.byteLength,
    flags: encoded.hasReferences ? FLAG_REFERENCES : 0, tag: options.tag ?? 0 };
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
  options: Omit<FrameOptions, 'external'> = {},
): PackedFrame {
  const before = shared.length;
  try {
    return packFrame(message, { tag: options.tag, onRegisteredType: options.onRegisteredType, external: (bytes) => {
      const place = bytes.buffer instanceof SharedArrayBuffer ? { buffer: bytes.buffer, offset: bytes.byteOffset }
        : toShared?.(bytes);
      if (!place) return undefined;
      let key = shared.indexOf(place.buffer);
      if (key < 0) key = shared.push(place.buffer) - 1;
      return { key: String(key), offset: place.offset };
    } });
  } catch (error) {
    shared.length = before;
    throw error;
  }
}

/** The frames of a post from another thread, in order, undecoded; their external blocks view its SharedArrayBuffers. */
export function receivedFrames(post: ThreadPost): ReceivedFrame[] {
  const external = (key: string): Uint8Array => new Uint8Array(post.shared[Number(key)]!);
  return post.frames.map(({ payload, structureLength, flags, tag }) =>
    ({ payload: new Uint8Array(payload), structureLength, flags, tag, external }));
}

/** Frames at least this long move (transfer) between threads; smaller ones are copied, which costs less. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/** The payloads of `frames` worth transferring rather than copying. */
export function transferList(frames: readonly PackedFrame[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const { payload } of frames) if (payload.byteLength >= TRANSFER_MIN_BYTES) list.push(payload);
  return list;
}

/** A frame as it arrived, not decoded yet (`decodeFrame`): a batch may wait for its types first. */
export interface ReceivedFrame {
  readonly payload: Uint8Array;
  readonly structureLength: number;
  readonly flags: number;
  /** The batch id it carries, or 0. */
  readonly tag: number;
  /** Where its external blocks are (large-argument files, shared memory). */
  readonly external: ExternalResolver | undefined;
}

/**
 * Decodes a received frame; typed arrays in it view its payload. Throws `FormatError` if it is
 * corrupt, and `UnregisteredTypeError` (or what a type's decode threw) unless `undecodable` stands in.
 */
export function decodeFrame(frame: ReceivedFrame, undecodable?: UndecodableHook): unknown {
  const { payload, structureLength, flags } = frame;
  const structure = payload.subarray(0, structureLength);
  const dataStart = alignUp(structureLength, BLOCK_ALIGNMENT);
  const data = payload.length > structureLength ? payload.subarray(dataStart) : null;
  return decodeValue(structure, data, (flags & FLAG_REFERENCES) !== 0, frame.external, undecodable);
}

/** A frame's buffers joined into one, to keep it somewhere other than a pipe (a Redis value). */
export function joinFrame(frame: PipeFrame): Buffer {
  return frame.length === 1 ? Buffer.from(frame[0]!) : Buffer.concat(frame);
}

/**
 * A frame held whole in `bytes` (as `joinFrame` made it), ready to decode; its blocks' external
 * places resolve through `external`. Throws FormatError when the lengths do not fit.
 */
export function frameFromBytes(bytes: Uint8Array, external?: ExternalResolver): ReceivedFrame {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < HEADER || view.readUInt32LE(0) !== view.length - HEADER) {
    throw new FormatError(`A frame of ${view.length} bytes does not hold what its header announces.`);
  }
  const structureLength = view.readUInt32LE(4);
  let payload = view.subarray(HEADER);
  // Typed arrays view the data section: it must start 64-byte aligned, as a pipe frame's does.
  if (payload.length > structureLength && payload.byteOffset % BLOCK_ALIGNMENT !== 0) {
    const aligned = freshBuffer(payload.length);
    payload.copy(aligned);
    payload = aligned;
  }
  return { payload, structureLength, flags: view.readUInt32LE(8), tag: view.readUInt32LE(12), external };
}

/** Splits a byte stream into frames and hands each to `onFrame`, undecoded, in order. */
export class FrameReader {
  private buffered: Buffer | null = null;
  /** The frame being filled when it spans chunks. */
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private structureLength = 0;
  private flags = 0;
  private tag = 0;

  constructor(
    stream: Readable,
    private readonly onFrame: (frame: ReceivedFrame) => void,
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
      this.tag = input.readUInt32LE(position + 12);
      position += HEADER;
      const hasData = payload > this.structureLength;
      if (!hasData && input.length - position >= payload) {
        // Whole frame in this chunk and no blocks to align: decode in place.
        this.deliver(input.subarray(position, position + payload));
        position += payload;
        continue;
      }
      // Own, zero-offset memory so the data section is 64-byte aligned for typed-array views.
      this.frame = hasData ? freshBuffer(payload) : Buffer.allocUnsafe(payload);
      this.frameFilled = 0;
    }
  }

  private deliver(payload: Buffer): void {
    this.onFrame({ payload, structureLength: this.structureLength, flags: this.flags, tag: this.tag,
      external: this.external });
  }
}
