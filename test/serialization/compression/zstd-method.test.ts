// zstd through node:zlib: round trips at several levels, by name and by extension, found again
// by its magic number; files of the zstd CLI read and ours read by it; truncated, corrupt and
// over-long streams refused; one output buffer, bombs stopped at the first block. On a Node
// without node:zlib's zstd (20), every use is refused with CompressorUnavailableError.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompressorUnavailableError, dump, dumpSync, FormatError, InvalidOptionError, load, loadSync, Memory,
} from '../../../src/index.js';
import { encodeFile } from '../../../src/persistence/format.js';
import { detectCompressor, resolveCompression } from '../../../src/serialization/compression/registry.js';
import { hasZstd } from '../../node-zstd.js';
import { PEAK_MB } from '../../peak-rss.js';

const hasCli = spawnSync('zstd', ['--version']).status === 0;
const DIST = pathToFileURL(path.join(import.meta.dirname, '..', '..', '..', 'dist', 'index.js')).href;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-zstd-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const value = {
  rows: Array.from({ length: 300 }, (_, i) => ({ i, name: `row ${i}`, score: i / 7 })),
  weights: new Float64Array(20_000).map((_, i) => Math.round(Math.sin(i) * 100) / 100),
  counts: new Int32Array(5_000).map((_, i) => i % 13),
  bytes: new Uint8Array(3_000).fill(7),
  when: new Date(0),
  tags: new Set(['a', 'b']),
};
const container = Buffer.concat(encodeFile(value));
/** A container small enough to pass to a child process on its command line. */
const small = Buffer.concat(encodeFile([1, 'two', null]));

/** A zstd frame holding `content` as raw blocks, without a checksum: made by hand, on any Node. */
function rawFrame(content: Uint8Array): Buffer {
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xa0; // 4-byte content size, single segment, no checksum, no dictionary
  header.writeUInt32LE(content.byteLength, 5);
  const parts = [header];
  for (let at = 0; at < content.byteLength || at === 0; at += 128 * 1024) {
    const piece = content.subarray(at, at + 128 * 1024);
    const last = at + 128 * 1024 >= content.byteLength ? 1 : 0;
    const block = Buffer.alloc(3);
    block.writeUIntLE((piece.byteLength << 3) | last, 0, 3); // raw (type 0)
    parts.push(block, Buffer.from(piece));
  }
  return Buffer.concat(parts);
}

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const head = (file: string) => [...fs.readFileSync(file).subarray(0, 4)];

