import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, load, loadSync, registerType, UnregisteredTypeError } from '../../src/index.js';
import { encodeFile } from '../../src/persistence/format.js';
import { decodeValue } from '../../src/serialization/codec/decoder.js';
import { encodeValue } from '../../src/serialization/codec/encoder.js';
import { lz4CompressSync } from '../../src/serialization/compression/lz4-frame.js';

class Tagged {
  constructor(public tag: string) {}
}
registerType(Tagged, { name: 'test/Tagged', encode: (t) => t.tag, decode: (tag: string) => new Tagged(tag) });

const rich = () => {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { c: 1 };
  cyclic.me = cyclic;
  // eslint-disable-next-line no-sparse-arrays -- sparse arrays are part of the format
  const sparse = [1, , 3];
  return {
    n: [0, -1, 1.5, Number.NaN, -0, 2 ** 40],
    s: ['', 'héllo', 'x'.repeat(300)],
    big: 12345678901234567890n,
    arrays: [
      new Float64Array(200).fill(1.25),
      new Int16Array([1, -1]),
      Buffer.from('b'),
      new DataView(new ArrayBuffer(8)),
    ],
    ab: new ArrayBuffer(16),
    map: new Map<unknown, unknown>([
      [1, shared],
      ['k', new Set([shared, 'v'])],
    ]),
    date: new Date(86_400_000),
    re: /x+/g,
    error: new TypeError('boom', { cause: shared }),
    tagged: new Tagged('t'),
    sparse,
    cyclic,
    undef: undefined,
    nullProto: Object.create(null),
  };
};

const fileBytes = (compress: false | 'zlib' | 'gzip' | 'lz4'): Buffer => {
  const parts = encodeFile(rich());
  if (compress === false) return Buffer.concat(parts);
  if (compress === 'lz4') return Buffer.concat(lz4CompressSync(parts));
  return (compress === 'zlib' ? zlib.deflateSync : zlib.gzipSync)(Buffer.concat(parts));
};

