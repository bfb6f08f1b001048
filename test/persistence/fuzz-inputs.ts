// Hostile inputs for the load fuzzer, from a seeded generator so any failure replays: valid
// dumps damaged in the ways the reliability audit found (flips, cuts, appended bytes, lying
// lengths, swapped headers), and crafted MessagePack trees re-signed with valid checksums so
// they get past the file checks and reach the decoder.
import { xxh3, xxh32 } from '@node-rs/xxhash';
import { compressSync } from 'lz4-napi';
import zlib from 'node:zlib';
import { FILE_MAGIC, HEADER_BYTES } from '../../src/persistence/format.js';
import { lz4CompressSync } from '../../src/serialization/compression/lz4-frame.js';
import { resolveCompression } from '../../src/serialization/compression/registry.js';
import { hasZstd } from '../node-zstd.js';

export type Method = 'raw' | 'zlib' | 'gzip' | 'lz4' | 'zstd';
export const METHODS: readonly Method[] = ['raw', 'zlib', 'gzip', 'lz4', ...(hasZstd ? ['zstd' as const] : [])];

/** mulberry32: small, fast and good enough to pick mutations; the same seed gives the same inputs. */
export class Random {
  constructor(private state: number) {}

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export function compress(raw: Buffer, method: Method): Buffer {
  if (method === 'zlib') return zlib.deflateSync(raw);
  if (method === 'gzip') return zlib.gzipSync(raw);
  if (method === 'lz4') return Buffer.concat(lz4CompressSync([raw]));
  if (method === 'zstd') return Buffer.concat(resolveCompression('zstd').compressor!.compressSync([raw], 3));
  return raw;
}

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/** A container around `structure` and `data`, with correct lengths and checksums. */
export function container(structure: Uint8Array, data: Uint8Array = Buffer.alloc(0), flags = 1): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const dataOffset = align64(HEADER_BYTES + structure.byteLength);
  header.set(FILE_MAGIC, 0);
  header.writeUInt16LE(1, 8);
  header.writeUInt16LE(flags, 10);
  header.writeUInt32LE(HEADER_BYTES, 12);
  header.writeBigUInt64LE(BigInt(structure.byteLength), 16);
  header.writeBigUInt64LE(BigInt(dataOffset), 24);
  header.writeBigUInt64LE(BigInt(data.byteLength), 32);
  header.writeBigUInt64LE(xxh3.xxh64(structure), 40);
  header.writeBigUInt64LE(xxh3.xxh64(data), 48);
  const padding = Buffer.alloc(dataOffset - HEADER_BYTES - structure.byteLength);
  return Buffer.concat([header, structure, padding, data]);
}

/** The structure and data section of a raw container (whose header is trusted here). */
export function sectionsOf(raw: Buffer): { structure: Buffer; data: Buffer; flags: number } {
  const length = Number(raw.readBigUInt64LE(16));
  const dataOffset = Number(raw.readBigUInt64LE(24));
  return {
    structure: Buffer.from(raw.subarray(HEADER_BYTES, HEADER_BYTES + length)),
    data: Buffer.from(raw.subarray(dataOffset)),
    flags: raw.readUInt16LE(10),
  };
}

/** Recomputes a raw container's checksums after its sections were edited in place. */
function resign(raw: Buffer): Buffer {
  const { structure, data } = sectionsOf(raw);
  raw.writeBigUInt64LE(xxh3.xxh64(structure), 40);
  raw.writeBigUInt64LE(xxh3.xxh64(data), 48);
  return raw;
}

// ---- MessagePack, written by hand so that any byte may be a lie ----

const uint = (n: number, bytes: number): number[] => {
  const out: number[] = [];
  for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
};
const str = (s: string): number[] => {
  const bytes = [...Buffer.from(s)];
  return bytes.length < 32 ? [0xa0 | bytes.length, ...bytes] : [0xd9, bytes.length & 0xff, ...bytes.slice(0, 255)];
};
const arrayHeader = (n: number): number[] => (n < 16 ? [0x90 | n] : [0xdc, ...uint(n, 2)]);
const mapHeader = (n: number): number[] => (n < 16 ? [0x80 | n] : [0xde, ...uint(n, 2)]);
const ext = (type: number, payload: number[]): number[] => [0xc7, payload.length & 0xff, type, ...payload];
const float = (x: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return [0xcb, ...b];
};

