// LZ4 frames from hostile or damaged files: a load settles once, never leaves a native
// decode rejecting in the background, and never allocates more than the frame can hold.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built library (tests that spawn node run it from dist, as users do). */
const DIST = pathToFileURL(path.join(import.meta.dirname, '..', '..', 'dist', 'index.js')).href;

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
