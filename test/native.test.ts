// The optional native helpers (native/joblib_native.c): the LZ4 block decoder against lz4-napi's,
// its bounds under hostile input, the frame paths that hand back to the JavaScript decoder, the
// switches, and what the helpers are for: huge pages and one fresh buffer per load.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { xxh32 } from '@node-rs/xxhash';
import fc from 'fast-check';
import { compressSync } from 'lz4-napi';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpSync, FormatError, load, loadSync } from '../src/index.js';
import { nativeHelpers } from '../src/native.js';
import { declaredSize, encodeFile } from '../src/persistence/format.js';
import { LZ4_MAGIC, lz4Decompress, lz4DecompressSync } from '../src/serialization/compression/lz4-frame.js';
import { loadedEveryWay } from './every-load.js';
import { PEAK_MB, thpOnRequest } from './peak-rss.js';

const DIST = pathToFileURL(path.join(import.meta.dirname, '..', 'dist', 'index.js')).href;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-native-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const native = nativeHelpers();
/** This machine (and CI) has a C compiler: the build must have made the binary. */
const expected = process.platform === 'linux' && process.arch === 'x64';

/** Runs an ES module script in a fresh node with `env` added; returns its output. */
function runScript(script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** One raw LZ4 block (lz4-napi's output without its 4-byte size prefix). */
const block = (content: Uint8Array): Buffer => compressSync(Buffer.from(content)).subarray(4);

/** Decodes `source` natively into `capacity` bytes placed between two 64-byte guards of 0xAA. */
function decodeGuarded(source: Uint8Array, capacity: number, raw = false): { decoded: number; output: Buffer; guardsIntact: boolean } {
  const output = Buffer.alloc(capacity + 128, 0xaa);
  const results = new Float64Array(1);
  native!.lz4DecodeBlocks(source, output, Float64Array.of(0, source.byteLength, 64, capacity, raw ? 1 : 0), results, 0, 1);
  const guardsIntact = output.subarray(0, 64).every((b) => b === 0xaa)
    && output.subarray(64 + capacity).every((b) => b === 0xaa);
  return { decoded: results[0]!, output: output.subarray(64, 64 + capacity), guardsIntact };
}

/** Content LZ4 finds matches in at every distance: runs, short periods, repeats far apart, noise. */
const content = fc.array(
  fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 300 }),
    fc.record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 5000 }) })
      .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
    fc.record({ unit: fc.uint8Array({ minLength: 1, maxLength: 20 }), n: fc.integer({ min: 1, max: 400 }) })
      .map(({ unit, n }) => Uint8Array.from({ length: unit.length * n }, (_, i) => unit[i % unit.length]!)),
  ),
  { maxLength: 12 },
).map((pieces) => {
  const joined = Buffer.concat(pieces);
  return Buffer.concat([joined, joined.subarray(0, joined.length >> 1)]); // and a far repeat
});

