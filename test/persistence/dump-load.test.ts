import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DumpError,
  dump,
  dumpSync,
  InvalidOptionError,
  load,
  loadSync,
  SerializationError,
} from '../../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-dump-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

const sample = () => ({
  weights: new Float64Array(100_000).map((_, i) => Math.round(Math.sin(i) * 100) / 100),
  ids: new Int32Array([1, 2, 3]),
  meta: { epoch: 3, name: 'model', tags: new Set(['a', 'b']), created: new Date(1_700_000_000_000) },
  rows: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `row ${i}`, score: i / 3 })),
  nothing: undefined,
  big: 2n ** 80n,
});

const MAGIC = {
  none: [0x89, 0x4a, 0x42, 0x54],
  zlib: [0x78],
  gzip: [0x1f, 0x8b],
  lz4: [0x04, 0x22, 0x4d, 0x18],
} as const;

describe('dump and load', () => {
  for (const method of ['none', 'zlib', 'gzip', 'lz4'] as const) {
    const compress = method === 'none' ? false : method;
    it(`round-trips through a ${method} file, async and sync, starting with its magic number`, async () => {
      const value = sample();
      const asyncPath = file(`async-${method}.bin`);
      expect(await dump(value, asyncPath, { compress })).toEqual([asyncPath]);
      expect([...fs.readFileSync(asyncPath).subarray(0, MAGIC[method].length)]).toEqual([...MAGIC[method]]);
      expect(await load(asyncPath)).toEqual(value);

      const syncPath = file(`sync-${method}.bin`);
      expect(dumpSync(value, syncPath, { compress })).toEqual([syncPath]);
      expect(loadSync(syncPath)).toEqual(value);
      expect(fs.readFileSync(syncPath)).toEqual(fs.readFileSync(asyncPath));
    });
  }

  it.each([1, 3, 6, 9])('round-trips zlib and gzip at level %i', (level) => {
    for (const method of ['zlib', 'gzip']) {
      const target = file(`level-${method}-${level}`);
      dumpSync(sample(), target, { compress: [method, level] });
      expect(loadSync(target)).toEqual(sample());
    }
  });

  it('picks the method from the extension: model.lz4 is LZ4, rows.gz is gzip, data.z is zlib', async () => {
    for (const [name, magic] of [
      ['model.lz4', MAGIC.lz4],
      ['rows.gz', MAGIC.gzip],
      ['data.z', MAGIC.zlib],
      ['plain.pkl', MAGIC.none],
    ] as const) {
      await dump({ n: 1 }, file(name));
      expect([...fs.readFileSync(file(name)).subarray(0, magic.length)]).toEqual([...magic]);
    }
  });

  it('returns typed arrays that are 64-byte-aligned views into one buffer for uncompressed files', async () => {
    const a = new Float64Array(10_000).fill(1);
    const b = new Uint8Array(3000).fill(2);
    await dump({ a, b }, file('views.bin'));
    for (const back of [
      await load<{ a: Float64Array; b: Uint8Array }>(file('views.bin')),
      loadSync<{ a: Float64Array; b: Uint8Array }>(file('views.bin')),
    ]) {
      expect(back.a.buffer).toBe(back.b.buffer);
      expect(back.a.byteOffset % 64).toBe(0);
      expect(back.b.byteOffset % 64).toBe(0);
      expect(back.a.buffer.byteLength).toBe(fs.statSync(file('views.bin')).size);
    }
  });

  it('loads from a Uint8Array without copying its typed arrays', () => {
    const target = file('bytes.bin');
    dumpSync({ a: new Float32Array(1000).fill(3) }, target);
    const bytes = fs.readFileSync(target);
    const back = loadSync<{ a: Float32Array }>(bytes);
    expect(back.a.buffer).toBe(bytes.buffer);
  });

  it('loads from bytes that sit at an unaligned offset (copying only what it must)', () => {
    const target = file('unaligned.bin');
    dumpSync({ a: new Float64Array([1, 2, 3]).map((x) => x), big: new Float64Array(1000).fill(4) }, target);
    const raw = fs.readFileSync(target);
    const shifted = new Uint8Array(raw.byteLength + 3).subarray(3);
    shifted.set(raw);
    expect(loadSync(shifted)).toEqual({
      a: new Float64Array([1, 2, 3]),
      big: new Float64Array(1000).fill(4),
    });
  });

  it('writes to and reads from streams', async () => {
    for (const compress of [false, 'lz4', 'gzip'] as const) {
      const chunks: Buffer[] = [];
      const sink = new Writable({
        highWaterMark: 1024,
        write(chunk, _encoding, done) {
          chunks.push(chunk);
          setImmediate(done);
        },
      });
      expect(await dump(sample(), sink, { compress })).toEqual([]);
      const source = new PassThrough();
      source.end(Buffer.concat(chunks));
      expect(await load(source)).toEqual(sample());
    }
  });

  it('writes to a FileHandle and a file descriptor at their position, and reads them back', async () => {
    const target = file('handle.bin');
    const handle = await fs.promises.open(target, 'w');
    await dump([1, 2], handle);
    await handle.close();
    expect(await load(target)).toEqual([1, 2]);

    const fd = fs.openSync(file('fd.bin'), 'w');
    expect(dumpSync('x', fd, { compress: 'gzip' })).toEqual([]);
    fs.closeSync(fd);
    const readFd = fs.openSync(file('fd.bin'), 'r');
    expect(loadSync(readFd)).toBe('x');
    fs.closeSync(readFd);
    const readHandle = await fs.promises.open(target, 'r');
    expect(await load(readHandle)).toEqual([1, 2]);
    await readHandle.close();
  });

  it('accepts file URLs', async () => {
    const url = pathToFileURL(file('url.lz4'));
    expect(await dump({ u: 1 }, url)).toEqual([file('url.lz4')]);
    expect(await load(url)).toEqual({ u: 1 });
    expect(loadSync(url)).toEqual({ u: 1 });
  });

  it('refuses swapped or wrong arguments with a clear error', async () => {
    await expect(dump('model.bin', { a: 1 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(dump('model.bin', { a: 1 } as never)).rejects.toThrow(/were the arguments swapped/);
    expect(() => dumpSync(1, null as never)).toThrow(/second argument must be a path/);
    await expect(load({} as never)).rejects.toThrow(/load's argument must be/);
  });

  it('leaves no file when the value cannot be serialized', async () => {
    const target = file('never.bin');
    await expect(dump({ f: () => 1 }, target)).rejects.toThrow(SerializationError);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a detached buffer and a throwing getter with SerializationError naming the path, leaving no file', async () => {
    const buffer = new ArrayBuffer(1024);
    const view = new Float32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    const target = file('detached.lz4');
    await expect(dump({ model: { weights: view } }, target)).rejects.toThrow(
      /Cannot serialize value\.model\.weights: it is a detached Float32Array/,
    );
    const getter = Object.defineProperty({}, 'lazy', { enumerable: true, get: () => JSON.parse('{') });
    expect(() => dumpSync({ rows: [getter] }, target)).toThrow(/Cannot serialize value\.rows\[0\]\.lazy: it threw SyntaxError/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('keeps the previous file intact when a new dump fails', async () => {
    const target = file('keep.bin');
    await dump({ version: 1 }, target);
    await expect(dump({ version: 2, bad: Symbol('x') }, target)).rejects.toThrow(SerializationError);
    expect(await load(target)).toEqual({ version: 1 });
  });

  it('raises DumpError naming the target when its folder does not exist', async () => {
    const target = path.join(dir, 'missing', 'x.bin');
    await expect(dump(1, target)).rejects.toThrow(DumpError);
    await expect(dump(1, target)).rejects.toThrow(/Could not write .*missing\/x\.bin: ENOENT/);
    expect(() => dumpSync(1, target)).toThrow(DumpError);
  });

  it('raises DumpError when the device is full (/dev/full)', async () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      expect(() => dumpSync(new Float64Array(1000), fd)).toThrow(/ENOSPC.*Free some disk space/);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('raises DumpError when a stream fails', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('pipe closed'));
      },
    });
    broken.on('error', () => {});
    await expect(dump({ a: 1 }, broken)).rejects.toThrow(/Could not write the stream: pipe closed/);
  });
});

describe('an uncompressed dump to a path', () => {
  it('is byte for byte what dumpSync writes, its data checksum summed while the writes were in flight', async () => {
    // 40 MB in three blocks of the data section: the checksum runs in 16 MiB slices, across parts.
    const value = { a: new Float64Array(2_500_000).map((_, i) => i / 3), b: 'between', c: new Uint8Array(17_000_001).fill(9),
      d: new Float32Array(1_000_000).fill(0.25) };
    await dump(value, file('deferred.bin'));
    dumpSync(value, file('sync.bin'));
    expect(fs.readFileSync(file('deferred.bin')).equals(fs.readFileSync(file('sync.bin')))).toBe(true);
    const back = loadSync<typeof value>(file('deferred.bin')); // verifies both checksums
    expect(back.b).toBe('between');
    expect(back.c.length).toBe(17_000_001);
  });
});
