// Reading zlib and gzip files: the joblib-ts header inside is read before the rest is
// inflated and caps the output, and a stream must end exactly where the file does.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, load, loadSync } from '../../../src/index.js';
import { encodeFile } from '../../../src/persistence/format.js';
import { resolveCompression } from '../../../src/serialization/compression/registry.js';

const DIST = pathToFileURL(path.join(import.meta.dirname, '..', '..', '..', 'dist', 'index.js')).href;

const value = { rows: Array.from({ length: 100 }, (_, i) => ({ i, name: `row ${i}` })), weights: new Float64Array(1000).fill(0.5) };
const dumped = Buffer.concat(encodeFile(value));
const compressors = { zlib: zlib.deflateSync, gzip: zlib.gzipSync } as const;

describe.each(['zlib', 'gzip'] as const)('loading a %s file', (method) => {
  const compress = compressors[method];

  it('reads the file header before inflating the rest: a stream of 256 MiB of zeros costs no more than a few MB', () => {
    // Not a joblib-ts file at all (plainly, or behind blocks that inflate to nothing), and a
    // joblib-ts header followed by far more than it declares.
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import zlib from 'node:zlib';
      import { dumpSync, loadSync, load } from '${DIST}';
      const compress = zlib.${method === 'zlib' ? 'deflateSync' : 'gzipSync'};
      const zeros = Buffer.alloc(256 * 1024 * 1024);
      const foreign = compress(zeros);
      const header = Buffer.from(${JSON.stringify([...dumped])});
      const overlong = compress(Buffer.concat([header, zeros]));
      // 40,000 empty stored blocks (200 KB that inflate to nothing), then the zeros.
      const [headLength, tailLength] = ${method === 'zlib' ? '[2, 4]' : '[10, 8]'};
      const hidden = Buffer.concat([foreign.subarray(0, headLength), ...Array(40_000).fill(Buffer.from([0, 0, 0, 0xff, 0xff])),
        zlib.deflateRawSync(zeros), foreign.subarray(foreign.byteLength - tailLength)]);
      const before = process.resourceUsage().maxRSS;
      for (const bytes of [foreign, hidden, overlong]) {
        try { loadSync(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
        try { await load(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
      }
      console.log('growth MB', (process.resourceUsage().maxRSS - before) >> 10);
    `], { encoding: 'utf8', timeout: 60_000 });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const [foreignSync, foreignAsync, hiddenSync, hiddenAsync, overlongSync, overlongAsync, growth] = stdout.trim().split('\n');
    for (const outcome of [foreignSync, foreignAsync, hiddenSync, hiddenAsync]) {
      expect(outcome).toMatch(/^FormatError: .*does not hold a joblib-ts file/);
    }
    expect(overlongSync).toMatch(/^FormatError: .*holds more content than its header declares/);
    expect(overlongAsync).toBe(overlongSync);
    // Before: loadSync inflated all 256 MiB (+511 MB) before looking at it, and a stream that
    // starts with blocks inflating to nothing hid the same bomb from the first probe.
    expect(Number(growth!.split(' ').pop())).toBeLessThan(64);
  });

  it.each([
    ['a zero byte', Buffer.from([0])],
    ['some garbage', Buffer.from('garbage')],
    ['a whole second copy of the stream', null],
  ])('refuses the stream followed by %s, sync and async', async (_, extra) => {
    const stream = compress(dumped);
    const bytes = Buffer.concat([stream, extra ?? stream]);
    expect(() => loadSync(bytes)).toThrow(FormatError);
    await expect(load(bytes)).rejects.toThrow(FormatError);
  });

  it('names trailing bytes after the end of the stream as such', async () => {
    const bytes = Buffer.concat([compress(dumped), Buffer.alloc(5)]);
    const message = new RegExp(`The ${method} stream ends 5 bytes before the file does`);
    expect(() => loadSync(bytes)).toThrow(message);
    await expect(load(bytes)).rejects.toThrow(message);
  });

  it('still loads the stream alone, sync and async', async () => {
    expect(loadSync(compress(dumped))).toEqual(value);
    expect(await load(compress(dumped))).toEqual(value);
  });
});

describe('a gzip file', () => {
  it('is one member: an empty second member is refused too, sync and async', async () => {
    const bytes = Buffer.concat([zlib.gzipSync(dumped), zlib.gzipSync(Buffer.alloc(0))]);
    expect(() => loadSync(bytes)).toThrow(/more than one gzip member/);
    await expect(load(bytes)).rejects.toThrow(/more than one gzip member/);
  });
});

describe.each(['zlib', 'gzip'] as const)('the level a %s stream header records', (method) => {
  const { compressor } = resolveCompression(method);
  const zlibOwn = method === 'zlib' ? zlib.deflateSync : zlib.gzipSync;

  it.each([0, 1, 2, 3, 5, 6, 7, 9])('names a range holding level %i, for our writer and for zlib\'s own', (level) => {
    for (const stream of [Buffer.concat(compressor!.compressSync([dumped], level)), zlibOwn(dumped, { level })]) {
      const found = compressor!.streamLevel!(stream)!;
      expect(found.field).toBe(method === 'zlib' ? 'FLEVEL' : 'XFL');
      expect(found.levels).not.toBeNull();
      expect(level).toBeGreaterThanOrEqual(found.levels![0]);
      expect(level).toBeLessThanOrEqual(found.levels![1]);
    }
  });

  it('says nothing about a header too short to hold the field', () => {
    expect(compressor!.streamLevel!(Uint8Array.of(method === 'zlib' ? 0x78 : 0x1f))).toBeNull();
  });
});
