// The wire between the parent and a worker process: length-prefixed frames on a pipe, each
// one value in the project's codec. A 16-byte header (payload length, structure length,
// flags), the MessagePack structure, then the 64-byte-aligned binary blocks written straight
// from the sender's memory; the receiver gets typed arrays as views of one aligned buffer.

import type { Readable, Writable } from 'node:stream';
import { JoblibError } from '../../../errors.js';
import { decodeValue } from '../../../serialization/decoder.js';
import { encodeValue } from '../../../serialization/encoder.js';
import { alignUp, BLOCK_ALIGNMENT } from '../../../serialization/ext-codes.js';

const HEADER = 16;
const FLAG_REFERENCES = 1;
const MAX_FRAME = 2 ** 32 - 1;
const PADDING = new Uint8Array(BLOCK_ALIGNMENT);

/** Writes `message` as one frame. Throws `SerializationError` (nothing written) if it cannot be encoded. */
export function writeFrame(socket: Writable, message: unknown): void {
  const { structure, blocks, dataLength, hasReferences } = encodeValue(message);
  const dataOffset = dataLength > 0 ? alignUp(structure.byteLength, BLOCK_ALIGNMENT) : structure.byteLength;
  const payload = dataOffset + dataLength;
  if (payload > MAX_FRAME) {
    throw new JoblibError('ERR_JOBLIB_FRAME_TOO_LARGE',
      `A message of ${payload} bytes exceeds the 4 GiB frame limit; split the data across tasks.`);
  }
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
  socket.write(structure);
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
    const structure = payload.subarray(0, this.structureLength);
    const dataStart = alignUp(this.structureLength, BLOCK_ALIGNMENT);
    const data = payload.length > this.structureLength ? payload.subarray(dataStart) : null;
    let message: unknown;
    try {
      message = decodeValue(structure, data, (this.flags & FLAG_REFERENCES) !== 0);
    } catch (error) {
      this.onError(error);
      return;
    }
    this.onMessage(message);
  }
}