/** The names registered in the process under test, plus some that are not. */
export const TYPE_NAMES = ['joblib-ts/MemorizedResult', 'fuzz/Strict', 'fuzz/Loose', 'fuzz/Unknown', '__proto__', 'constructor'];

/** A random MessagePack value: any type byte, lengths that may not match, every extension type. */
export function randomTree(rng: Random, depth: number): number[] {
  const leaf = depth <= 0 || rng.next() < 0.35;
  const kind = leaf ? rng.int(10) : 10 + rng.int(6);
  switch (kind) {
    case 0: return [rng.pick([0xc0, 0xc2, 0xc3, 0xc1])];
    case 1: return [rng.int(256)];
    case 2: return [rng.pick([0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3]), ...rng.bytes(8)].slice(0, 1 + rng.pick([1, 2, 4, 8]));
    case 3: return float(rng.pick([0, -0, 0.5, 1e300, Number.NaN, 2 ** 32, -1, 2 ** 53 + 2]));
    case 4: return str(rng.pick(['', 'a', 'name', 'message', 'stack', 'cause', 'errors', '__proto__', 'é', 'x'.repeat(40)]));
    case 5: return [0xc4, rng.int(8), ...rng.bytes(rng.int(8))];
    case 6: return ext(8, []);
    case 7: return ext(9, [rng.int(8)]);
    case 8: return [rng.pick([0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6, 0xdc, 0xdd, 0xde, 0xdf, 0xc7, 0xc8, 0xc9]), ...rng.bytes(rng.int(6))];
    case 9: return ext(rng.pick([0, 13, 63, 127]), [...rng.bytes(rng.int(4))]);
    case 10: {
      const n = rng.int(5);
      return [...arrayHeader(n), ...Array.from({ length: n }, () => randomTree(rng, depth - 1)).flat()];
    }
    case 11: {
      const n = rng.int(4);
      const entries = Array.from({ length: n }, () => [...(rng.next() < 0.9 ? randomTree(rng, 0) : str('k')), ...randomTree(rng, depth - 1)]);
      return [...mapHeader(n), ...entries.flat()];
    }
    case 12: return randomExt(rng, depth - 1);
    case 13: {
      // A registered instance: a name (registered or not) and any state.
      return ext(10, [...arrayHeader(2), ...str(rng.pick(TYPE_NAMES)), ...randomTree(rng, depth - 1)]);
    }
    case 14: {
      // A sparse array: a length and pairs of index and value, any of which may be wrong.
      const pairs = rng.int(3);
      const body = [...float(rng.pick([3, 0, -1, 2 ** 32, 0.5, 2 ** 32 - 1]))];
      for (let i = 0; i < pairs; i++) body.push(...float(rng.pick([0, 1, 2, 0.5, -1, 2 ** 31])), ...randomTree(rng, 0));
      return ext(11, [...arrayHeader(1 + 2 * pairs + rng.int(2)), ...body]);
    }
    default: {
      const n = rng.int(4);
      return [...arrayHeader(n), ...Array.from({ length: n }, () => randomTree(rng, depth - 1)).flat()];
    }
  }
}

