// What every benchmark suite shares: running one measurement in a fresh process, the two forms
// of a row (a fresh process per sample, and repeated in one process), interleaving ours with the
// anchors, medians with their spread, and the Markdown table. This VM has 2 cores that other
// work shares, so one timing lies: every figure is a median, printed with its range.
//
// A case script prints one JSON line: `{ runs: [sample, ...], ...extra }`, each sample an object
// of numbers (`seconds` at least). Given `--repeat K` it measures K times in one process; the
// "fresh" form uses its first sample from each of BENCH_REPEATS processes, the "repeated" form
// every sample after the first from each process (the first pays for the JIT and the module load).
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** Samples per process for the repeated form. */
export const INNER = Number(process.env.BENCH_INNER ?? 5);
/** `BENCH_FORMS=fresh` or `repeated` to run one form only. */
export const FORMS = (process.env.BENCH_FORMS ?? 'fresh,repeated').split(',');

/** Runs `command args` (a case script), returns its last stdout line parsed as JSON. */
export function runCase(command, args, { env } = {}) {
  const out = execFileSync(command, args, {
    encoding: 'utf8', maxBuffer: 16 << 20, env: env ? { ...process.env, ...env } : process.env,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/** Median, lowest and highest of some numbers. */
export function stats(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/**
 * Measures one row in both forms, each side's processes alternating, `repeats` processes a side
 * and form. `sides` maps a name to a function `(repeat) => parsed JSON` (one process); returns
 * `{ fresh: {side: samples}, repeated: ... }`.
 */
export function measureForms(sides, repeats = REPEATS) {
  const result = {};
  for (const form of FORMS) {
    const samples = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
    for (let i = 0; i < repeats; i++) {
      for (const [name, run] of Object.entries(sides)) {
        if (!run) continue;
        const { runs } = run(form === 'fresh' ? 1 : INNER);
        samples[name].push(...(form === 'fresh' ? runs.slice(0, 1) : runs.slice(1)));
      }
    }
    result[form] = samples;
  }
  return result;
}

/** The statistics of one key over samples. */
export const statsOf = (samples, key) => stats((samples ?? []).map((s) => s[key]));

/** A time in the unit that suits `scale` (the row's median), without or with the unit. */
function seconds(x, scale = x, unit = true) {
  const [factor, name, digits] = scale < 1e-3 ? [1e6, 'µs', 1] : scale < 1 ? [1e3, 'ms', scale < 0.01 ? 2 : 1] : [1, 's', 2];
  return `${(x * factor).toFixed(digits)}${unit ? ` ${name}` : ''}`;
}

export const fmt = {
  seconds: (x) => seconds(x),
  mb: (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  count: (x) => Math.round(x).toLocaleString('en-US'),
  pct: (x) => `${(100 * x).toFixed(0)}%`,
};

/** "median (min–max)" of a statistics object; times share the median's unit. */
export function spread(s, show) {
  if (!s) return '—';
  if (!show) {
    if (s.n === 1) return seconds(s.median);
    return `${seconds(s.median)} (${seconds(s.min, s.median, false)}–${seconds(s.max, s.median, false)})`;
  }
  if (s.n === 1) return show(s.median);
  return `${show(s.median)} (${show(s.min)}–${show(s.max)})`;
}

/** theirs / ours for times (above 1: joblib-ts is faster), as "1.23×". */
export function ratio(theirs, ours) {
  if (!theirs || !ours) return '—';
  return `${(theirs.median / ours.median).toFixed(2)}×`;
}

/** Prints a Markdown table. */
export function printTable(headers, rows) {
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** One line saying where and how the figures were taken. */
export function describeRun(extra = '') {
  return `node ${process.version}, ${os.cpus().length} CPUs, BENCH_REPEATS=${REPEATS} processes per side and form, ` +
    `BENCH_INNER=${INNER} samples per process in the repeated form (the first dropped)${extra ? `; ${extra}` : ''}`;
}

/** Prints a progress note on stderr (the tables go to stdout). */
export const progress = (text) => process.stderr.write(`  ${text}\n`);
