// Collects a decompressor's output chunks into one buffer without ever holding two copies:
// as soon as the total size is known (the frame declares it, or the file header inside does),
// one buffer of exactly that size is allocated and each chunk is copied in as it arrives.

import { FormatError } from '../../errors.js';
import type { SizeHint } from './compressor.js';
import { freshBuffer } from '../../huge-pages.js';

/** The hint is asked once, about this many first bytes (a joblib-ts header), or all when fewer. */
const HINT_BYTES = 64;

export class OutputAssembly {
  private out: Buffer | null = null;
  private pending: Uint8Array[] = [];
  /** Bytes received so far, placed or pending. */
  private filled = 0;
  private size: number | null;
  private hinted = false;

  /**
   * `limit`: the most this input could honestly decompress to; a larger claimed size is refused.
   * `knownSize`: the size the compressed stream itself declares, if it does.
   */
  constructor(
    private readonly method: string,
    private readonly limit: number,
    private readonly sizeHint: SizeHint | undefined,
    knownSize: number | null = null,
  ) {
    this.size = knownSize;
  }

  /** Whether the total size is known yet (declared by the stream or by the file inside). */
  get sized(): boolean {
    return this.size !== null;
  }

  /** How many more bytes may come: what the content declares, else what the input allows. */
  room(): number {
    return (this.size ?? this.limit) - this.filled;
  }

  add(bytes: Uint8Array): void {
    if (bytes.byteLength > this.room()) {
      throw new FormatError(
        this.size === null
          ? `The ${this.method} stream inflates past what its compressed size allows.`
          : `The ${this.method} stream holds more content than its header declares.`,
      );
    }
    if (this.out) this.out.set(bytes, this.filled);
    else this.pending.push(bytes);
    this.filled += bytes.byteLength;
    if (!this.hinted && this.filled >= HINT_BYTES) this.askHint();
    if (!this.out && this.size !== null) this.allocate();
  }

  finish(): Uint8Array {
    if (!this.hinted) this.askHint();
    if (this.size !== null && this.filled !== this.size) {
      throw new FormatError(`The ${this.method} stream is truncated: ${this.filled} of ${this.size} bytes.`);
    }
    return this.out ?? Buffer.concat(this.pending);
  }

  /** Learns the declared size from the first bytes; it must agree with the stream's own. */
  private askHint(): void {
    this.hinted = true;
    if (!this.sizeHint) return;
    const headBytes = Math.min(this.filled, HINT_BYTES);
    const head = this.out ? this.out.subarray(0, headBytes) : Buffer.concat(this.pending, headBytes);
    const declared = this.sizeHint(head);
    if (declared === null) return;
    if (this.size !== null && declared !== this.size) {
      throw new FormatError(
        `The ${this.method} stream declares ${this.size} bytes of content, but the file inside declares ` +
          `${declared}; one of them is corrupt.`,
      );
    }
    this.size = declared;
  }

  private allocate(): void {
    const size = this.size!;
    if (size > this.limit) {
      throw new FormatError(`The ${this.method} content claims ${size} bytes, impossible for its compressed size.`);
    }
    if (this.filled > size) {
      throw new FormatError(`The ${this.method} stream holds more content than its header declares.`);
    }
    this.out = freshBuffer(size);
    let at = 0;
    for (const chunk of this.pending) {
      this.out.set(chunk, at);
      at += chunk.byteLength;
    }
    this.pending = [];
  }
}
