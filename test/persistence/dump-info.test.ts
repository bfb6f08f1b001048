// readDumpInfo, what `joblib-ts inspect` reads: the wrapper, the checked header and the
// structure of real dump files of each compression method; load's refusals with load's own
// messages; and an uncompressed file read no further than its structure when not verifying.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpSync, FormatError, load, registerCompressor } from '../../src/index.js';
import { readDumpInfo } from '../../src/persistence/dump-info.js';
import { encodeFile, readHeader } from '../../src/persistence/format.js';
import { nativeHelpers } from '../../src/native.js';
import { hasZstd } from '../node-zstd.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-dump-info-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const value = { weights: new Float64Array(50_000).map((_, i) => i % 7), meta: { name: 'model', epoch: 3 } };
const raw = Buffer.concat(encodeFile(value));
const rawHeader = readHeader(raw);
let files = 0;
const file = (bytes: Uint8Array): string => {
  const target = path.join(dir, `f${files++}`);
  fs.writeFileSync(target, bytes);
  return target;
};

describe('readDumpInfo', () => {
  it.each([
    ['none', false, null],
    ['zlib', 9, { field: 'FLEVEL', value: 3, meaning: 'maximum', levels: [7, 9] }],
    ['zlib', 3, { field: 'FLEVEL', value: 1, meaning: 'fast', levels: [2, 5] }],
    ['gzip', 1, { field: 'XFL', value: 4, meaning: 'fastest', levels: [0, 1] }],
    ['lz4', 'lz4', null],
    // zstd frames record no level; node:zlib has zstd from Node 22.15.
    ...(hasZstd ? [['zstd', 'zstd', null] as const] : []),
  ] as const)('reads a %s file (compress %s): wrapper, header and structure', async (method, level, streamLevel) => {
    const target = path.join(dir, `model-${method}-${String(level)}`);
    dumpSync(value, target, { compress: method === 'none' ? false : typeof level === 'number' ? [method, level] : method });
    const info = await readDumpInfo(target);
    expect(info.wrapper).toEqual({
      method, level: streamLevel, fileBytes: fs.statSync(target).size, containerBytes: raw.byteLength,
      // The native LZ4 decoder leaves the frame's checksum to the container's (verified below).
      streamVerified: method !== 'none' && (method !== 'lz4' || nativeHelpers() === null),
    });
    expect(info.header).toEqual(rawHeader);
    expect(Buffer.from(info.structure)).toEqual(raw.subarray(64, 64 + rawHeader.structureLength));
    expect(info.checksumsVerified).toBe(true);
  });

  it('names a registered compressor, whose stream says nothing of levels or checksums', async () => {
    registerCompressor('reversed', {
      magic: [0xfe, 0xed], compress: (data) => Buffer.concat([Buffer.from([0xfe, 0xed]), Buffer.from(data).reverse()]),
      decompress: (data) => Buffer.from(data.subarray(2)).reverse(),
    });
    const target = path.join(dir, 'model.rev');
    dumpSync(value, target, { compress: 'reversed' });
    const info = await readDumpInfo(target);
    expect(info.wrapper).toMatchObject({ method: 'reversed', level: null, streamVerified: false, containerBytes: raw.byteLength });
  });

  const damaged: [string, () => Buffer][] = [
    ['truncated', () => raw.subarray(0, raw.byteLength - 100)],
    ['shorter than its header', () => raw.subarray(0, 40)],
    ['with bytes appended', () => Buffer.concat([raw, Buffer.from('extra')])],
    ['with a flipped data byte', () => Buffer.from(raw).fill(1, raw.byteLength - 8, raw.byteLength - 7)],
    ['with a flipped structure byte', () => Buffer.from(raw).fill(0x41, 80, 81)],
    ['of a newer version', () => Buffer.from(raw).fill(2, 8, 9)],
    ['not a joblib-ts file', () => Buffer.from('hello, world')],
    ['empty', () => Buffer.alloc(0)],
    ['a Python pickle', () => Buffer.from([0x80, 0x04, 0x95, 0, 0])],
    ['a truncated gzip file', () => {
      const gz = path.join(dir, 'whole.gz');
      dumpSync(value, gz);
      return fs.readFileSync(gz).subarray(0, 500);
    }],
  ];
  it.each(damaged)('refuses a file %s with load\'s message', async (_, bytes) => {
    const target = file(bytes());
    const loadError = await load(target).then(() => null, (error: unknown) => error as Error);
    expect(loadError).toBeInstanceOf(FormatError);
    const error = await readDumpInfo(target).then(() => null, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(FormatError);
    expect(error!.message).toBe(loadError!.message.replace(/^Cannot load /, 'Cannot inspect '));
  });

  it('skips the checksums with verify: false, and reads a file as large as Buffers allow no further than its structure', async () => {
    const flipped = file(damaged[3]![1]());
    await expect(readDumpInfo(flipped, { verify: false })).resolves.toMatchObject({ checksumsVerified: false });
    // 1 TiB of data section (a sparse file): load cannot read it into one Buffer. Node 20 refuses
    // the length (4 GiB at most); Node 22 and later allow it, and the allocation fails.
    const huge = Buffer.from(raw.subarray(0, rawHeader.dataOffset));
    const dataLength = 2 ** 40;
    huge.writeBigUInt64LE(BigInt(dataLength), 32);
    const target = file(huge);
    fs.truncateSync(target, rawHeader.dataOffset + dataLength);
    await expect(load(target)).rejects.toThrow(
      /^Cannot load .*: It is \d+ bytes(, more than the \d+ a Node Buffer can hold\.|; load reads a file whole, and a buffer that size could not be allocated)/);
    const info = await readDumpInfo(target, { verify: false });
    expect(info.header.dataLength).toBe(dataLength);
    expect(info.wrapper.fileBytes).toBe(rawHeader.dataOffset + dataLength);
  });

  it('passes file system errors through as they are', async () => {
    await expect(readDumpInfo(path.join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
