// The MessagePack byte reader under the decoding walk: the grammar of type bytes, bounds-checked
// reads that fail with FormatError before anything is allocated, strings, and the headers ext
// payloads start with. It builds no containers: decoder.ts rebuilds maps, arrays and extension
// values through the hooks at the end.

import { FormatError } from '../../errors.js';
import { isStackOverflow } from '../../thrown.js';
import { MAX_CACHED_KEY, shortAscii } from './short-strings.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * What a walk over a structure throws when the engine's stack overflowed: a FormatError (the
 * structure is nested too deeply); any other error as it is.
 */
export function asNestingError(error: unknown): unknown {
  if (isStackOverflow(error)) {
    return new FormatError('The structure is nested too deeply to rebuild (call stack exceeded).', { cause: error });
  }
  return error;
}

export abstract class MessagePackReader {
  protected pos = 0;
  protected readonly view: DataView;
  protected readonly end: number;

  constructor(protected readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.byteLength;
  }

  /** One MessagePack value: scalars here, containers and extensions through the hooks below. */
  readValue(): unknown {
    const b = this.buf[this.take(1)]!;
    if (b < 0x80) return b;
    if (b < 0x90) return this.readMap(b & 0x0f);
    if (b < 0xa0) return this.readArray(b & 0x0f);
    if (b < 0xc0) return this.readString(b & 0x1f);
    if (b >= 0xe0) return b - 0x100;
    const view = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.readBin(this.buf[this.take(1)]!);
      case 0xc5:
        return this.readBin(view.getUint16(this.take(2)));
      case 0xc6:
        return this.readBin(view.getUint32(this.take(4)));
      case 0xc7:
        return this.readExt(this.buf[this.take(1)]!);
      case 0xc8:
        return this.readExt(view.getUint16(this.take(2)));
      case 0xc9:
        return this.readExt(view.getUint32(this.take(4)));
      case 0xca:
        return view.getFloat32(this.take(4));
      case 0xcb:
        return view.getFloat64(this.take(8));
      case 0xcc:
        return this.buf[this.take(1)];
      case 0xcd:
        return view.getUint16(this.take(2));
      case 0xce:
        return view.getUint32(this.take(4));
      case 0xcf: {
        const n = view.getBigUint64(this.take(8));
        return n <= MAX_SAFE ? Number(n) : n;
      }
      case 0xd0:
        return view.getInt8(this.take(1));
      case 0xd1:
        return view.getInt16(this.take(2));
      case 0xd2:
        return view.getInt32(this.take(4));
      case 0xd3: {
        const n = view.getBigInt64(this.take(8));
        return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n;
      }
      case 0xd4:
        return this.readExt(1);
      case 0xd5:
        return this.readExt(2);
      case 0xd6:
        return this.readExt(4);
      case 0xd7:
        return this.readExt(8);
      case 0xd8:
        return this.readExt(16);
      case 0xd9:
        return this.readString(this.buf[this.take(1)]!);
      case 0xda:
        return this.readString(view.getUint16(this.take(2)));
      case 0xdb:
        return this.readString(view.getUint32(this.take(4)));
      case 0xdc:
        return this.readArray(view.getUint16(this.take(2)));
      case 0xdd:
        return this.readArray(view.getUint32(this.take(4)));
      case 0xde:
        return this.readMap(view.getUint16(this.take(2)));
      case 0xdf:
        return this.readMap(view.getUint32(this.take(4)));
      default:
        return this.fail(`unknown MessagePack type byte 0x${b.toString(16)}`);
    }
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

  /** A string value of `length` bytes, its header read (a walk that only describes values may override it). */
  protected readString(length: number): unknown {
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

  /** A map of `size` entries, its header read. */
  protected abstract readMap(size: number): unknown;

  /** An array of `length` items, its header read. */
  protected abstract readArray(length: number): unknown;

  /** A `bin` of `length` bytes, its header read. */
  protected abstract readBin(length: number): unknown;

  /** An extension whose payload is `length` bytes, its header read (the type byte is next). */
  protected abstract readExt(length: number): unknown;
}
