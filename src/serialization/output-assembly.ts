// Collects a decompressor's output chunks into one buffer without ever holding two copies:
// as soon as the first bytes tell the total size (the file header does), one buffer of exactly
// that size is allocated and each chunk is copied in as it arrives.

import { FormatError } from '../errors.js';

/** Reads the decompressed size a file declares from its first bytes; null when it cannot tell. */
export type SizeHint = (head: Uint8Array) => number | null;

export class OutputAssembly {
  private out: Buffer | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private filled = 0;
  private size: number | null = null;
  /** The hint reads the start of the content, so it is asked once, about the first chunk only. */
  private hinted = false;

  /** `limit`: the most this input could honestly decompress to; a larger claimed size is refused. */
  constructor(
    private readonly method: string,
    private readonly limit: number,
    private readonly sizeHint: SizeHint | undefined,
    knownSize: number | null = null,
  ) {
    this.size = knownSize;
  }

  add(bytes: Uint8Array): void {
    if (!this.hinted) {
      this.hinted = true;
      if (this.size === null && this.sizeHint) this.size = this.sizeHint(bytes);
    }
    if (this.out === null && this.size !== null) {
      if (this.size > this.limit) {
        throw new FormatError(
          `The ${this.method} content claims ${this.size} bytes, impossible for its compressed size.`,
        );
      }
      this.out = Buffer.allocUnsafeSlow(this.size);
      const earlier = this.pending;
      this.pending = [];
      for (const chunk of earlier) this.place(chunk);
    }
    if (this.out) this.place(bytes);
    else {
      this.pendingBytes += bytes.byteLength;
      if (this.pendingBytes > this.limit) {
        throw new FormatError(`The ${this.method} stream inflates past what its compressed size allows.`);
      }
      this.pending.push(bytes);
    }
  }

  private place(bytes: Uint8Array): void {
    const out = this.out!;
    if (this.filled + bytes.byteLength > out.byteLength) {
      throw new FormatError(`The ${this.method} stream holds more content than its header declares.`);
    }
    out.set(bytes, this.filled);
    this.filled += bytes.byteLength;
  }

  finish(): Uint8Array {
    if (!this.out) return Buffer.concat(this.pending);
    if (this.filled !== this.out.byteLength) {
      throw new FormatError(
        `The ${this.method} stream is truncated: ${this.filled} of ${this.out.byteLength} bytes.`,
      );
    }
    return this.out;
  }
}
