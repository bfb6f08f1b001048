// Files big enough for the async reader's concurrent chunks (over 16 MiB), whose checksums are
// computed while the chunks arrive: the same bytes, the same checks, as a single read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dump, FormatError, load, loadSync } from '../../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-large-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Big = { label: string; values: Float64Array; tail: Uint8Array };
const big = (): Big => ({
  label: 'big',
  values: new Float64Array(4_500_000).map((_, i) => i * 0.5),
  tail: new Uint8Array(1_000_003).map((_, i) => i & 0xff),
});

describe('loading a file read in concurrent chunks', () => {
  const file = path.join(dir, 'big.bin');

  // Byte comparison: toEqual walks 4.5 million elements one by one.
  const bytesOf = (a: Float64Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const same = (loaded: unknown, value: Big) => {
    const { label, values, tail } = loaded as Big;
    expect(label).toBe(value.label);
    expect(values).toBeInstanceOf(Float64Array);
    expect(bytesOf(values).equals(bytesOf(value.values))).toBe(true);
    expect(bytesOf(tail).equals(bytesOf(value.tail))).toBe(true);
  };

  it('gives back exactly what was dumped, from a path and from a FileHandle', async () => {
    const value = big();
    await dump(value, file);
    expect(fs.statSync(file).size).toBeGreaterThan(32 * 1024 * 1024);
    same(await load(file), value);
    const handle = await fs.promises.open(file, 'r');
    try {
      same(await load(handle), value);
    } finally {
      await handle.close();
    }
    same(loadSync(file), value);
  });

  it('detects a flipped byte late in the data section and in the structure', async () => {
    const bytes = fs.readFileSync(file);
    const lateData = Buffer.from(bytes);
    lateData[lateData.length - 100]! ^= 1;
    fs.writeFileSync(path.join(dir, 'late.bin'), lateData);
    await expect(load(path.join(dir, 'late.bin'))).rejects.toThrow(/checksum of its data section/);
    const structure = Buffer.from(bytes);
    structure[70]! ^= 1;
    fs.writeFileSync(path.join(dir, 'structure.bin'), structure);
    await expect(load(path.join(dir, 'structure.bin'))).rejects.toThrow(FormatError);
  });

  it('reports a truncated big file as truncated', async () => {
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(path.join(dir, 'short.bin'), bytes.subarray(0, bytes.length - 5_000_000));
    await expect(load(path.join(dir, 'short.bin'))).rejects.toThrow(/truncated/);
  });
});

describe('an LZ4 file decoded from the buffer load read itself', () => {
  it('loads the same from a path (its buffer reused for the blocks) as from bytes, which stay untouched', async () => {
    const value = { values: new Float64Array(1_500_000).map((_, i) => Math.round(Math.sin(i) * 100) / 100) };
    const file = path.join(dir, 'big.lz4');
    await dump(value, file, { compress: 'lz4' });
    const bytes = fs.readFileSync(file);
    const before = Buffer.from(bytes);
    const fromPath = (await load(file)) as typeof value;
    const fromBytes = (await load(bytes)) as typeof value;
    const fromPathSync = loadSync(file) as typeof value;
    expect(bytes.equals(before)).toBe(true);
    const raw = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const loaded of [fromPath, fromBytes, fromPathSync]) expect(raw(loaded.values).equals(raw(value.values))).toBe(true);
  });
});

describe('a file over 2 GiB, past what one read may ask for', () => {
  // In /dev/shm when it is there: 2 GiB of page cache, not of disk writes. The array is zeros (no
  // page touched to make it) but for marks at both ends, which must come back.
  const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/joblib-ts-large-') : dir;
  afterAll(() => fs.rmSync(shm, { recursive: true, force: true }));

  it('loads with loadSync and load (reads of at most 1 GiB each)', async () => {
    const file = path.join(shm, 'over-2-gib.bin');
    const length = 2 ** 31 + 4096;
    {
      const bytes = new Uint8Array(length);
      bytes[0] = 7;
      bytes[length - 1] = 9;
      await dump({ bytes }, file);
    }
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 31);
    for (const loaded of [loadSync(file), await load(file)] as { bytes: Uint8Array }[]) {
      expect(loaded.bytes.length).toBe(length);
      expect([loaded.bytes[0], loaded.bytes[1], loaded.bytes[length - 2], loaded.bytes[length - 1]]).toEqual([7, 0, 0, 9]);
    }
  });
});
