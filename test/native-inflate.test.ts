// zlib and gzip files inflated as they are read, by Node's own zlib driven from the native
// helpers, into one output buffer: the same values and the same errors as a whole read (which
// goes through node:zlib), its guards, and what it is for: no compressed file held beside the
// content, and the output on huge pages.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpSync, FormatError, load, loadSync } from '../src/index.js';
import { nativeHelpers } from '../src/native.js';
import { loadedEveryWay } from './every-load.js';
import { PEAK_MB, thpOnRequest } from './peak-rss.js';

const DIST = pathToFileURL(path.join(import.meta.dirname, '..', 'dist', 'index.js')).href;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-inflate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const native = nativeHelpers();
const stream = native?.inflateOpen(false) ?? null;

describe.runIf(stream)('inflateStep', () => {
  it('inflates a zlib and a gzip stream in pieces, into a given buffer, and reports the checksum at the end', () => {
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) >> 6));
    for (const gzip of [false, true]) {
      const compressed = gzip ? zlib.gzipSync(content) : zlib.deflateSync(content);
      const inflating = native!.inflateOpen(gzip)!;
      const output = Buffer.alloc(content.length);
      const results = new Float64Array(3);
      let inAt = 0;
      let outAt = 0;
      while (results[0] === 0 && inAt < compressed.length) {
        native!.inflateStep(inflating, compressed.subarray(inAt, inAt + 1000), output.subarray(outAt), results);
        inAt += results[1]!;
        outAt += results[2]!;
      }
      expect([results[0], inAt, outAt]).toEqual([1, compressed.length, content.length]);
      expect(output.equals(content)).toBe(true);
      const flipped = Buffer.from(compressed);
      flipped[flipped.length - 2]! ^= 1; // inside the checksum or length trailer
      native!.inflateStep(native!.inflateOpen(gzip)!, flipped, Buffer.alloc(content.length), results);
      expect(results[0]).toBeLessThan(0);
    }
  });

  it('refuses what is not a stream and buffers, and a step while the last one runs', async () => {
    const out = Buffer.alloc(16);
    const results = new Float64Array(3);
    expect(() => native!.inflateStep({} as never, out, out, results)).toThrow(TypeError);
    expect(() => native!.inflateStep(stream!, 'x' as never, out, results)).toThrow(TypeError);
    expect(() => native!.inflateStep(stream!, out, out, new Float64Array(2))).toThrow(TypeError);
    const busy = native!.inflateOpen(false)!;
    const running = native!.inflateStepAsync(busy, zlib.deflateSync(Buffer.alloc(1 << 20)), Buffer.alloc(1 << 20), results);
    expect(() => native!.inflateStep(busy, out, out, new Float64Array(3))).toThrow(/has not finished/);
    await running;
    expect(results[0]).toBe(1);
  });
});

