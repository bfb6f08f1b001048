import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DumpError, dump, dumpSync, load, loadSync } from '../../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const child = path.join(import.meta.dirname, '..', 'fixtures', 'dump-forever.ts');

describe('a writer that dies or fails mid-write', () => {
  it('keeps the previous file and removes its temporary file when a write fails partway (EFBIG)', () => {
    const target = path.join(dir, 'efbig.bin');
    dumpSync({ round: 0, data: new Float64Array(10).fill(0) }, target);
    // `ulimit -f 1024` caps files at 1 MiB, so writing the 16 MB dump fails after 1 MiB.
    const result = spawnSync(
      'sh',
      ['-c', `ulimit -f 1024; exec "${process.execPath}" --import tsx "${child}" "${target}" 2000000`],
      { encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe(''); // not one dump completed
    expect(result.stderr).toMatch(/DumpError: Could not write .*EFBIG.*Nothing was left under that name/);
    expect(loadSync(target)).toEqual({ round: 0, data: new Float64Array(10).fill(0) });
    expect(fs.readdirSync(dir).filter((name) => name.includes('efbig.bin.'))).toEqual([]);
  });

  it('leaves the previous file intact when SIGKILLed while its temporary file is being written', async () => {
    const target = path.join(dir, 'sigkill.bin');
    const temporaries = () => fs.readdirSync(dir).filter((name) => name.startsWith('.sigkill.bin.'));
    let killedMidWrite = 0;
    for (let attempt = 0; attempt < 5 && killedMidWrite < 2; attempt++) {
      dumpSync({ round: 0, data: new Float64Array(10) }, target);
      for (const name of temporaries()) fs.rmSync(path.join(dir, name));
      const writer = spawn(process.execPath, ['--import', 'tsx', child, target, '25000000'], {
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      // Poll until the 200 MB temporary file exists, then kill the writer at once.
      while (temporaries().length === 0 && writer.exitCode === null)
        await new Promise((r) => setImmediate(r));
      writer.kill('SIGKILL');
      await exited;
      const back = await load<{ round: number }>(target);
      if (temporaries().length > 0) {
        killedMidWrite++; // the rename never happened: the kill landed during the write
        expect(back.round).toBe(0);
      } else {
        expect(back.round).toBe(1); // too late to catch: the complete new file is there
      }
    }
    expect(killedMidWrite).toBeGreaterThan(0);
  });

  it('never leaves a torn file under the target name when SIGKILLed at random moments', async () => {
    const target = path.join(dir, 'random-kill.lz4');
    for (let attempt = 0; attempt < 4; attempt++) {
      const writer = spawn(process.execPath, ['--import', 'tsx', child, target, '300000', 'lz4'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let rounds = 0;
      writer.stdout.on('data', (chunk: Buffer) => {
        rounds += chunk.toString().split('\n').length - 1;
      });
      while (rounds < 2 + attempt) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      writer.kill('SIGKILL');
      await new Promise((r) => writer.once('exit', r));
      const back = await load<{ round: number; data: Float64Array }>(target);
      expect(back.round).toBeGreaterThanOrEqual(1);
      expect(back.data.every((x) => x === back.round)).toBe(true);
    }
  });
});

describe('a full disk', () => {
  const canMount = process.platform === 'linux' && process.getuid?.() === 0;
  const mountPoint = path.join(dir, 'tiny');

  it.skipIf(!canMount)(
    'raises DumpError (ENOSPC), keeps the previous file, leaves no temporary file',
    async () => {
      fs.mkdirSync(mountPoint);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
      try {
        const target = path.join(mountPoint, 'model.bin');
        await dump({ version: 1 }, target);
        const tooBig = { version: 2, data: new Float64Array(512 * 1024) }; // 4 MiB on a 1 MiB disk
        await expect(dump(tooBig, target)).rejects.toThrow(DumpError);
        await expect(dump(tooBig, target)).rejects.toThrow(
          /ENOSPC.*Nothing was left under that name.*Free some disk space/,
        );
        expect(() => dumpSync(tooBig, target, { compress: false })).toThrow(DumpError);
        expect(await load(target)).toEqual({ version: 1 });
        expect(fs.readdirSync(mountPoint)).toEqual(['model.bin']);
      } finally {
        execFileSync('umount', [mountPoint]);
      }
    },
  );
});
