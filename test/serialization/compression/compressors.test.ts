import { xxh32 } from '@node-rs/xxhash';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dumpSync,
  FormatError,
  InvalidOptionError,
  load,
  loadSync,
  registerCompressor,
} from '../../../src/index.js';
import { detectCompressor, resolveCompression } from '../../../src/serialization/compression/registry.js';
import { lz4CompressSync, lz4DecompressSync } from '../../../src/serialization/compression/lz4-frame.js';
import { deflateChunkedSync, deflateParallel } from '../../../src/serialization/compression/parallel-deflate.js';
import { nativeHelpers } from '../../../src/native.js';
import { encodeFile } from '../../../src/persistence/format.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-compress-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('resolveCompression (joblib rules)', () => {
  const resolved = (option: Parameters<typeof resolveCompression>[0], file?: string) => {
    const { compressor, level } = resolveCompression(option, file);
    return [compressor?.name ?? 'none', level];
  };

  it.each([
    [undefined, 'x.bin', ['none', 0]],
    [false, undefined, ['none', 0]],
    [0, 'x.pkl', ['none', 0]],
    [true, undefined, ['zlib', 3]],
    [6, undefined, ['zlib', 6]],
    ['gzip', undefined, ['gzip', 3]],
    ['lz4', 'x.z', ['lz4', 0]],
    [['gzip', 6], 'x.lz4', ['gzip', 6]],
    [{ method: 'zlib', level: 1 }, undefined, ['zlib', 1]],
    [{ method: 'gzip' }, undefined, ['gzip', 3]],
    [undefined, 'model.lz4', ['lz4', 0]],
    [undefined, 'rows.GZ', ['gzip', 3]],
    [false, 'data.z', ['zlib', 3]],
    [9, 'data.gz', ['gzip', 9]],
    [true, 'data.lz4', ['lz4', 0]],
  ] as const)('compress=%j with %s gives %j', (option, file, expected) => {
    expect(resolved(option as never, file)).toEqual(expected);
  });

  it.each([
    [10, /Invalid compress level 10: a level is an integer 0–9/],
    [-1, /Invalid compress level -1/],
    [1.5, /Invalid compress level 1\.5/],
    ['wrong', /Unknown compression method "wrong"/],
    [['gzip'], /exactly \[method, level\]/],
    [['gzip', 3, 4], /exactly \[method, level\]/],
    [['gzip', 12], /gzip takes an integer 0–9/],
    [{ level: 3 }, /Invalid compress option/],
    [{ method: 'nope', level: 1 }, /Unknown compression method "nope"/],
  ])('rejects compress=%j, listing the valid forms', (option, message) => {
    expect(() => resolveCompression(option as never)).toThrow(InvalidOptionError);
    expect(() => resolveCompression(option as never)).toThrow(message);
    expect(() => resolveCompression(option as never)).toThrow(/Valid forms: false, true/);
  });
});

