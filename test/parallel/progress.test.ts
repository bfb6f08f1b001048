// `progress: true` as a user sees it: each scenario of fixtures/progress-call.mjs runs in a real
// terminal (a tmux pane, 100 columns), all at once, and one with stderr on a pipe; the tests read
// the screens they drew.

import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, Parallel, parallelConfig } from '../../src/index.js';
import { hasTmux, runInTerminal, type TerminalRun } from '../terminal.js';
import { FIXTURES, type NodeRun, runScript } from './run-node.js';

const SCENARIOS = ['array', 'lazy', 'fail', 'timeout', 'abort', 'cancelled', 'verbose'] as const;
const runs = new Map<string, TerminalRun>();
let piped: NodeRun;
const BAR = /^Parallel\(nJobs=2\) {2}/;

/** The screen's rows that are bar lines. */
const bars = (rows: readonly string[]): string[] => rows.filter((row) => BAR.test(row));

beforeAll(async () => {
  await Promise.all([
    ...(hasTmux ? SCENARIOS : []).map(async (scenario) => {
      runs.set(scenario, await runInTerminal(['progress-call.mjs', scenario], { cwd: FIXTURES }));
    }),
    (async () => {
      piped = await runScript(['progress-call.mjs', 'array']);
    })(),
  ]);
});

describe.skipIf(!hasTmux)('Parallel({ progress: true }) in a terminal', () => {
  it('redraws one line in place and ends with done/total, the rate and elapsed, then a newline', () => {
    const { screen, frames, status } = runs.get('array')!;
    expect(status).toBe(0);
    expect(screen).toEqual([
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}100\/100 \[=+\] 100% {2}[\d.]+ tasks\/s {2}elapsed \d+\.\ds$/),
      'results: 100',
      'EXIT=0',
    ]);
    // While it ran: never two bar lines stacked, never a line as wide as the terminal.
    for (const frame of frames) {
      const rows = frame.split('\n');
      expect(bars(rows).length).toBeLessThanOrEqual(1);
      for (const row of rows) expect(row.length).toBeLessThan(100);
    }
  });

  it('counts a lazy input without a total while it is read, then shows the total', () => {
    const { screen, frames } = runs.get('lazy')!;
    const reading = frames.flatMap((frame) => bars(frame.split('\n'))).filter((row) => /\d+\/\? {2}/.test(row));
    expect(reading.some((row) => !/ 0\/\?/.test(row))).toBe(true);
    expect(reading.every((row) => !/ETA|\[/.test(row))).toBe(true);
    expect(screen[0]).toMatch(/^Parallel\(nJobs=2\) {2}30\/30 \[=+\] 100%/);
    expect(screen.slice(1)).toEqual(['results: 30', 'EXIT=0']);
  });

  it('ends with the failure that ended the call on the final line', () => {
    const { screen } = runs.get('fail')!;
    expect(screen).toEqual([
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}\d+\/100 .*failed: FinickyError: finicky: task 50$/),
      'rejected: FinickyError',
      'EXIT=0',
    ]);
  });

  it('counts the tasks that failed while the call went on', () => {
    const { screen } = runs.get('timeout')!;
    expect(screen).toEqual([
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}20\/20 \[=+\] 100% .* {2}1 failed$/),
      'results: 20',
      'EXIT=0',
    ]);
  });

  it('ends its line on abort and on a generator left early, and no timer keeps the process alive', () => {
    expect(runs.get('abort')!.screen).toEqual([
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}\d+\/100 .*aborted: TimeoutError: The operation was aborted due to timeout$/),
      'rejected: TimeoutError',
      'EXIT=0',
    ]);
    expect(runs.get('cancelled')!.screen).toEqual([
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}\d+\/100 .* {2}cancelled$/),
      'results: 5',
      'EXIT=0',
    ]);
  });

  it('replaces verbose\'s Done lines and prints its other lines above the bar', () => {
    const { screen } = runs.get('verbose')!;
    expect(screen).toEqual([
      '[Parallel(nJobs=2)]: Using backend ThreadingBackend with 2 concurrent workers.',
      expect.stringMatching(/^Parallel\(nJobs=2\) {2}40\/40 \[=+\] 100%/),
      'results: 40',
      'EXIT=0',
    ]);
  });
});

describe('Parallel({ progress: true }) elsewhere', () => {
  it('prints joblib\'s verbose 10 lines when stderr is not a terminal', () => {
    const run = piped;
    expect(run.stdout).toBe('results: 100\n');
    expect(run.stderr).toMatch(/^\[Parallel\(nJobs=2\)\]: Using backend ThreadingBackend with 2 concurrent workers\.\n/);
    expect(run.stderr).toMatch(/\[Parallel\(nJobs=2\)\]: Done 100 out of 100 \| elapsed: +\d+\.\ds finished\n$/);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\x1b');
  });

  it('refuses a progress option that is not a boolean, in Parallel and parallelConfig', () => {
    expect(() => Parallel({ progress: 'yes' as never })).toThrow(new InvalidOptionError('progress must be true or false, got \'yes\'.'));
    expect(() => parallelConfig({ progress: 1 as never }, () => 1)).toThrow(/progress must be true or false, got 1\./);
  });
});