function randomExt(rng: Random, depth: number): number[] {
  const child = (): number[] => randomTree(rng, depth);
  switch (rng.int(8)) {
    case 0: { // binary: any kind and storage byte; inline bytes or a block reference
      const blockRef = [...uint(rng.int(200), 8).reverse(), ...uint(rng.pick([8, 64, 1 << 30]), 8).reverse()];
      return ext(1, [rng.int(17), rng.int(4), ...(rng.next() < 0.5 ? rng.bytes(rng.int(24)) : blockRef)]);
    }
    case 1: return ext(2, [...arrayHeader(rng.int(5)), ...child(), ...child()]);
    case 2: return ext(3, [...arrayHeader(2), ...child(), ...child()]);
    case 3: return ext(4, [...rng.bytes(rng.pick([8, 8, 4]))]);
    case 4: return ext(5, [...Buffer.from(rng.pick(['ff', '-10', 'xyz', '', '-']))]);
    case 5: return ext(6, [...arrayHeader(2), ...str(rng.pick(['a+', '(', '[', 'x'])), ...str(rng.pick(['g', 'zz', 'gg', '']))]);
    case 6: return ext(7, [...mapHeader(3), ...str('name'), ...child(), ...str('message'), ...child(), ...str(rng.pick(['cause', 'errors', 'stack', '__proto__'])), ...child()]);
    default: return ext(12, [...mapHeader(1), ...str(rng.pick(['__proto__', 'a'])), ...child()]);
  }
}

/** A container holding a crafted tree and a small data section, signed as a writer would. */
export function craftedFile(rng: Random): Buffer {
  const structure = Buffer.from(randomTree(rng, 1 + rng.int(5)));
  return container(structure, rng.bytes(rng.pick([0, 64, 256])), rng.pick([0, 1, 1, 3]));
}

/** An LZ4 frame around `raw` with random block size, block and content checksum flags, and tiny blocks. */
export function lz4Variant(rng: Random, raw: Buffer): Buffer {
  const blockSize = rng.pick([7, 64, 1000, 65536]);
  const withSize = rng.next() < 0.5;
  let flg = 0x60 | (withSize ? 0x08 : 0) | (rng.next() < 0.2 ? 0x10 : 0) | (rng.next() < 0.2 ? 0x04 : 0);
  if (rng.next() < 0.1) flg &= ~0x20; // linked blocks: lz4-napi's frame decoder takes these
  const descriptor = Buffer.from([flg, rng.pick([0x40, 0x70, 0x70, 0x10]), ...(withSize ? uint(raw.byteLength, 8).reverse() : [])]);
  const blocks: Buffer[] = [];
  for (let at = 0; at < raw.byteLength; at += blockSize) {
    const content = raw.subarray(at, at + blockSize);
    const stored = rng.next() < 0.2;
    const body = stored ? content : compressSync(content).subarray(4);
    const word = Buffer.alloc(4);
    word.writeUInt32LE((body.byteLength | (stored ? 0x8000_0000 : 0)) >>> 0);
    blocks.push(word, body);
    if (flg & 0x10) blocks.push(Buffer.from(uint(xxh32(body, 0), 4).reverse()));
  }
  const end = Buffer.concat([Buffer.alloc(4), ...(flg & 0x04 ? [Buffer.from(uint(xxh32(raw, 0), 4).reverse())] : [])]);
  return Buffer.concat([Buffer.from([4, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor, 0) >>> 8) & 0xff]), ...blocks, end]);
}

/** One mutation kind: its name, and how it damages a seed's raw container into a loadable input. */
export interface Mutation {
  readonly name: string;
  apply(rng: Random, raw: Buffer, method: Method, other: Buffer): Buffer;
}

const flip = (bytes: Buffer, rng: Random, count: number): Buffer => {
  const out = Buffer.from(bytes);
  for (let i = 0; i < count; i++) out[rng.int(out.byteLength)]! ^= 1 + rng.int(255);
  return out;
};

/** Flips bytes of a raw container's section, then signs it again so the flip reaches the decoder. */
function flipSection(rng: Random, raw: Buffer, section: 'structure' | 'data'): Buffer {
  const out = Buffer.from(raw);
  const start = section === 'structure' ? HEADER_BYTES : Number(out.readBigUInt64LE(24));
  const end = section === 'structure' ? HEADER_BYTES + Number(out.readBigUInt64LE(16)) : out.byteLength;
  if (end > start) for (let i = 0, n = 1 + rng.int(4); i < n; i++) out[start + rng.int(end - start)]! ^= 1 + rng.int(255);
  return resign(out);
}