describe('extensions joblib compresses by that have no method here (.xz, .bz2, .lzma)', () => {
  it.each([
    ['model.xz', undefined],
    ['model.bz2', false],
    ['model.lzma', true],
    ['backup.tar.XZ', 6],
  ] as const)('refuses dump to %s with compress=%j instead of writing it uncompressed', (name, compress) => {
    const target = path.join(dir, name);
    const attempt = () => dumpSync({ a: 1 }, target, compress === undefined ? {} : { compress });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(/joblib compresses \.(xz|bz2|lzma) files.*"zlib" \(\.z\), "gzip" \(\.gz\), "lz4" \(\.lz4\).*registerCompressor/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('writes such a file when a method is named explicitly', () => {
    const target = path.join(dir, 'explicit.xz');
    dumpSync({ a: 1 }, target, { compress: 'lz4' });
    expect(loadSync(target)).toEqual({ a: 1 });
  });

  it('uses a compressor registered for the extension', () => {
    registerCompressor('fake-lzma', {
      magic: [0x5d, 0x00, 0x00, 0x7a],
      extensions: ['.lzma'],
      compress: (data) => Buffer.concat([Buffer.from([0x5d, 0x00, 0x00, 0x7a]), zlib.deflateRawSync(data)]),
      decompress: (data) => zlib.inflateRawSync(data.subarray(4)),
    });
    const target = path.join(dir, 'registered.lzma');
    dumpSync({ a: 1 }, target);
    expect([...fs.readFileSync(target).subarray(0, 4)]).toEqual([0x5d, 0x00, 0x00, 0x7a]);
    expect(loadSync(target)).toEqual({ a: 1 });
  });
});

describe('detection by magic number', () => {
  it('finds each built-in method from its first bytes', () => {
    expect(detectCompressor(zlib.deflateSync(Buffer.from('x')))?.name).toBe('zlib');
    expect(detectCompressor(zlib.gzipSync(Buffer.from('x')))?.name).toBe('gzip');
    expect(detectCompressor(Buffer.concat(lz4CompressSync([Buffer.from('x')])))?.name).toBe('lz4');
    expect(detectCompressor(Buffer.from('plain'))).toBeUndefined();
  });

  it('ignores a misleading file name', () => {
    const file = path.join(dir, 'really-gzip.lz4');
    dumpSync({ a: 1 }, file, { compress: ['gzip', 3] });
    expect(fs.readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(loadSync(file)).toEqual({ a: 1 });
  });
});

describe('registerCompressor', () => {
  // A toy method with its own magic: brotli behind a 4-byte tag (brotli has no magic of its own).
  const MAGIC = [0x42, 0x52, 0x54, 0x4c];
  registerCompressor('brotli-tagged', {
    magic: MAGIC,
    extensions: ['.br'],
    defaultLevel: 4,
    levels: [0, 11],
    compress: (data, level) =>
      Buffer.concat([
        Buffer.from(MAGIC),
        zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } }),
      ]),
    decompress: (data) => zlib.brotliDecompressSync(data.subarray(4)),
  });

  it('is used by name, by extension and found again by its magic number', () => {
    const byName = path.join(dir, 'custom.bin');
    dumpSync({ v: [1, 2, 3] }, byName, { compress: ['brotli-tagged', 11] });
    expect([...fs.readFileSync(byName).subarray(0, 4)]).toEqual(MAGIC);
    expect(loadSync(byName)).toEqual({ v: [1, 2, 3] });
    const byExtension = path.join(dir, 'custom.br');
    dumpSync('text', byExtension);
    expect([...fs.readFileSync(byExtension).subarray(0, 4)]).toEqual(MAGIC);
    expect(loadSync(byExtension)).toBe('text');
  });

  it('turns a failure of its decompress on a corrupt file into a FormatError naming the method, sync and async', async () => {
    const corrupt = Buffer.from([...MAGIC, 0xde, 0xad, 0xbe, 0xef]);
    expect(() => loadSync(corrupt)).toThrow(FormatError);
    expect(() => loadSync(corrupt)).toThrow(/The brotli-tagged data could not be decompressed/);
    await expect(load(corrupt)).rejects.toThrow(/The brotli-tagged data could not be decompressed/);
  });

  it('checks levels against the declared range', () => {
    expect(() => dumpSync(1, path.join(dir, 'x.br'), { compress: ['brotli-tagged', 12] })).toThrow(/0–11/);
  });

  it('refuses a duplicate name unless forced, and a missing magic number', () => {
    const spec = { magic: [1], compress: (d: Uint8Array) => d, decompress: (d: Uint8Array) => d };
    expect(() => registerCompressor('gzip', spec)).toThrow(/already registered.*force/);
    expect(() => registerCompressor('empty', { ...spec, magic: [] })).toThrow(/non-empty magic/);
  });
});

describe('LZ4 frames', () => {
  const lz4Cli = spawnSync('lz4', ['--version']).status === 0;

  it('round-trips content spanning many 4 MiB blocks, from many parts', () => {
    const parts = [
      Buffer.alloc(3),
      Buffer.alloc(9 * 1024 * 1024, 7),
      Buffer.from('tail'),
      Buffer.alloc(5 * 1024 * 1024),
    ];
    const out = lz4DecompressSync(Buffer.concat(lz4CompressSync(parts)));
    expect(Buffer.compare(Buffer.from(out.bytes), Buffer.concat(parts))).toBe(0);
    // Our frames carry a content checksum. The JavaScript path verifies it; the native decoder
    // leaves it to the container's XXH3 checksums, which load then verifies (verified: false).
    expect(out.verified).toBe(nativeHelpers() === null);
  });

  it('stores incompressible blocks raw and still round-trips', () => {
    const noise = Buffer.from(new Float64Array(600_000).map(() => Math.random()).buffer);
    const framed = Buffer.concat(lz4CompressSync([noise]));
    expect(framed.byteLength).toBeLessThan(noise.byteLength + 100);
    expect(Buffer.compare(Buffer.from(lz4DecompressSync(framed).bytes), noise)).toBe(0);
  });

  it('fails with FormatError when a byte is flipped: the content checksum, or the container\'s', async () => {
    const framed = Buffer.concat(lz4CompressSync(encodeFile({ text: 'abc'.repeat(1000) })));
    framed[framed.byteLength - 10]! ^= 0xff;
    // A flipped literal decodes fine: whichever checksum the path verifies must refuse it.
    const decoded = (() => {
      try {
        return lz4DecompressSync(framed);
      } catch (error) {
        expect(error).toBeInstanceOf(FormatError);
        return null;
      }
    })();
    if (decoded) expect(decoded.verified).toBe(false);
    expect(() => loadSync(framed)).toThrow(FormatError);
    await expect(load(framed)).rejects.toThrow(FormatError);
  });

  it('rejects a frame claiming an impossible content size', () => {
    // FLG with the content-size bit, then a claimed size of 100 GB.
    const frame = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x6c, 0x70, ...Buffer.alloc(8), 0, 0, 0, 0, 0]);
    frame.writeBigUInt64LE(100_000_000_000n, 6);
    frame[14] = (xxh32(frame.subarray(4, 14), 0) >>> 8) & 0xff; // a valid descriptor checksum: the size is the lie
    expect(() => lz4DecompressSync(frame)).toThrow(/claims 100000000000 bytes/);
  });

  it.skipIf(!lz4Cli)('writes files the lz4 CLI decompresses, and loads files the CLI wrote', () => {
    const value = { rows: Array.from({ length: 1000 }, (_, i) => ({ i })), a: new Float32Array(5000) };
    const file = path.join(dir, 'cli.lz4');
    dumpSync(value, file);
    const raw = execFileSync('lz4', ['-d', '-c', file]);
    expect(loadSync(raw)).toEqual(value);

    const plain = path.join(dir, 'plain.bin');
    dumpSync(value, plain);
    // Content size or not (then our header sizes the output), small or linked blocks (then
    // lz4-napi's frame decoder takes over), block checksums: every CLI variant loads.
    for (const flags of [['-9', '--content-size'], [], ['-B4'], ['-BD'], ['-BX'], ['--no-frame-crc']]) {
      const byCli = path.join(dir, `by-cli${flags.join('')}.lz4`);
      execFileSync('lz4', ['-q', '-f', ...flags, plain, byCli]);
      expect(loadSync(byCli)).toEqual(value);
    }
  });

  it.skipIf(!lz4Cli)('still checks the file checksums when a frame has no content checksum', () => {
    const plain = path.join(dir, 'unchecked.bin');
    dumpSync({ big: new Float64Array(100_000).map((_, i) => i) }, plain);
    const framed = path.join(dir, 'unchecked.lz4');
    execFileSync('lz4', ['-q', '-f', '--no-frame-crc', plain, framed]);
    expect(lz4DecompressSync(fs.readFileSync(framed)).verified).toBe(false);
    const damaged = fs.readFileSync(framed);
    damaged[damaged.byteLength - 8]! ^= 0x01; // a literal byte of the last block
    expect(() => loadSync(damaged)).toThrow(/checksum of its data section does not match/);
  });

  it.skipIf(!lz4Cli)('loads CLI frames asynchronously too', async () => {
    const plain = path.join(dir, 'plain-async.bin');
    dumpSync({ big: new Float64Array(2_000_000).fill(0.5) }, plain);
    const byCli = path.join(dir, 'by-cli-async.lz4');
    execFileSync('lz4', ['-q', '-f', '-B4', plain, byCli]);
    expect(await load(byCli)).toEqual({ big: new Float64Array(2_000_000).fill(0.5) });
  });
});

