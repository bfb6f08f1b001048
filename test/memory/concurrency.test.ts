// Many processes on one cache location, and a writer killed mid-write: no torn reads, no
// errors, every result right, and no entry served that was not written whole.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const HAMMER = path.join(import.meta.dirname, 'fixtures', 'hammer.mjs');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-race-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function hammer(args: string[], onLine?: (line: string, kill: () => void) => void) {
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [HAMMER, dir, ...args], { cwd: path.dirname(HAMMER) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of chunk.toString().split('\n')) onLine?.(line, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('Memory under concurrency', () => {
  it('serves every process a correct result while 4 processes hammer the same keys', async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(() => hammer(['150'])));
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('RESULT {"bad":0}');
    }
    const entries = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('metadata.json'));
    expect(entries).toHaveLength(5);
  }, 120_000);

  it('leaves no servable partial entry when a writer is SIGKILLed mid-write', async () => {
    const tempFiles = () => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp'));
    let sawTemp = false;
    const killed = await hammer(['1', 'big'], (line, kill) => {
      if (line !== 'WRITING') return;
      // Kill once the output's temporary file exists: the 200 MB write is under way.
      const poll = setInterval(() => {
        if (tempFiles().length > 0) {
          sawTemp = true;
          clearInterval(poll);
          kill();
        }
      }, 2);
      setTimeout(() => clearInterval(poll), 10_000);
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(sawTemp).toBe(true);
    const files = fs.readdirSync(dir, { recursive: true }) as string[];
    expect(files.filter((f) => /output\.bin$/.test(f))).toEqual([]); // only the temporary file, never the entry
    expect(files.filter((f) => f.endsWith('metadata.json'))).toEqual([]);
    // The next process recomputes and gets the right value.
    const again = await hammer(['2', 'big']);
    expect(again.stdout).toContain('RESULT {"bad":0}');
    expect((again.stdout.match(/WRITING/g) ?? []).length).toBe(1); // computed once, then a hit
  }, 120_000);
});