describe.runIf(hasZstd)('zstd dumps', () => {
  it.each([1, 3, 9, 19, 22])('round-trip typed arrays and objects at level %i, sync and async', async (level) => {
    const syncFile = path.join(dir, `sync-${level}.bin`);
    const asyncFile = path.join(dir, `async-${level}.bin`);
    dumpSync(value, syncFile, { compress: ['zstd', level] });
    await dump(value, asyncFile, { compress: { method: 'zstd', level } });
    for (const file of [syncFile, asyncFile]) {
      expect(head(file)).toEqual(MAGIC);
      expect(loadSync(file)).toEqual(value);
      expect(await load(file)).toEqual(value);
    }
    // Every frame declares its content size and carries a content checksum, sync or async.
    for (const file of [syncFile, asyncFile]) {
      const descriptor = fs.readFileSync(file)[4]!;
      expect(descriptor & 0x04).toBe(0x04);
      expect((descriptor & 0xc0) !== 0 || (descriptor & 0x20) !== 0).toBe(true);
    }
  });

  it('is chosen by the .zst extension and by name, at zstd\'s default level 3', () => {
    expect(resolveCompression(undefined, 'model.zst')).toMatchObject({ compressor: { name: 'zstd' }, level: 3 });
    expect(resolveCompression('zstd')).toMatchObject({ compressor: { name: 'zstd' }, level: 3 });
    expect(resolveCompression(9, 'model.ZST')).toMatchObject({ compressor: { name: 'zstd' }, level: 9 });
    const file = path.join(dir, 'model.zst');
    dumpSync(value, file);
    expect(head(file)).toEqual(MAGIC);
    expect(fs.readFileSync(file).byteLength).toBeLessThan(container.byteLength / 2);
    const byName = path.join(dir, 'by-name.bin');
    dumpSync(value, byName, { compress: 'zstd' });
    expect(fs.readFileSync(byName).equals(fs.readFileSync(file))).toBe(true);
  });

  it.each([
    [['zstd', 0], /zstd takes an integer 1–22/],
    [['zstd', 23], /zstd takes an integer 1–22/],
    [{ method: 'zstd', level: 2.5 }, /zstd takes an integer 1–22/],
  ])('refuses compress=%j with InvalidOptionError', (option, message) => {
    expect(() => resolveCompression(option as never)).toThrow(InvalidOptionError);
    expect(() => resolveCompression(option as never)).toThrow(message);
  });

  it('compresses Memory\'s outputs, stored as output.zst', () => {
    const memory = new Memory(path.join(dir, 'cache'), { compress: 'zstd', verbose: 0 });
    let calls = 0;
    const ramp = memory.cache(function ramp(n: number) {
      calls++;
      return new Float64Array(n).map((_, i) => i);
    });
    expect(ramp(50_000)[49_999]).toBe(49_999);
    expect(ramp(50_000)[49_999]).toBe(49_999);
    expect(calls).toBe(1);
    const outputs = fs.readdirSync(path.join(dir, 'cache'), { recursive: true }).map(String).filter((name) => name.endsWith('output.zst'));
    expect(outputs).toHaveLength(1);
    expect(head(path.join(dir, 'cache', outputs[0]!))).toEqual(MAGIC);
  });

  it('is found by its magic number whatever the file is called', () => {
    const file = path.join(dir, 'really-zstd.lz4');
    dumpSync(value, file, { compress: 'zstd' });
    expect(detectCompressor(fs.readFileSync(file))?.name).toBe('zstd');
    expect(loadSync(file)).toEqual(value);
  });

  it('round-trips content over many frames from many parts, straight into one buffer', async () => {
    // 40 MB: five 8 MiB frames; parts of odd sizes, so that frames straddle them.
    const big = {
      a: new Float64Array(3_000_001).map((_, i) => i % 1000),
      b: new Uint8Array(7_777_777).map((_, i) => (i * 31) & 0xff),
      c: new Float32Array(1_000_003).fill(0.25),
    };
    const file = path.join(dir, 'big.zst');
    await dump(big, file);
    const raw = Buffer.concat(encodeFile(big));
    const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const loaded of [await load(file), loadSync(file)] as (typeof big)[]) {
      for (const key of ['a', 'b', 'c'] as const) expect(bytesOf(loaded[key]).equals(bytesOf(big[key]))).toBe(true);
      expect(loaded.c).toBeInstanceOf(Float32Array);
      // Every array views the one decoded buffer, of the container's size (+1: node:zlib's own spare byte).
      expect(loaded.a.buffer).toBe(loaded.b.buffer);
      expect([raw.byteLength, raw.byteLength + 1]).toContain(loaded.a.buffer.byteLength);
    }
  });

  it.each([
    ['truncated in a block', (b: Buffer) => b.subarray(0, b.byteLength >> 1), /zstd data is truncated: a block/],
    ['without its checksum', (b: Buffer) => b.subarray(0, b.byteLength - 2), /truncated: the content checksum/],
    ['cut in a frame header', (b: Buffer) => b.subarray(0, 6), /truncated: a frame header/],
    ['followed by garbage', (b: Buffer) => Buffer.concat([b, Buffer.from('xyz')]), /followed by 3 bytes that are not a zstd frame/],
    ['with a flipped byte', (b: Buffer) => Buffer.from(b).fill(b[200]! ^ 0x10, 200, 201), /zstd data is corrupt/],
    ['with a flipped checksum', (b: Buffer) => Buffer.from(b).fill(b[b.byteLength - 1]! ^ 1, b.byteLength - 1), /zstd data is corrupt \(.*checksum/],
    ['with a reserved block type', (b: Buffer) => Buffer.from(b).fill(b[9]! | 0x06, 9, 10), /corrupt: a block has the reserved type/],
  ])('refuses a file %s with a FormatError saying so, sync and async', async (_, damage, message) => {
    const good = path.join(dir, 'good.zst');
    dumpSync(value, good, { compress: ['zstd', 3] });
    const bytes = fs.readFileSync(good);
    // The frame header here: magic, descriptor, no window byte (single segment), 4-byte size.
    expect(bytes[4]! & 0x20).toBe(0x20);
    const file = path.join(dir, 'damaged.zst');
    fs.writeFileSync(file, damage(bytes));
    expect(() => loadSync(file)).toThrow(FormatError);
    expect(() => loadSync(file)).toThrow(message);
    await expect(load(file)).rejects.toThrow(message);
  });

  it('refuses frames that need a window over 128 MiB, saying how to read them', async () => {
    // A frame header with a window descriptor and no content size, then one raw block.
    const windowed = (windowLog: number) => {
      const frame = rawFrame(small);
      return Buffer.concat([frame.subarray(0, 4), Buffer.from([0x00, (windowLog - 10) << 3]), frame.subarray(9)]);
    };
    expect(loadSync(windowed(27))).toEqual([1, 'two', null]);
    expect(() => loadSync(windowed(28))).toThrow(/need a window larger than the 128 MiB.*zstd -d --memory/);
    await expect(load(windowed(28))).rejects.toThrow(/need a window larger than the 128 MiB/);
  });

  it('checks the file\'s own checksums when the frames carry none, and skips them when they do', () => {
    const { compressor } = resolveCompression('zstd');
    expect(compressor!.decompressSync(Buffer.concat(compressor!.compressSync([container], 3))).verified).toBe(true);
    const unchecked = rawFrame(container);
    expect(compressor!.decompressSync(unchecked).verified).toBe(false);
    expect(loadSync(unchecked)).toEqual(value);
    // A flipped data byte the frame cannot notice (a raw block has no checksum): the XXH3 of the data section does.
    const flipped = Buffer.from(unchecked);
    flipped[flipped.byteLength - 100]! ^= 1;
    expect(() => loadSync(flipped)).toThrow(/checksum of its data section/);
  });

  // .ci/run installs the zstd CLI; a machine without it skips the interop.
  it.runIf(hasCli)('reads what the zstd CLI writes (several levels, multithreaded, without checksum) and writes what it reads', () => {
    const plain = path.join(dir, 'container.bin');
    fs.writeFileSync(plain, container);
    for (const flags of [['-3'], ['-19'], ['-T2', '-5', '--long'], ['--no-check', '-1']]) {
      const out = path.join(dir, `cli${flags.join('')}.zst`);
      execFileSync('zstd', ['-q', '-f', ...flags, plain, '-o', out]);
      expect(loadSync(out)).toEqual(value);
    }
    const ours = path.join(dir, 'for-cli.zst');
    dumpSync(value, ours, { compress: ['zstd', 5] });
    execFileSync('zstd', ['-q', '-t', ours]);
    expect(execFileSync('zstd', ['-q', '-d', '-c', ours]).equals(container)).toBe(true);
  });

  it('stops a bomb at its first block, and a stream longer than its header at the declared size', () => {
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import fs from 'node:fs';
      import zlib from 'node:zlib';
      import { loadSync, load } from '${DIST}';
      ${PEAK_MB}
      const zeros = Buffer.alloc(256 * 1024 * 1024);
      const foreign = zlib.zstdCompressSync(zeros);
      const overlong = zlib.zstdCompressSync(Buffer.concat([Buffer.from(${JSON.stringify([...small])}), zeros]));
      const before = peakMb();
      for (const bytes of [foreign, overlong]) {
        try { loadSync(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
        try { await load(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
      }
      console.log('growth MB', peakMb() - before);
    `], { encoding: 'utf8', timeout: 60_000 });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const [foreignSync, foreignAsync, overlongSync, overlongAsync, growth] = stdout.trim().split('\n');
    expect(foreignSync).toMatch(/^FormatError: .*does not hold a joblib-ts file/);
    expect(foreignAsync).toBe(foreignSync);
    expect(overlongSync).toMatch(/^FormatError: .*holds more content than its header declares/);
    expect(overlongAsync).toBe(overlongSync);
    expect(Number(growth!.split(' ').pop())).toBeLessThan(64);
  });

  it('refuses foreign zstd content by its first bytes, and a bomb hidden behind 64 empty blocks before decoding it', async () => {
    const foreign = (zlib as unknown as { zstdCompressSync(data: Uint8Array): Buffer }).zstdCompressSync(Buffer.from('hello, world'));
    expect(() => loadSync(foreign)).toThrow(/does not hold a joblib-ts file: its content starts with 68 65 6c 6c/);
    // 70 empty raw blocks, then 2,000 RLE blocks of 128 KiB: 8 KB that would decode to 256 MiB.
    const rle = (last: boolean) => Buffer.from([(last ? 1 : 0) | 2, 0x00, 0x10, 0]);
    const bomb = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 - 10) << 3]),
      ...Array<Buffer>(70).fill(Buffer.alloc(3)), ...Array.from({ length: 2000 }, (_, i) => rle(i === 1999))]);
    expect(() => loadSync(bomb)).toThrow(/first 64 blocks decode to fewer than 64 bytes: it does not hold a joblib-ts file/);
    await expect(load(bomb)).rejects.toThrow(/first 64 blocks/);
  });

  it('loads a 128 MB array holding one copy of it at a time: peak RSS grows by the array, not twice', () => {
    const file = path.join(dir, 'rss.zst');
    dumpSync({ a: new Float64Array(16 * 1024 * 1024).map((_, i) => i % 4096) }, file);
    for (const read of ['loadSync', 'await load']) {
      const { stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import fs from 'node:fs';
        import { loadSync, load } from '${DIST}';
        ${PEAK_MB}
        const before = peakMb();
        const { a } = ${read}(${JSON.stringify(file)});
        if (a[4097] !== 1 || a.length !== 16 * 1024 * 1024) throw new Error('wrong content');
        console.log(peakMb() - before);
      `], { encoding: 'utf8', timeout: 60_000 });
      expect(stderr).toBe('');
      // 128 MB of content (from an 83 KB file); decoded pieces and then their concatenation would be
      // 256 MB. Node 24 decodes into the one buffer (+1 MB here); Node 22, whose decoder stops at each
      // frame's end, decodes 8 MiB frames one by one and copies them in (+49 MB of pieces not yet collected).
      expect(Number(stdout.trim())).toBeGreaterThan(120);
      expect(Number(stdout.trim())).toBeLessThan(128 + 64);
    }
  });
});

describe.skipIf(hasZstd)(`zstd on a Node without node:zlib's zstd (${process.version})`, () => {
  const refusal = /zstd needs node:zlib's zstd, in Node 22\.15 or later.*this is Node v\d+\.\d+\.\d+\. Nothing was written.*'lz4'.*'zlib'/;
  const refused = fs.mkdtempSync(path.join(dir, 'refused-'));

  it.each([
    ['the .zst extension', 'a.zst', {}],
    ['its name', 'b.bin', { compress: 'zstd' }],
    ['[zstd, level]', 'c.bin', { compress: ['zstd', 3] }],
  ] as const)('refuses a dump asked for by %s, writing nothing, sync and async', async (_, name, options) => {
    const target = path.join(refused, name);
    expect(() => dumpSync(value, target, options)).toThrow(CompressorUnavailableError);
    expect(() => dumpSync(value, target, options)).toThrow(refusal);
    const error = await dump(value, target, options).then(() => null, (e: unknown) => e as CompressorUnavailableError);
    expect(error).toBeInstanceOf(CompressorUnavailableError);
    expect(error).toMatchObject({ name: 'CompressorUnavailableError', code: 'ERR_JOBLIB_COMPRESSOR_UNAVAILABLE', method: 'zstd' });
    expect(error!.message).toMatch(refusal);
    expect(fs.readdirSync(refused)).toEqual([]);
  });

  it('lists zstd as not on this Node when another method name is wrong', () => {
    expect(() => resolveCompression('zstandard')).toThrow(/"lz4", "zstd" \(not on this Node\)\)/);
  });

  it('refuses a Memory compressing with zstd when it is made, not at its first store', () => {
    expect(() => new Memory(path.join(refused, 'cache'), { compress: 'zstd' })).toThrow(CompressorUnavailableError);
  });

  it('refuses to load a zstd file, naming zstd and this Node, sync and async', async () => {
    const file = path.join(dir, 'from-elsewhere.zst');
    fs.writeFileSync(file, rawFrame(container));
    const message = /compressed with zstd \(it starts with 28 B5 2F FD\).*Node 22\.15 or later.*this is Node v\d+/;
    expect(() => loadSync(file)).toThrow(CompressorUnavailableError);
    expect(() => loadSync(file)).toThrow(message);
    await expect(load(file)).rejects.toThrow(CompressorUnavailableError);
    await expect(load(file)).rejects.toThrow(message);
  });
});

