// `npm run bench -- persistence`: dump/load/hash of joblib-ts against Python joblib 1.2, side by
// side in one run, in both forms (a fresh process per sample; repeated in one process), with
// medians, ranges, page faults and peak RSS beyond the data. `BENCH_CASES=load/array/lz4,...`
// picks rows; BENCH_ARRAY_MB (200) and BENCH_OBJECTS (200,000) size the data. zstd rows (levels
// 1 and 3; joblib has no zstd) run where this Node has node:zlib's zstd, and are skipped with a note elsewhere.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { hasPython, PYTHON } from './anchors.mjs';
import {
  describeRun, FORMS, fmt, measureForms, printTable, progress, ratio, REPEATS, runCase, spread, statsOf,
} from './harness.mjs';

const here = import.meta.dirname;
const EXT = { 'none': 'bin', 'zlib': 'z', 'gzip': 'gz', 'lz4': 'lz4', 'zstd-1': 'zst', 'zstd': 'zst' };
const CASES = [
  ['load', 'array', 'none'], ['load', 'array', 'lz4'], ['load', 'array', 'zlib'], ['load', 'array', 'gzip'],
  ['load', 'array', 'zstd-1'], ['load', 'array', 'zstd'],
  ['load', 'objects', 'none'], ['load', 'objects', 'lz4'], ['load', 'objects', 'zlib'], ['load', 'objects', 'zstd'],
  ['dump', 'array', 'none'], ['dump', 'array', 'lz4'], ['dump', 'array', 'zlib'], ['dump', 'array', 'gzip'],
  ['dump', 'array', 'zstd-1'], ['dump', 'array', 'zstd'],
  ['dump', 'objects', 'none'], ['dump', 'objects', 'lz4'], ['dump', 'objects', 'zlib'], ['dump', 'objects', 'zstd'],
  ['hash', 'array', 'none'],
];
/**
 * Processes a side for the raw array rows: each takes ~0.1 s, and a first touch of memory the
 * VM's host has reclaimed adds up to ~0.5 s to either side at random, so 3 samples of the fresh
 * form gave medians from 0.5x to 5x across runs the same day.
 */
const RAW_REPEATS = 9;
/** Methods joblib 1.2 does not have: measured for us alone. */
const OURS_ONLY = new Set(['zstd-1', 'zstd']);
const hasZstd = typeof zlib.zstdCompress === 'function';
/** A method's name in the table: zstd's level shown (3 is zstd's default, and ours). */
const shown = (method) => (method === 'none' ? 'raw' : method === 'zstd' ? 'zstd-3' : method);

export function persistence() {
  const anchor = hasPython(['joblib', 'numpy', 'lz4']);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bench-'));
  const only = process.env.BENCH_CASES?.split(',');
  const script = path.join(here, 'persistence-case.mjs');
  const anchorScript = path.join(here, 'joblib_persistence.py');
  // Before each dump process, sync(1): the page cache's write-back of the previous process's
  // 200 MB otherwise stalls whichever side comes next (0.5–0.6 s, seen on both).
  const settled = (op, command, args) => {
    if (op === 'dump') execFileSync('sync');
    return runCase(command, args);
  };
  const ours = (op, dataset, method, file) => (repeat) =>
    settled(op, process.execPath, [script, op, dataset, method, file, '--repeat', String(repeat)]);
  const theirs = (op, dataset, method, file) => (repeat) =>
    settled(op, PYTHON, [anchorScript, op, dataset, method, file, '--repeat', String(repeat)]);
  const rows = [];
  /** The size of each file loaded, by dataset and method: ours and joblib's. */
  const sizes = [];
  let skipped = false;
  try {
    for (const [op, dataset, method] of CASES) {
      if (only && !only.includes(`${op}/${dataset}/${method}`)) continue;
      if (method.startsWith('zstd') && !hasZstd) {
        skipped = true;
        continue;
      }
      const withAnchor = anchor && !OURS_ONLY.has(method);
      const ourFile = path.join(work, `ours-${dataset}.${EXT[method]}`);
      const theirFile = path.join(work, `theirs-${dataset}.${EXT[method]}`);
      if (op === 'load') {
        // The file to load, written once by each library.
        ours('dump', dataset, method, ourFile)(1);
        if (withAnchor) theirs('dump', dataset, method, theirFile)(1);
        if (method !== 'none') {
          sizes.push([`${dataset}, ${shown(method)}`, fmt.mb(fs.statSync(ourFile).size),
            withAnchor ? fmt.mb(fs.statSync(theirFile).size) : '—']);
        }
      }
      const result = measureForms({
        ours: ours(op, dataset, method, ourFile),
        joblib: withAnchor ? theirs(op, dataset, method, theirFile) : undefined,
      }, dataset === 'array' && method === 'none' ? Math.max(REPEATS, RAW_REPEATS) : REPEATS);
      for (const form of FORMS) {
        const us = result[form].ours;
        const them = result[form].joblib;
        const time = [statsOf(us, 'seconds'), statsOf(them, 'seconds')];
        const faults = [statsOf(us, 'faults'), statsOf(them, 'faults')];
        const over = [statsOf(us, 'overData'), statsOf(them, 'overData')];
        const dataBytes = dataset === 'array' ? Number(process.env.BENCH_ARRAY_MB ?? 200) * 1024 * 1024 : 0;
        const overShown = (s) => (!s || form !== 'fresh' ? '—' : dataBytes ? fmt.pct(s.median / dataBytes) : fmt.mb(s.median));
        const name = op === 'hash' ? `hash ${dataset}` : `${op} ${dataset}, ${shown(method)}`;
        rows.push([
          name, form, spread(time[0]), spread(time[1]), ratio(time[1], time[0]),
          faults[0] ? fmt.count(faults[0].median) : '—', faults[1] ? fmt.count(faults[1].median) : '—',
          overShown(over[0]), overShown(over[1]),
        ]);
      }
      fs.rmSync(ourFile, { force: true });
      fs.rmSync(theirFile, { force: true });
      progress(`${op}/${dataset}/${method} done`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const arrayMb = Number(process.env.BENCH_ARRAY_MB ?? 200);
  const objects = Number(process.env.BENCH_OBJECTS ?? 200_000).toLocaleString('en-US');
  console.log(`\n### Persistence: ${arrayMb} MB Float64Array of rounded normals; ${objects} objects {id, name, score}\n`);
  console.log(`${describeRun(anchor ? 'anchor: joblib 1.2 via /usr/bin/python3' : 'anchor absent (apt-get install python3-joblib python3-numpy python3-lz4)')}; ` +
    `the raw array rows: ${Math.max(REPEATS, RAW_REPEATS)} processes a side.`);
  console.log('Times: median (lowest–highest). Speed-up = joblib\'s median / ours. Faults: minor page faults per operation. ' +
    'RSS over data: peak RSS beyond the value itself, fresh processes only.' +
    `${process.env.GLIBC_TUNABLES ? ` GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES} for both.` : ''}\n`);
  printTable(['case', 'form', 'joblib-ts', 'joblib 1.2', 'speed-up', 'faults', 'joblib faults', 'RSS over data', 'joblib RSS over data'], rows);
  if (sizes.length > 0) {
    console.log('\nFile sizes (joblib 1.2 has no zstd: compare zstd with our lz4 and zlib rows).\n');
    printTable(['file', 'joblib-ts', 'joblib 1.2'], sizes);
  }
  if (skipped) console.log(`\nzstd rows skipped: node ${process.version} has no zstd in node:zlib (Node 22.15 or later has).`);
}
