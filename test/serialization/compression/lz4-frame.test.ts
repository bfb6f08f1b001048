// LZ4 frames from hostile or damaged files: a load settles once, never leaves a native
// decode rejecting in the background, and never allocates more than the frame can hold.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { xxh32 } from '@node-rs/xxhash';
import { compressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { declaredSize, encodeFile } from '../../../src/persistence/format.js';
import { LZ4_MAGIC, lz4CompressSync, lz4Decompress, lz4DecompressSync } from '../../../src/serialization/compression/lz4-frame.js';

/** The built library (tests that spawn node run it from dist, as users do). */
const DIST = pathToFileURL(path.join(import.meta.dirname, '..', '..', '..', 'dist', 'index.js')).href;

/** Runs an ES module script in a fresh node and returns its exit code and output. */
function runScript(script: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('async LZ4 load of a corrupt file', () => {
  it('rejects once with FormatError and leaves no decode to reject unhandled later', () => {
    // Two blocks (4.8 MB of content), each with a byte flipped in its middle: both native
    // decodes fail, at moments that vary; the second must not become an unhandled rejection.
    const { status, stdout, stderr } = runScript(`
      import fs from 'node:fs';
      import os from 'node:os';
      import path from 'node:path';
      import { dumpSync, load } from '${DIST}';
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-lz4-'));
      dumpSync(new Float64Array(6e5).map((_, i) => (i % 1000) / 8), path.join(folder, 'x.lz4'));
      const bytes = fs.readFileSync(path.join(folder, 'x.lz4'));
      fs.rmSync(folder, { recursive: true });
      let blocks = 0;
      for (let p = 15; ; ) {
        const word = bytes.readUInt32LE(p);
        p += 4;
        if (word === 0) break;
        const n = word & 0x7fffffff;
        bytes[p + (n >> 1)] ^= 0xff;
        p += n;
        blocks++;
      }
      console.log('blocks', blocks);
      for (let i = 0; i < 5; i++) {
        try { await load(bytes); console.log('loaded'); } catch (error) { console.log('caught', error.name); }
      }
      setTimeout(() => console.log('alive'), 300);
    `);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toEqual(['blocks 2', ...Array(5).fill('caught FormatError'), 'alive']);
    expect(status).toBe(0);
  });
});

/**
 * An LZ4 frame (independent 4 MiB blocks) around `blocks`, each a raw LZ4 block; with
 * `blockChecksums`, each block is followed by its xxh32 (then lz4-napi's frame decoder reads it).
 */
function frame(blocks: readonly Uint8Array[], contentSize?: number, { blockChecksums = false } = {}): Buffer {
  const flg = 0x60 | (contentSize === undefined ? 0 : 0x08) | (blockChecksums ? 0x10 : 0);
  const descriptor = Buffer.from([flg, 0x70, ...Buffer.alloc(contentSize === undefined ? 0 : 8)]);
  if (contentSize !== undefined) descriptor.writeBigUInt64LE(BigInt(contentSize), 2);
  const headerChecksum = (xxh32(descriptor, 0) >>> 8) & 0xff;
  const framed = blocks.map((block) => {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.byteLength);
    const checksum = Buffer.alloc(blockChecksums ? 4 : 0);
    if (blockChecksums) checksum.writeUInt32LE(xxh32(block, 0));
    return Buffer.concat([size, block, checksum]);
  });
  return Buffer.concat([LZ4_MAGIC, descriptor, Buffer.from([headerChecksum]), ...framed, Buffer.alloc(4)]);
}

/** One LZ4 block holding `content` (lz4-napi's output without its 4-byte size prefix). */
const block = (content: Uint8Array): Buffer => compressSync(Buffer.from(content)).subarray(4);

describe('LZ4 output is bounded by what the frame and the file inside declare', () => {
  it('decodes a 3 KB frame of 500 one-byte blocks without allocating 4 MiB for each block', () => {
    // The audit's bomb, with a valid header checksum: 500 blocks of one literal byte each.
    const { status, stdout, stderr } = runScript(`
      import { xxh32 } from '@node-rs/xxhash';
      import { load, loadSync } from '${DIST}';
      const descriptor = Buffer.from([0x60, 0x70]);
      const bomb = Buffer.concat([Buffer.from([4, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor, 0) >>> 8) & 0xff]),
        ...Array(500).fill(Buffer.from([2, 0, 0, 0, 0x10, 0])), Buffer.alloc(4)]);
      const before = process.resourceUsage().maxRSS;
      const outcome = (error) => error.name + ': ' + error.message;
      try { loadSync(bomb); } catch (error) { console.log(outcome(error)); }
      try { await load(bomb); } catch (error) { console.log(outcome(error)); }
      console.log('growth MB', (process.resourceUsage().maxRSS - before) >> 10);
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const [sync, async, growth] = stdout.trim().split('\n');
    expect(sync).toMatch(/^FormatError: .*does not hold a joblib-ts file/);
    expect(async).toBe(sync);
    // Before: 500 × 4 MiB, 2.1 GB. Now each block may decode to at most 256× its 2 bytes.
    expect(Number(growth!.split(' ').pop())).toBeLessThan(200);
  });

  const dumped = Buffer.concat(encodeFile({ rows: Array.from({ length: 200 }, (_, i) => ({ i, name: `row ${i}` })) }));

  it.each([
    ['sync', (bytes: Buffer) => lz4DecompressSync(bytes, declaredSize)],
    ['async', (bytes: Buffer) => lz4Decompress(bytes, declaredSize)],
  ] as const)('refuses a frame whose content size disagrees with the file inside, at its first block (%s)', async (_, decompress) => {
    const bytes = frame([block(dumped), block(Buffer.alloc(1000))], dumped.byteLength + 1000);
    await expect(async () => decompress(bytes)).rejects.toThrow(
      new RegExp(`declares ${dumped.byteLength + 1000} bytes of content, but the file inside declares ${dumped.byteLength}`),
    );
  });

  it.each([
    ['sync', (bytes: Buffer) => lz4DecompressSync(bytes, declaredSize)],
    ['async', (bytes: Buffer) => lz4Decompress(bytes, declaredSize)],
  ] as const)('refuses the first block that decodes past the declared content (%s)', async (_, decompress) => {
    // No content size in the frame: the file's own header bounds the output.
    const bytes = frame([block(dumped), block(Buffer.alloc(100_000)), block(Buffer.alloc(10))]);
    await expect(async () => decompress(bytes)).rejects.toThrow(/LZ4 block 2 of 3 is corrupt, or decodes to more than the 0 bytes/);
  });

  it('still loads a real file split into many tiny blocks, with or without a content size', async () => {
    const tiny = Array.from({ length: Math.ceil(dumped.byteLength / 7) }, (_, i) => block(dumped.subarray(i * 7, i * 7 + 7)));
    for (const bytes of [frame(tiny), frame(tiny, dumped.byteLength)]) {
      expect(Buffer.compare(Buffer.from(lz4DecompressSync(bytes, declaredSize).bytes), dumped)).toBe(0);
      expect(Buffer.compare(Buffer.from((await lz4Decompress(bytes, declaredSize)).bytes), dumped)).toBe(0);
    }
  });
});

describe('the LZ4 frame descriptor', () => {
  const framed = Buffer.concat(lz4CompressSync(encodeFile({ a: [1, 2, 3] })));

  it('is checked against its header checksum', () => {
    const damaged = Buffer.from(framed);
    damaged[14]! ^= 0x01; // the header checksum byte after FLG, BD and the content size
    expect(() => lz4DecompressSync(damaged)).toThrow(/LZ4 frame descriptor is corrupt: its header checksum/);
    const sizeFlipped = Buffer.from(framed);
    sizeFlipped[6]! ^= 0x01; // the content size
    expect(() => lz4DecompressSync(sizeFlipped)).toThrow(/header checksum/);
  });

  it('refuses a block size code LZ4 does not define, naming it', () => {
    const bytes = frame([block(Buffer.from('x'))]);
    bytes[5] = 0x10;
    bytes[6] = (xxh32(bytes.subarray(4, 6), 0) >>> 8) & 0xff;
    expect(() => lz4DecompressSync(bytes)).toThrow(/block maximum size code 1, which LZ4 does not define/);
  });
});

describe('the end of an LZ4 frame', () => {
  const dumped = Buffer.concat(encodeFile({ a: [1, 2, 3] }));

  it.each([false, true])('is the end of the file, whichever decoder reads it (block checksums: %s)', async (blockChecksums) => {
    const framed = frame([block(dumped)], dumped.byteLength, { blockChecksums });
    expect(Buffer.compare(Buffer.from(lz4DecompressSync(framed).bytes), dumped)).toBe(0);
    for (const extra of [Buffer.from('garbage'), Buffer.alloc(8), framed]) {
      const bytes = Buffer.concat([framed, extra]);
      expect(() => lz4DecompressSync(bytes)).toThrow(/The LZ4 frame has unexpected trailing bytes/);
      await expect(lz4Decompress(bytes)).rejects.toThrow(/The LZ4 frame has unexpected trailing bytes/);
    }
  });
});