describe('a zstd of the user\'s own, over the built-in one', () => {
  it('needs { force: true }, and is then used to dump .zst files and to load them, on every Node', () => {
    // In a process of its own: the registry is the process's. The user's "zstd" writes raw frames.
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { dumpSync, loadSync, registerCompressor } from '${DIST}';
      import fs from 'node:fs';
      const rawFrame = ${rawFrame.toString()};
      const spec = { magic: [0x28, 0xb5, 0x2f, 0xfd], extensions: ['.zst'], levels: [1, 19], defaultLevel: 3,
        compress: (data) => rawFrame(data), decompress: (data) => { console.log('mine'); return data.subarray(12); } };
      try { registerCompressor('zstd', spec); } catch (error) { console.log(error.name + ': ' + error.message); }
      registerCompressor('zstd', spec, { force: true });
      const file = ${JSON.stringify(path.join(dir, 'own.zst'))};
      dumpSync({ own: [1, 2, 3] }, file);
      console.log(fs.readFileSync(file)[4].toString(16), JSON.stringify(loadSync(file)));
    `], { encoding: 'utf8', timeout: 60_000 });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toBe('InvalidOptionError: A compressor named "zstd" is already registered; pass { force: true } to replace it.\n' +
      'mine\na0 {"own":[1,2,3]}\n');
  });
});