describe('parallel deflate (pigz-style chunks)', () => {
  // 9.5 MiB over parts of odd sizes: chunks straddle parts and the last chunk is short.
  const parts = [
    Buffer.from('head'),
    Buffer.alloc(7 * 1024 * 1024 + 3, 1),
    Buffer.from(new Float64Array(300_000).map(Math.sqrt).buffer),
  ];
  const content = Buffer.concat(parts);

  it.each(['zlib', 'gzip'] as const)(
    '%s output is one standard stream with the checksum zlib computes',
    async (format) => {
      for (const out of [await deflateParallel(parts, 3, format), deflateChunkedSync(parts, 3, format)]) {
        const stream = Buffer.concat(out);
        const inflated = format === 'zlib' ? zlib.inflateSync(stream) : zlib.gunzipSync(stream);
        expect(Buffer.compare(inflated, content)).toBe(0);
        const reference = format === 'zlib' ? zlib.deflateSync(content) : zlib.gzipSync(content);
        const trailer = format === 'zlib' ? 4 : 8;
        expect(stream.subarray(-trailer)).toEqual(reference.subarray(-trailer));
      }
    },
  );

  it('writes gzip files the gzip CLI accepts', () => {
    const target = path.join(dir, 'cli-check.gz');
    dumpSync({ content }, target);
    expect(spawnSync('gzip', ['-t', target]).status).toBe(0);
    expect(Buffer.compare(loadSync<{ content: Buffer }>(target).content, content)).toBe(0);
  });

  it('handles empty content', async () => {
    expect(zlib.inflateSync(Buffer.concat(await deflateParallel([], 6, 'zlib'))).byteLength).toBe(0);
    expect(zlib.gunzipSync(Buffer.concat(deflateChunkedSync([Buffer.alloc(0)], 1, 'gzip'))).byteLength).toBe(
      0,
    );
  });
});