describe('the native helpers', () => {
  it.runIf(expected)('are built for this linux-x64 machine, and load (unless JOBLIB_TS_NATIVE=0)', () => {
    const binary = { exports: {} as Record<string, unknown> };
    process.dlopen(binary, path.join(import.meta.dirname, '..', 'native', 'build', 'joblib_native-linux-x64.node'));
    expect(Object.keys(binary.exports).sort()).toEqual(['adviseHugePages', 'inflateOpen', 'inflateStep', 'inflateStepAsync',
      'lz4DecodeBlocks', 'lz4DecodeBlocksAsync', 'mapFile']);
    expect(native === null).toBe(process.env.JOBLIB_TS_NATIVE === '0');
  });

  it.runIf(native)('refuse arguments that are not buffers, and blocks outside the layout', () => {
    const out = Buffer.alloc(16);
    expect(() => native!.adviseHugePages(42 as never)).toThrow(TypeError);
    expect(() => native!.lz4DecodeBlocks('x' as never, out, new Float64Array(5), new Float64Array(1), 0, 1)).toThrow(TypeError);
    expect(() => native!.lz4DecodeBlocks(out, out, new Float64Array(5), new Float64Array(1), 0, 2))
      .toThrow(/not all in layout and results/);
    expect(() => native!.lz4DecodeBlocks(out, out, new Float64Array(5), new Float64Array(1), -1, 1)).toThrow(TypeError);
    expect(() => native!.lz4DecodeBlocks(out, out, new Float64Array(5), new Float64Array(1), Number.NaN, 1)).toThrow(TypeError);
    expect(() => native!.lz4DecodeBlocks(out, out, new Float64Array(5), new Float64Array(1), 0, 1e300)).toThrow(TypeError);
    expect(() => native!.mapFile(`${dir}/\0x`)).toThrow(/without NUL bytes/);
    expect(() => native!.mapFile(path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe.runIf(native)('the native LZ4 block decoder', () => {
  it('decodes what lz4-napi encodes, exactly, and refuses one byte less room', () => {
    fc.assert(fc.property(content, (data) => {
      const encoded = block(data);
      const fits = decodeGuarded(encoded, data.length);
      expect(fits.decoded).toBe(data.length);
      expect(Buffer.compare(fits.output, data)).toBe(0);
      expect(fits.guardsIntact).toBe(true);
      if (data.length > 0) {
        const short = decodeGuarded(encoded, data.length - 1);
        expect(short.decoded).toBe(-1);
        expect(short.guardsIntact).toBe(true);
      }
    }), { numRuns: 300 });
  });

  it('never reads or writes outside its block, whatever the bytes: damaged, cut short or random', () => {
    const damaged = fc.tuple(content, fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
      fc.option(fc.nat()), fc.integer({ min: 0, max: 70_000 }))
      .map(([data, edits, cut, capacity]) => {
        const bytes = Buffer.from(block(data));
        for (const { at, value } of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return { bytes: cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1)), capacity };
      });
    fc.assert(fc.property(fc.oneof(damaged, fc.record({ bytes: fc.uint8Array({ maxLength: 400 }), capacity: fc.nat(5000) })),
      ({ bytes, capacity }) => {
        // The source too sits between guards, as a subarray: reading past it would read them.
        const padded = Buffer.concat([Buffer.alloc(32, 0x0f), bytes, Buffer.alloc(32, 0x0f)]);
        const { decoded, guardsIntact } = decodeGuarded(padded.subarray(32, 32 + bytes.length), capacity);
        expect(guardsIntact).toBe(true);
        expect(decoded === -1 || (Number.isInteger(decoded) && decoded >= 0 && decoded <= capacity)).toBe(true);
      }), { numRuns: 2000 });
  });

  it('refuses a match reaching before its block\'s output, and places stored blocks only where they fit', () => {
    // Token: 1 literal, match of 4 at offset 2 (only 1 byte written so far); then the last literal.
    expect(decodeGuarded(Uint8Array.of(0x10, 0x41, 2, 0, 0x10, 0x42), 100).decoded).toBe(-1);
    expect(decodeGuarded(Uint8Array.of(0x10, 0x41, 1, 0, 0x10, 0x42), 100)).toMatchObject({ decoded: 6, guardsIntact: true });
    expect(decodeGuarded(Buffer.from('stored'), 6, true)).toMatchObject({ decoded: 6, guardsIntact: true });
    expect(decodeGuarded(Buffer.from('stored'), 5, true)).toMatchObject({ decoded: -1, guardsIntact: true });
    // A layout entry past the end of its source or output is refused before any byte moves.
    const results = new Float64Array(2);
    const out = Buffer.alloc(10, 0xaa);
    native!.lz4DecodeBlocks(Buffer.from('abc'), out, Float64Array.of(0, 4, 0, 10, 1, 0, 3, 8, 3, 1), results, 0, 2);
    expect([...results]).toEqual([-1, -1]);
    expect(out.every((b) => b === 0xaa)).toBe(true);
  });

  it('decodes the same on libuv\'s thread pool, several runs at once', async () => {
    const pieces = Array.from({ length: 12 }, (_, i) => Buffer.from(`piece ${i} `.repeat(5000 + i)));
    const blocks = pieces.map(block);
    const source = Buffer.concat(blocks);
    const layout = new Float64Array(pieces.length * 5);
    let from = 0;
    let to = 0;
    pieces.forEach((piece, i) => {
      layout.set([from, from + blocks[i]!.length, to, piece.length, 0], i * 5);
      from += blocks[i]!.length;
      to += piece.length;
    });
    const output = Buffer.alloc(to);
    const results = new Float64Array(pieces.length);
    await Promise.all([0, 3, 6, 9].map((first) => native!.lz4DecodeBlocksAsync(source, output, layout, results, first, 3)));
    expect([...results]).toEqual(pieces.map((p) => p.length));
    expect(Buffer.compare(output, Buffer.concat(pieces))).toBe(0);
  });
});

/** An LZ4 frame with a content size, independent blocks of at most 4 MiB, no checksums. */
function frame(blocks: readonly Uint8Array[], contentSize: number): Buffer {
  const descriptor = Buffer.from([0x68, 0x70, ...Buffer.alloc(8)]);
  descriptor.writeBigUInt64LE(BigInt(contentSize), 2);
  const framed = blocks.map((b) => Buffer.concat([Buffer.from(Uint32Array.of(b.byteLength).buffer), b]));
  return Buffer.concat([LZ4_MAGIC, descriptor, Buffer.from([(xxh32(descriptor, 0) >>> 8) & 0xff]), ...framed, Buffer.alloc(4)]);
}

describe('LZ4 frames the native decoder cannot place', () => {
  // A real file split into a short first block and a full 4 MiB one: the size fits "full blocks,
  // then a last one", so the native decoder tries, finds block 1 short, and hands the frame back.
  const file = Buffer.concat(encodeFile({ values: new Float64Array(600_000).map((_, i) => i % 977) }));
  const cut = file.byteLength - 4 * 1024 * 1024;

  it.each([
    ['sync', (bytes: Buffer) => lz4DecompressSync(bytes, declaredSize)],
    ['async', (bytes: Buffer) => lz4Decompress(bytes, declaredSize)],
  ] as const)('decode through the block-by-block decoder, to the same bytes (%s)', async (_, decompress) => {
    const bytes = frame([block(file.subarray(0, cut)), block(file.subarray(cut))], file.byteLength);
    expect(Buffer.compare(Buffer.from((await decompress(bytes)).bytes), file)).toBe(0);
  });

  it.each([
    ['sync', (bytes: Buffer) => lz4DecompressSync(bytes, declaredSize)],
    ['async', (bytes: Buffer) => lz4Decompress(bytes, declaredSize)],
  ] as const)('and a corrupt block is named by it (%s)', async (_, decompress) => {
    // Full blocks, so the native decoder places them; the second is cut short by 10 bytes.
    const second = block(file.subarray(4 * 1024 * 1024));
    const blocks = [block(file.subarray(0, 4 * 1024 * 1024)), second.subarray(0, second.length - 10)];
    await expect(async () => decompress(frame(blocks, file.byteLength))).rejects.toThrow(/LZ4 block 2 of 2 is corrupt/);
  });
});

describe.runIf(native)('LZ4 files decoded as they are read', () => {
  // ~44 MB of content: blocks of noise (stored raw) and of patterns, so that the 16 MiB windows
  // end inside blocks of both kinds; the frame ends in a short last block.
  const rows = Array.from({ length: 11 }, (_, i) => (i % 2 === 0
    ? new Float64Array(500_000).map(() => Math.random())
    : new Float64Array(500_000).map((_, j) => (j % 977) + i)));
  const value = { rows, note: 'streamed' };
  const file = path.join(dir, 'streamed.lz4');
  dumpSync(value, file);
  const bytes = fs.readFileSync(file);

  const outcome = async (read: () => Promise<boolean>): Promise<boolean | 'FormatError'> => {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return 'FormatError';
    }
  };

  /** Whether `loaded` holds the same note and the same bytes in every row (toEqual is slow on 44 MB). */
  const same = (loaded: unknown): boolean => {
    const { rows: back, note } = loaded as typeof value;
    return note === value.note && back.length === rows.length && back.every((row, i) =>
      row instanceof Float64Array && Buffer.from(row.buffer, row.byteOffset, row.byteLength)
        .equals(Buffer.from(rows[i]!.buffer)));
  };

  it('give the value a whole read gives, async and sync', async () => {
    for (const loaded of await loadedEveryWay(file)) expect(same(loaded)).toBe(true);
  });

  it('fail as a whole read fails when the file is damaged, cut short or has bytes appended', async () => {
    const damaged = path.join(dir, 'damaged.lz4');
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(bytes.length - 1), bits: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(bytes.length - 1), bits: fc.constant(0) }),
      fc.record({ kind: fc.constant('append' as const), at: fc.integer({ min: 1, max: 64 }), bits: fc.constant(0) }),
    );
    await fc.assert(fc.asyncProperty(edit, async ({ kind, at, bits }) => {
      const edited = kind === 'cut' ? bytes.subarray(0, at)
        : kind === 'append' ? Buffer.concat([bytes, Buffer.alloc(at, 7)]) : Buffer.from(bytes);
      if (kind === 'flip') edited[at]! ^= bits;
      fs.writeFileSync(damaged, edited);
      const whole = await outcome(async () => same(await load(edited)));
      expect(await outcome(async () => same(await load(damaged)))).toBe(whole);
      expect(await outcome(async () => same(loadSync(damaged)))).toBe(whole);
      // Only a flip inside a literal can decode; the container's XXH3 refuses it.
      if (kind !== 'flip') expect(whole).toBe('FormatError');
    }), { numRuns: 40 });
  });
});

describe('the switches', () => {
  it('JOBLIB_TS_NATIVE=0 loads every method through the JavaScript paths, to the same values', () => {
    const { status, stdout, stderr } = runScript(`
      import path from 'node:path';
      import { dump, load } from '${DIST}';
      const value = { values: new Float64Array(1_500_000).map((_, i) => i % 977), note: 'x' };
      for (const compress of [false, 'lz4', 'zlib']) {
        const file = path.join(${JSON.stringify(dir)}, 'switch-' + compress);
        await dump(value, file, { compress });
        const back = await load(file);
        console.log(compress, back.note, back.values.length, back.values.every((v, i) => v === i % 977));
      }
    `, { JOBLIB_TS_NATIVE: '0' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toBe('false x 1500000 true\nlz4 x 1500000 true\nzlib x 1500000 true\n');
  });

  it('refuse a JOBLIB_TS_NATIVE or JOBLIB_TS_HUGE_PAGES other than 0 or 1, naming it', () => {
    // Read when a load first needs them: here, for its 8 MB buffer.
    const loading = (env: Record<string, string>) => runScript(`
      import path from 'node:path';
      import { dumpSync, loadSync } from '${DIST}';
      const file = path.join(${JSON.stringify(dir)}, 'switch-check');
      dumpSync(new Float64Array(1_000_000), file);
      try { loadSync(file); } catch (error) { console.log(error.name + ': ' + error.message); }
    `, env).stdout;
    expect(loading({ JOBLIB_TS_NATIVE: 'yes' })).toBe('InvalidOptionError: JOBLIB_TS_NATIVE must be 0 (JavaScript ' +
      'paths only) or 1 (the native helpers when they are built, the default), got \'yes\'.\n');
    expect(loading({ JOBLIB_TS_HUGE_PAGES: 'on' })).toBe('InvalidOptionError: JOBLIB_TS_HUGE_PAGES must be 0 (no huge ' +
      'pages) or 1 (huge pages for big buffers, the default on Linux), got \'on\'.\n');
  });
});

describe.runIf(native && thpOnRequest)('what the helpers are for', () => {
  const file = path.join(dir, 'big');
  const lz4File = path.join(dir, 'big.lz4');
  // Doubles that LZ4 halves (rounded normals, as the benchmark's): 64 MiB raw, 128 MiB in LZ4.
  const mib = (target: string) => (target.endsWith('.lz4') ? 128 : 64);
  const script = (target: string, sync: boolean) => `
    import fs from 'node:fs';
    import { dumpSync, load, loadSync } from '${DIST}';
    ${PEAK_MB}
    if (!fs.existsSync(${JSON.stringify(target)})) {
      const values = new Float64Array(${mib(target) * 131_072}).map(() => Math.round(Math.random() * 1e4) / 100);
      dumpSync(values, ${JSON.stringify(target)});
      console.log("{}");
      process.exit(0);
    }
    const base = peakMb();
    const faults = process.resourceUsage().minorPageFault;
    const value = ${sync ? 'loadSync' : 'await load'}(${JSON.stringify(target)});
    console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - faults, over: peakMb() - base - ${mib(target)},
      length: value.length }));
  `;
  const measure = (target: string, sync: boolean, env: Record<string, string> = {}) => {
    const { stdout, stderr, status } = runScript(script(target, sync), env);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    return JSON.parse(stdout) as { faults: number; over: number; length: number };
  };

  it('a raw 64 MiB load fills one buffer backed by huge pages: ~100 page faults, not ~16,000', () => {
    measure(file, true); // writes the file
    for (const sync of [true, false]) {
      const huge = measure(file, sync);
      const small = measure(file, sync, { JOBLIB_TS_HUGE_PAGES: '0' });
      expect(huge.length).toBe(8 * 1024 * 1024);
      expect(small.faults).toBeGreaterThan(16_000);
      expect(huge.faults).toBeLessThan(4_000);
    }
  });

  it('an LZ4 load decodes as it reads, into the one output buffer: peak RSS over the data is two 16 MiB windows', () => {
    measure(lz4File, true);
    const compressedMb = fs.statSync(lz4File).size >> 20;
    expect(compressedMb).toBeGreaterThan(64);
    for (const sync of [true, false]) {
      const { over, length } = measure(lz4File, sync);
      expect(length).toBe(16 * 1024 * 1024);
      // Before: lz4-napi's blocks copied into the output, 146% of the data over it; then the whole
      // compressed file read first (~73 MB here); now the windows (32 MiB, one when sync).
      expect(over).toBeLessThan(48);
    }
  });
});
