// The MessagePack byte reader under the decoding walk: bounds-checked reads that fail with
// FormatError before anything is allocated, strings, and the headers ext payloads start with.
// It knows nothing of JS objects; decoder.ts rebuilds values on top of it.

import { FormatError } from '../errors.js';
import { MAX_CACHED_KEY, shortAscii } from './short-strings.js';

export class MessagePackReader {
  protected pos = 0;
  protected readonly view: DataView;
  protected readonly end: number;

  constructor(protected readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.byteLength;
  }

  finish(): void {
    if (this.pos !== this.end) {
      throw new FormatError(`The structure has ${this.end - this.pos} unexpected trailing bytes.`);
    }
  }

  protected fail(what: string): never {
    throw new FormatError(`Corrupt structure at byte ${this.pos}: ${what}.`);
  }

  /** Reserves `n` bytes and returns where they start. */
  protected take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) this.fail(`needs ${n} bytes but only ${this.end - at} remain (truncated?)`);
    this.pos = at + n;
    return at;
  }

  /** A container of `count` items needs at least one byte each. */
  protected checkCount(count: number): number {
    if (count > this.end - this.pos) this.fail(`a container claims ${count} items, more than the bytes left`);
    return count;
  }

  protected readString(length: number): string {
    return this.stringAt(this.take(length), length);
  }

  protected stringAt(start: number, length: number): string {
    const buf = this.buf;
    if (length <= MAX_CACHED_KEY) {
      let ascii = true;
      for (let i = start, end = start + length; i < end; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return shortAscii(buf, start, length);
    }
    return buf.toString('utf8', start, start + length);
  }

  /** Reads the MessagePack array header that starts an ext payload. */
  protected readArrayHeader(): number {
    return this.readContainerHeader(0x90, 0xdc, 'an array');
  }

  /** Reads a MessagePack map header (an Error's fields, a null-prototype object). */
  protected readMapHeader(): number {
    return this.readContainerHeader(0x80, 0xde, 'a map');
  }

  /** fix{array,map} (`fixBase`), or the 16-bit form (`code16`) or the 32-bit one after it. */
  private readContainerHeader(fixBase: number, code16: number, what: string): number {
    const b = this.buf[this.take(1)]!;
    if (b >= fixBase && b < fixBase + 0x10) return this.checkCount(b & 0x0f);
    if (b === code16) return this.checkCount(this.view.getUint16(this.take(2)));
    if (b === code16 + 1) return this.checkCount(this.view.getUint32(this.take(4)));
    return this.fail(`an extension payload does not start with ${what}`);
  }
}