/** Loading must either succeed or fail with one of our named errors: nothing else, no hang. */
function expectCleanOutcome(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof FormatError || error instanceof UnregisteredTypeError)) {
      throw new Error(`expected FormatError, got ${(error as Error)?.name}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
  }
}

describe('load rejects bad input with FormatError', () => {
  const raw = fileBytes(false);

  it('names a file that is not a joblib-ts dump by its first bytes', () => {
    expect(() => loadSync(Buffer.from('hello world'))).toThrow(
      /not a joblib-ts file: it starts with 68 65 6c 6c 6f/,
    );
  });

  it('recognises a Python pickle and says so', () => {
    expect(() => loadSync(Buffer.from([0x80, 0x04, 0x95, 0, 0]))).toThrow(/looks like a Python pickle/);
  });

  it('rejects an empty input', () => {
    expect(() => loadSync(Buffer.alloc(0))).toThrow(/empty/);
  });

  it.each([10, 63, 64, 100, raw.byteLength - 1])(
    'rejects an uncompressed file truncated to %i bytes',
    (size) => {
      expect(() => loadSync(raw.subarray(0, size))).toThrow(FormatError);
      expect(() => loadSync(raw.subarray(0, size))).toThrow(/truncated/);
    },
  );

  it.each(['zlib', 'gzip', 'lz4'] as const)('rejects a %s file truncated anywhere', (method) => {
    const bytes = fileBytes(method);
    for (const size of [1, 5, 20, Math.floor(bytes.byteLength / 2), bytes.byteLength - 1]) {
      expect(() => loadSync(bytes.subarray(0, size))).toThrow(FormatError);
    }
  });

  it('rejects trailing garbage', () => {
    expect(() => loadSync(Buffer.concat([raw, Buffer.from([0])]))).toThrow(/unexpected trailing bytes/);
  });

  it('detects a flipped byte in the structure and in the data section by checksum', () => {
    const structureFlip = Buffer.from(raw);
    structureFlip[70]! ^= 0x01;
    expect(() => loadSync(structureFlip)).toThrow(/checksum of its structure section/);
    const dataFlip = Buffer.from(raw);
    dataFlip[dataFlip.byteLength - 100]! ^= 0x01;
    expect(() => loadSync(dataFlip)).toThrow(/checksum of its data section/);
  });

  it('ignores the header tag (bytes 56-63): it is the writer\'s, and Memory checks its own', () => {
    const tagged = Buffer.from(raw);
    tagged.writeBigUInt64LE(0x0123456789abcdefn, 56);
    expect(loadSync(tagged)).toEqual(loadSync(raw));
  });

  it('refuses non-zero padding between the structure and the data section, which no checksum covers', () => {
    const structureEnd = 64 + Number(raw.readBigUInt64LE(16));
    const dataOffset = Number(raw.readBigUInt64LE(24));
    expect(dataOffset).toBeGreaterThan(structureEnd); // the rich value's structure leaves some padding
    const padded = Buffer.from(raw);
    padded[dataOffset - 1] = 0x20;
    expect(() => loadSync(padded)).toThrow(/padding after its structure is not zero/);
  });

  it('refuses a newer format version and says to upgrade', () => {
    const newer = Buffer.from(raw);
    newer.writeUInt16LE(2, 8);
    expect(() => loadSync(newer)).toThrow(/format version 2.*Upgrade joblib-ts/);
  });

  it('refuses a header claiming a 100 GB structure without allocating it', () => {
    const hostile = Buffer.from(raw);
    hostile.writeBigUInt64LE(100_000_000_000n, 16);
    hostile.writeBigUInt64LE(100_000_000_064n, 24);
    expect(() => loadSync(hostile)).toThrow(
      /truncated: the header promises 1000000\d{5} bytes but only \d+ are present/,
    );
  });

  it('refuses a zlib stream that inflates past any real ratio (zip bomb) or to something else', () => {
    expect(() => loadSync(zlib.deflateSync(Buffer.from('not our format')))).toThrow(
      /does not hold a joblib-ts file/,
    );
  });

  it('names the source in the message', () => {
    expect(() => loadSync(Buffer.from('nope'))).toThrow(/^Cannot load the given bytes: /);
  });
});

describe('fuzzing', () => {
  const mutate = (bytes: Buffer, edits: { at: number; value: number }[], cut: number | null): Buffer => {
    const copy = Buffer.from(bytes);
    for (const { at, value } of edits) copy[at % copy.byteLength] = value;
    return cut === null ? copy : copy.subarray(0, cut % (copy.byteLength + 1));
  };
  const edits = fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 4,
  });

  it.each([false, 'zlib', 'gzip', 'lz4'] as const)(
    'loading mutated %s files fails only with FormatError',
    (method) => {
      const bytes = fileBytes(method);
      fc.assert(
        fc.property(edits, fc.option(fc.nat()), (e, cut) =>
          expectCleanOutcome(() => loadSync(mutate(bytes, e, cut))),
        ),
        { numRuns: 400 },
      );
    },
  );

  it('decoding mutated structures (no checksum to hide behind) fails only with FormatError', () => {
    const { structure, blocks, dataLength } = encodeValue(rich(), { blockThreshold: 64 });
    const data = new Uint8Array(dataLength);
    for (const block of blocks) data.set(block.bytes, block.offset);
    const original = Buffer.from(structure);
    fc.assert(
      fc.property(edits, fc.option(fc.nat()), (e, cut) =>
        expectCleanOutcome(() => decodeValue(mutate(original, e, cut), data)),
      ),
      { numRuns: 3000 },
    );
  });

  it('dumped files of the rich value still load exactly (the fuzz starts from a valid file)', () => {
    for (const method of [false, 'zlib', 'gzip', 'lz4'] as const) {
      expect(loadSync(fileBytes(method))).toEqual(rich());
    }
  });
});

describe('compressed content that is not ours', () => {
  it('is refused at its first chunk, asynchronously too', async () => {
    const foreign = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MB of zeros, ~50 KB gzipped
    await expect(load(foreign)).rejects.toThrow(/does not hold a joblib-ts file/);
    expect(() => loadSync(foreign)).toThrow(/does not hold a joblib-ts file/);
  });
});
