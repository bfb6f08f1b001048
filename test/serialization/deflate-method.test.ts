// Reading zlib and gzip files: the joblib-ts header inside is read before the rest is
// inflated and caps the output, and a stream must end exactly where the file does.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, load, loadSync } from '../../src/index.js';
import { encodeFile } from '../../src/persistence/format.js';

const DIST = pathToFileURL(path.join(import.meta.dirname, '..', '..', 'dist', 'index.js')).href;

const value = { rows: Array.from({ length: 100 }, (_, i) => ({ i, name: `row ${i}` })), weights: new Float64Array(1000).fill(0.5) };
const dumped = Buffer.concat(encodeFile(value));
const compressors = { zlib: zlib.deflateSync, gzip: zlib.gzipSync } as const;

describe.each(['zlib', 'gzip'] as const)('loading a %s file', (method) => {
  const compress = compressors[method];

  it('reads the file header before inflating the rest: a stream of 256 MiB of zeros costs no more than a few MB', () => {
    // Not a joblib-ts file at all, and a joblib-ts header followed by far more than it declares.
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import zlib from 'node:zlib';
      import { dumpSync, loadSync, load } from '${DIST}';
      const compress = zlib.${method === 'zlib' ? 'deflateSync' : 'gzipSync'};
      const zeros = Buffer.alloc(256 * 1024 * 1024);
      const foreign = compress(zeros);
      const header = Buffer.from(${JSON.stringify([...dumped])});
      const overlong = compress(Buffer.concat([header, zeros]));
      const before = process.resourceUsage().maxRSS;
      for (const bytes of [foreign, overlong]) {
        try { loadSync(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
        try { await load(bytes); console.log('loaded'); } catch (error) { console.log(error.name + ': ' + error.message); }
      }
      console.log('growth MB', (process.resourceUsage().maxRSS - before) >> 10);
    `], { encoding: 'utf8', timeout: 60_000 });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const [foreignSync, foreignAsync, overlongSync, overlongAsync, growth] = stdout.trim().split('\n');
    expect(foreignSync).toMatch(/^FormatError: .*does not hold a joblib-ts file/);
    expect(foreignAsync).toMatch(/^FormatError: .*does not hold a joblib-ts file/);
    expect(overlongSync).toMatch(/^FormatError: .*holds more content than its header declares/);
    expect(overlongAsync).toBe(overlongSync);
    // Before: loadSync inflated all 256 MiB (+511 MB) before looking at it.
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