describe.runIf(stream)('zlib and gzip files inflated as they are read', () => {
  // Doubles that zlib shrinks to about a third, plus noise it cannot: several 4 MiB chunks.
  const rows = Array.from({ length: 3 }, (_, r) =>
    new Float64Array(r === 2 ? 1_400_000 : 700_000).map((_, i) => (r === 2 ? Math.random() : Math.round(Math.sin(i) * 100) / 100)));
  const value = { rows, note: 'in pieces' };
  const same = (loaded: unknown): boolean => {
    const { rows: back, note } = loaded as typeof value;
    return note === value.note && back.length === rows.length && back.every((row, i) =>
      Buffer.from(row.buffer, row.byteOffset, row.byteLength).equals(Buffer.from(rows[i]!.buffer)));
  };
  const outcome = async (run: () => Promise<boolean> | boolean): Promise<string> => {
    try {
      return String(await run());
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return `FormatError: ${error.message.replace(/^Cannot load [^:]+: /, '')}`;
    }
  };

  it('refuse a zlib or gzip stream that does not hold a joblib-ts file as a whole read does, and tiny ones', async () => {
    for (const content of [Buffer.from('not a joblib-ts file; '.repeat(50_000)), Buffer.from('tiny')]) {
      for (const compressed of [zlib.deflateSync(content), zlib.gzipSync(content)]) {
        const file = path.join(dir, 'foreign');
        fs.writeFileSync(file, compressed);
        const whole = await outcome(async () => same(await load(compressed)));
        expect(whole).toMatch(/^FormatError/);
        expect(await outcome(async () => same(await load(file)))).toBe(whole);
        expect(await outcome(() => same(loadSync(file)))).toBe(whole);
      }
    }
  });

  for (const method of ['zlib', 'gzip'] as const) {
    const file = path.join(dir, `rows.${method}`);
    dumpSync(value, file, { compress: [method, 1] });
    const bytes = fs.readFileSync(file);

    it(`${method}: give the value a whole read gives, async, sync and from a FileHandle`, async () => {
      expect(bytes.length).toBeGreaterThan(2 * 4 * 1024 * 1024);
      for (const loaded of await loadedEveryWay(file)) expect(same(loaded)).toBe(true);
    });

    it(`${method}: fail with the whole read's error when damaged, cut short, appended to or doubled`, async () => {
      const damaged = path.join(dir, `damaged.${method}`);
      const edit = fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(bytes.length - 1), bits: fc.integer({ min: 1, max: 255 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat(bytes.length - 1), bits: fc.constant(0) }),
        fc.record({ kind: fc.constant('append' as const), at: fc.integer({ min: 1, max: 64 }), bits: fc.constant(0) }),
        fc.constant({ kind: 'twice' as const, at: 0, bits: 0 }),
      );
      await fc.assert(fc.asyncProperty(edit, async ({ kind, at, bits }) => {
        const edited = kind === 'cut' ? bytes.subarray(0, at)
          : kind === 'append' ? Buffer.concat([bytes, Buffer.alloc(at, 7)])
            : kind === 'twice' ? Buffer.concat([bytes, bytes]) : Buffer.from(bytes);
        if (kind === 'flip') edited[at]! ^= bits;
        fs.writeFileSync(damaged, edited);
        const whole = await outcome(async () => same(await load(edited)));
        expect(await outcome(async () => same(await load(damaged)))).toBe(whole);
        expect(await outcome(() => same(loadSync(damaged)))).toBe(whole);
        if (kind !== 'flip') expect(whole).toMatch(/^FormatError/);
      }), { numRuns: 20 });
    });
  }
});

describe.runIf(stream && thpOnRequest)('what inflating as it reads is for', () => {
  it.each(['zlib', 'gzip'] as const)('a 48 MiB %s load holds no compressed file beside its content, whose buffer is on huge pages', (method) => {
    // Noise that deflate cannot shrink: a whole read holds ~48 MiB of compressed file over the data.
    const file = path.join(dir, `noise.${method}`);
    dumpSync(Buffer.from(new Float64Array(6 * 1024 * 1024).map(() => Math.random()).buffer), file, { compress: [method, 1] });
    const measure = (sync: boolean, env: Record<string, string> = {}) => {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import fs from 'node:fs';
        import { load, loadSync } from '${DIST}';
        ${PEAK_MB}
        const base = peakMb();
        const faults = process.resourceUsage().minorPageFault;
        const value = ${sync ? 'loadSync' : 'await load'}(${JSON.stringify(file)});
        console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - faults, over: peakMb() - base - 48,
          length: value.length }));
      `], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as { faults: number; over: number; length: number };
    };
    for (const sync of [true, false]) {
      const asRead = measure(sync);
      const whole = measure(sync, { JOBLIB_TS_NATIVE: '0' });
      expect(asRead.length).toBe(48 * 1024 * 1024);
      expect(whole.over).toBeGreaterThan(40); // the compressed file, read whole
      expect(asRead.over).toBeLessThan(24); // two 4 MiB chunks (one when sync)
      expect(whole.faults).toBeGreaterThan(12_000); // node:zlib's output, 4 KiB pages
      expect(asRead.faults).toBeLessThan(4_000);
    }
  });
});
