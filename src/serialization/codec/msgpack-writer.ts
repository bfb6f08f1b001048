// The MessagePack byte writer under the encoding walk: a growable buffer and the primitive
// forms (numbers, strings, container and extension headers). It knows nothing of JS objects;
// encoder.ts walks values and calls these.

const MAX_UINT32 = 0x1_0000_0000;

export class MessagePackWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;

  /** `initial`: a buffer to write into (grown by copying when too small). */
  constructor(initial?: Buffer) {
    this.buf = initial ?? Buffer.allocUnsafe(8192);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  protected ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  protected writeNumber(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
      if (n >= 0) {
        if (n < 0x80) buf[this.pos++] = n;
        else if (n < 0x100) {
          buf[this.pos++] = 0xcc;
          buf[this.pos++] = n;
        } else if (n < 0x10000) {
          buf[this.pos++] = 0xcd;
          this.view.setUint16(this.pos, n);
          this.pos += 2;
        } else if (n < MAX_UINT32) {
          buf[this.pos++] = 0xce;
          this.view.setUint32(this.pos, n);
          this.pos += 4;
        } else {
          buf[this.pos++] = 0xcf;
          this.view.setUint32(this.pos, Math.floor(n / MAX_UINT32));
          this.view.setUint32(this.pos + 4, n >>> 0);
          this.pos += 8;
        }
      } else if (n >= -0x20) buf[this.pos++] = n & 0xff;
      else if (n >= -0x80) {
        buf[this.pos++] = 0xd0;
        this.view.setInt8(this.pos++, n);
      } else if (n >= -0x8000) {
        buf[this.pos++] = 0xd1;
        this.view.setInt16(this.pos, n);
        this.pos += 2;
      } else if (n >= -0x8000_0000) {
        buf[this.pos++] = 0xd2;
        this.view.setInt32(this.pos, n);
        this.pos += 4;
      } else {
        buf[this.pos++] = 0xd3;
        this.view.setBigInt64(this.pos, BigInt(n));
        this.pos += 8;
      }
      return;
    }
    // Non-integers, -0, NaN, ±Infinity and unsafe integers: float64 keeps every bit.
    buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, n);
    this.pos += 8;
  }

  writeString(s: string): void {
    const length = s.length;
    // Short strings: UTF-8 needs at most 3 bytes per UTF-16 unit, so the header is sized for
    // that bound (a wider header than needed is valid MessagePack) and the bytes are written
    // once. Long strings are measured first so the buffer never over-grows by 3x.
    const maxBytes = length < 4096 ? length * 3 : Buffer.byteLength(s);
    this.ensure(maxBytes + 5);
    const buf = this.buf;
    let headerSize: number;
    if (maxBytes < 32) headerSize = 1;
    else if (maxBytes < 0x100) headerSize = 2;
    else if (maxBytes < 0x10000) headerSize = 3;
    else headerSize = 5;
    const start = this.pos + headerSize;
    let bytes = -1;
    if (length < 64) {
      let p = start;
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = -1;
          break;
        }
        buf[p++] = c;
      }
      if (p >= 0) bytes = p - start;
    }
    if (bytes < 0) bytes = buf.write(s, start);
    if (headerSize === 1) buf[this.pos] = 0xa0 | bytes;
    else if (headerSize === 2) {
      buf[this.pos] = 0xd9;
      buf[this.pos + 1] = bytes;
    } else if (headerSize === 3) {
      buf[this.pos] = 0xda;
      this.view.setUint16(this.pos + 1, bytes);
    } else {
      buf[this.pos] = 0xdb;
      this.view.setUint32(this.pos + 1, bytes);
    }
    this.pos = start + bytes;
  }

  /** Writes an ext header with an exact payload length; the caller writes the payload. */
  protected writeExtHeader(type: number, length: number): void {
    this.ensure(length + 6);
    if (length < 0x100) {
      this.buf[this.pos++] = 0xc7;
      this.buf[this.pos++] = length;
    } else if (length < 0x10000) {
      this.buf[this.pos++] = 0xc8;
      this.view.setUint16(this.pos, length);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc9;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    }
    this.buf[this.pos++] = type;
  }

  /** Opens an ext32 whose payload is MessagePack written next; returns where to patch its length. */
  protected openExt(type: number): number {
    this.ensure(6);
    this.buf[this.pos] = 0xc9;
    this.buf[this.pos + 5] = type;
    this.pos += 6;
    return this.pos;
  }

  protected closeExt(payloadStart: number): void {
    this.view.setUint32(payloadStart - 5, this.pos - payloadStart);
  }

  writeArrayHeader(length: number): void {
    this.writeContainerHeader(length, 0x90, 0xdc);
  }

  protected writeMapHeader(size: number): void {
    this.writeContainerHeader(size, 0x80, 0xde);
  }

  /** fix{array,map} below 16 items, else the 16-bit form (`code16`) or the 32-bit one after it. */
  private writeContainerHeader(count: number, fixBase: number, code16: number): void {
    this.ensure(5);
    if (count < 16) this.buf[this.pos++] = fixBase | count;
    else if (count < 0x10000) {
      this.buf[this.pos++] = code16;
      this.view.setUint16(this.pos, count);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = code16 + 1;
      this.view.setUint32(this.pos, count);
      this.pos += 4;
    }
  }
}
