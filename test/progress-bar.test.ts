import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../src/errors.js';
import {
  checkProgressOption, formatDuration, type ProgressFrame, renderProgressLine,
} from '../src/progress-bar.js';

const frame = (overrides: Partial<ProgressFrame> = {}): ProgressFrame => ({
  label: 'Parallel(nJobs=2)', unit: 'tasks', done: 45, total: 100, elapsedMs: 1500, ...overrides,
});

describe('renderProgressLine', () => {
  it('shows done/total, a bar, the percentage, tasks/s, elapsed and ETA', () => {
    expect(renderProgressLine(frame(), 100)).toBe(
      'Parallel(nJobs=2)  45/100 [=============>              ] 45%  30.0 tasks/s  elapsed 1.5s  ETA 1.8s');
  });

  it('shows a count without a total, bar or ETA while the total is unknown', () => {
    expect(renderProgressLine(frame({ total: undefined, done: 37 }), 100))
      .toBe('Parallel(nJobs=2)  37/?  24.7 tasks/s  elapsed 1.5s');
  });

  it('counts bytes in decimal units with MB/s, and a step that cannot count without rate or bar', () => {
    const bytes = frame({ label: 'dump big.bin', unit: 'bytes', done: 312_400_000, total: 800_000_000, phase: 'writing' });
    expect(renderProgressLine(bytes, 120)).toBe('dump big.bin  writing  312.4/800.0 MB [============>                 ] 39%  ' +
      '208.3 MB/s  elapsed 1.5s  ETA 2.3s');
    expect(renderProgressLine({ ...bytes, phase: 'decompressing', total: undefined }, 120))
      .toBe('dump big.bin  decompressing  312.4 MB  elapsed 1.5s');
  });

  it('ends with the totals, the failures counted, and the error that ended the work', () => {
    expect(renderProgressLine(frame({ done: 100, ending: { kind: 'done' } }), 100))
      .toBe('Parallel(nJobs=2)  100/100 [==============================] 100%  66.7 tasks/s  elapsed 1.5s');
    expect(renderProgressLine(frame({ failures: 2 }), 120)).toMatch(/ETA 1\.8s {2}2 failed$/);
    const failed = renderProgressLine(frame({ ending: { kind: 'failed', error: new TypeError('boom\nat line 2') } }), 120);
    expect(failed).toMatch(/45\/100 .* elapsed 1\.5s {2}failed: TypeError: boom$/);
    expect(failed).not.toMatch(/ETA/);
    expect(renderProgressLine(frame({ ending: { kind: 'cancelled' } }), 120)).toMatch(/ {2}cancelled$/);
  });

  it('never reaches the last column: the bar shrinks, then goes, then the least useful pieces, then the message is cut', () => {
    const long = frame({ failures: 3, ending: { kind: 'failed', error: new Error('x'.repeat(300)) } });
    for (let columns = 1; columns <= 200; columns += 1) {
      for (const each of [frame(), frame({ total: undefined }), long]) {
        expect(renderProgressLine(each, columns).length).toBeLessThanOrEqual(Math.max(columns - 1, 20));
      }
    }
    expect(renderProgressLine(frame(), 85)).toBe('Parallel(nJobs=2)  45/100 [======>      ] 45%  30.0 tasks/s  elapsed 1.5s  ETA 1.8s');
    expect(renderProgressLine(frame(), 75)).toBe('Parallel(nJobs=2)  45/100  45%  30.0 tasks/s  elapsed 1.5s  ETA 1.8s');
    expect(renderProgressLine(frame(), 60)).toBe('Parallel(nJobs=2)  45/100  45%  elapsed 1.5s  ETA 1.8s');
    expect(renderProgressLine(frame(), 45)).toBe('Parallel(nJobs=2)  45/100  45%  ETA 1.8s');
    expect(renderProgressLine(long, 80)).toBe(`Parallel(nJobs=2)  45/100  failed: Error: ${'x'.repeat(36)}…`);
  });

  it('shows slow work in seconds per task', () => {
    expect(renderProgressLine(frame({ done: 2, elapsedMs: 5000 }), 120)).toMatch(/ {2}2\.5 s\/task {2}/);
  });
});

describe('formatDuration and checkProgressOption', () => {
  it('formats seconds, minutes and hours', () => {
    expect([0.04, 59.94, 65, 3725].map(formatDuration)).toEqual(['0.0s', '59.9s', '1:05', '1:02:05']);
  });

  it('accepts true, false and undefined, and refuses anything else', () => {
    for (const value of [true, false, undefined]) expect(() => checkProgressOption(value, 'progress')).not.toThrow();
    expect(() => checkProgressOption('yes', 'progress')).toThrow(new InvalidOptionError('progress must be true or false, got \'yes\'.'));
    expect(() => checkProgressOption(1, 'progress')).toThrow(/got 1\./);
  });
});

describe('ProgressBar in a pseudo-terminal', () => {
  it('redraws at most 10 times a second, from updates while the event loop is blocked and from its timer after', () => {
    const script = path.join(import.meta.dirname, 'fixtures', 'progress-redraws.mjs');
    // script(1) gives the node process a pseudo-terminal and copies what it writes there.
    // (The terminal shows each \n as \r\n; `<EL>` stands for the escape that clears the rest of the line.)
    const out = execFileSync('script', ['-qfec', `${process.execPath} ${script}`, '/dev/null'], { encoding: 'utf8' })
      .replaceAll('\x1b[K', '<EL>');
    const ran = Number(/ran (\d+) ms/.exec(out)![1]);
    const drawings = out.split('\r').filter((piece) => piece.startsWith('bar  ')).length;
    // Each drawing, and the final line, starts with a carriage return; only the final line ends with a newline.
    expect(out).toMatch(/\rbar {2}1000000\/1000000 \[=+\] 100% {2}\d+ tasks\/s {2}elapsed 1\.\ds<EL>\r?\nran /);
    expect(out.match(/\n/g)).toHaveLength(2);
    expect(drawings).toBeLessThanOrEqual(Math.floor(ran / 90) + 1);
    // Drawn while the loop blocked (no timer could fire then), and by the timer after it.
    expect(out).toMatch(/\rbar {2}[1-9]\d*\/1000000 .*ETA/);
    expect(out).toMatch(/\rbar {2}1000000\/1000000 \[=+\] 100% {2}\d+ tasks\/s {2}elapsed 0\.[6-9]s<EL>\rbar {2}1000000/);
  });
});