export const MUTATIONS: readonly Mutation[] = [
  { name: 'flip one byte', apply: (rng, raw, method) => flip(compress(raw, method), rng, 1) },
  { name: 'flip 2-16 bytes', apply: (rng, raw, method) => flip(compress(raw, method), rng, 2 + rng.int(15)) },
  {
    name: 'truncate',
    apply: (rng, raw, method) => {
      const b = compress(raw, method);
      return b.subarray(0, rng.int(b.byteLength));
    },
  },
  {
    name: 'append bytes',
    apply: (rng, raw, method) => {
      const b = compress(raw, method);
      return Buffer.concat([b, rng.pick([rng.bytes(1 + rng.int(64)), Buffer.alloc(1 + rng.int(64)), b])]);
    },
  },
  {
    name: 'huge length',
    apply: (rng, raw, method) => {
      const out = Buffer.from(raw);
      const huge = rng.pick([2n ** 62n, 2n ** 40n, 100n * 2n ** 30n, 2n ** 64n - 1n, 2n ** 32n]);
      if (rng.next() < 0.5) out.writeBigUInt64LE(huge, rng.pick([16, 24, 32])); // header S, D or L
      else {
        // A MessagePack container or string length in the structure, re-signed.
        const { structure } = sectionsOf(out);
        const sized = (b: number): boolean => (b >= 0xc4 && b <= 0xc9) || (b >= 0xd9 && b <= 0xdb) || (b >= 0xdc && b <= 0xdf);
        const at = structure.findIndex(sized);
        if (at >= 0) out.fill(0xff, HEADER_BYTES + at + 1, HEADER_BYTES + Math.min(at + 5, structure.byteLength));
        resign(out);
      }
      const b = compress(out, method);
      if (method === 'gzip') b.writeUInt32LE(0xffff_ffff, b.byteLength - 4);
      if (method === 'lz4' && rng.next() < 0.5) {
        b.writeBigUInt64LE(huge, 6); // the content size, re-signed so the lie reaches the size checks
        b[14] = (xxh32(b.subarray(4, 14), 0) >>> 8) & 0xff;
      }
      if (method === 'lz4' && rng.next() < 0.5) b.writeUInt32LE(0x7fff_ffff, 15);
      return b;
    },
  },
  {
    name: 'header swap',
    apply: (rng, raw, method, other) => {
      const out = Buffer.from(raw);
      const edit = rng.int(5);
      if (edit === 0) other.copy(out, 0, 0, HEADER_BYTES);
      else if (edit === 1) out.writeUInt16LE(rng.pick([0, 2, 0xffff]), 8); // version
      else if (edit === 2) out.writeUInt16LE(rng.pick([2, 0x8000, 0xffff]), 10); // flags
      else if (edit === 3) out.writeUInt32LE(rng.pick([0, 63, 65, 128]), 12); // header length
      else out.writeBigUInt64LE(BigInt(1 + rng.int(1000)), 56); // the tag
      return compress(out, method);
    },
  },
  { name: 'structure flips (re-signed)', apply: (rng, raw, method) => compress(flipSection(rng, raw, 'structure'), method) },
  { name: 'data flips (re-signed)', apply: (rng, raw, method) => compress(flipSection(rng, raw, 'data'), method) },
  { name: 'crafted tree (re-signed)', apply: (rng, _raw, method) => compress(craftedFile(rng), method) },
  {
    name: 'deep nesting',
    apply: (rng, _raw, method) => {
      const depth = rng.pick([1000, 10_000, 100_000, 300_000]);
      const structure = Buffer.alloc(depth + 1, rng.pick([0x91, 0x81]));
      structure[depth] = 0xc0;
      return compress(container(structure, Buffer.alloc(0), 0), method);
    },
  },
  { name: 'LZ4 frame variants', apply: (rng, raw) => (rng.next() < 0.7 ? lz4Variant(rng, raw) : flip(lz4Variant(rng, raw), rng, 1)) },
];
