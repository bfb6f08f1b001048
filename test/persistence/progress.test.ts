// dump/load with `progress: true` as a user sees them: fixtures/progress-transfer.mjs in a real
// terminal (a tmux pane, 100 columns) for ~100 MB values, a small one, a failing load; and with
// stderr on a pipe.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump, dumpSync, InvalidOptionError, load, loadSync } from '../../src/index.js';
import { hasTmux, runInTerminal, type TerminalRun } from '../terminal.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
// In memory where there is a tmpfs: the disk's speed is not what is tested.
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'joblib-ts-progress-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The final line of a dump or load of `name`: 100.0 of 100.0 MB (the file's bytes), the rate, elapsed. */
const finalLine = (operation: string, name: string, size = '100.0'): RegExp =>
  new RegExp(`^${operation} ${name.replace('.', '\\.')} {2}${size}/${size} MB \\[=+\\] 100% {2}[\\d.]+ [kMG]?B/s {2}elapsed \\d+\\.\\ds$`);

/** Runs a scenario with stderr on a pipe. */
async function piped(scenario: string) {
  const folder = fs.mkdtempSync(path.join(dir, `pipe-${scenario}-`));
  return promisify(execFile)(process.execPath, ['progress-transfer.mjs', scenario, folder], { cwd: FIXTURES });
}

const runs = new Map<string, TerminalRun>();
const folders = new Map<string, string>();
const pipes = new Map<string, { stdout: string; stderr: string }>();
// All at once (a few hundred MB each): each waits on its own I/O and timers.
beforeAll(async () => {
  await Promise.all([
    ...(hasTmux ? ['big', 'lz4', 'truncated', 'small'] : []).map(async (scenario) => {
      const folder = fs.mkdtempSync(path.join(dir, `${scenario}-`));
      folders.set(scenario, folder);
      runs.set(scenario, await runInTerminal(['progress-transfer.mjs', scenario, folder], { cwd: FIXTURES, timeoutMs: 60_000 }));
    }),
    ...['big', 'small'].map(async (scenario) => pipes.set(scenario, await piped(scenario))),
  ]);
});

describe.skipIf(!hasTmux)('dump and load with progress in a terminal', () => {
  it('shows a byte bar for a 100 MB dump and load, sync and async, ending each with its final line', () => {
    const { screen, status } = runs.get('big')!;
    expect(status).toBe(0);
    expect(screen).toEqual([
      expect.stringMatching(finalLine('dump', 'big.bin')), expect.stringMatching(finalLine('load', 'big.bin')), 'loaded 12500000',
      expect.stringMatching(finalLine('dump', 'big-sync.bin')), expect.stringMatching(finalLine('load', 'big-sync.bin')),
      'loaded 12500000', 'EXIT=0',
    ]);
  });

  it('shows a compressed dump by the bytes written', () => {
    const { screen } = runs.get('lz4')!;
    const size = (fs.statSync(path.join(folders.get('lz4')!, 'big.lz4')).size / 1e6).toFixed(1);
    expect(screen).toEqual([
      expect.stringMatching(finalLine('dump', 'big.lz4', size)), expect.stringMatching(finalLine('load', 'big.lz4', size)),
      'loaded 12500000', 'EXIT=0',
    ]);
  });

  it('ends with the error of a load that fails', () => {
    expect(runs.get('truncated')!.screen).toEqual([
      expect.stringMatching(/^load cut\.bin {2}90\.0 MB .*failed: FormatError: The file is truncated/),
      'rejected: FormatError',
      'EXIT=0',
    ]);
  });

  it('shows nothing for a small value', () => {
    expect(runs.get('small')!.screen).toEqual(['loaded {"a":1}', 'EXIT=0']);
  });
});

describe('dump and load with progress elsewhere', () => {
  it('prints only the final line of a big dump or load when stderr is not a terminal, and nothing for a small one', () => {
    const big = pipes.get('big')!;
    expect(big.stdout).toBe('loaded 12500000\nloaded 12500000\n');
    expect(big.stderr.split('\n')).toEqual([
      expect.stringMatching(finalLine('dump', 'big.bin')), expect.stringMatching(finalLine('load', 'big.bin')),
      expect.stringMatching(finalLine('dump', 'big-sync.bin')), expect.stringMatching(finalLine('load', 'big-sync.bin')), '',
    ]);
    expect(pipes.get('small')).toEqual({ stdout: 'loaded {"a":1}\n', stderr: '' });
  });

  it('refuses unknown options and a progress that is not a boolean', async () => {
    const file = path.join(dir, 'options.bin');
    await expect(dump(1, file, { progres: true } as never)).rejects.toThrow(
      new InvalidOptionError('\'progres\' is not an option of dump; did you mean \'progress\'?'));
    expect(() => dumpSync(1, file, { progress: 'yes' } as never)).toThrow(/progress must be true or false, got 'yes'/);
    dumpSync(1, file);
    await expect(load(file, { progress: 1 } as never)).rejects.toThrow(/progress must be true or false, got 1\./);
    expect(() => loadSync(file, { compress: 3 } as never)).toThrow(/'compress' is not an option of loadSync; its options are 'progress'\./);
  });
});
