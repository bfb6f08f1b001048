// `npm run bench -- memory`: Memory.cache against joblib 1.2's Memory, side by side in one run,
// each case in a fresh process on a fresh cache folder, median of BENCH_REPEATS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasPython, PYTHON } from './anchors.mjs';

const here = import.meta.dirname;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

function run(command, script, which) {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bench-memory-'));
  try {
    const out = execFileSync(command, [path.join(here, script), which, location], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()).seconds;
  } finally {
    fs.rmSync(location, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const show = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`);

export function memory() {
  const anchor = hasPython(['joblib', 'numpy']);
  const cases = [
    ['hit, small argument', 'small-hit'],
    ['hit, 10 MB Float64Array argument', 'big-hit'],
    ['miss + store, small argument', 'miss'],
  ];
  console.log(`\nMemory.cache (median of ${REPEATS} fresh processes; speed-up = joblib's time / ours)`);
  console.log('| case | joblib-ts | joblib 1.2 | speed-up |');
  console.log('|---|---|---|---|');
  for (const [name, which] of cases) {
    const ours = [];
    const theirs = [];
    for (let i = 0; i < REPEATS; i++) {
      ours.push(run(process.execPath, 'memory-case.mjs', which));
      if (anchor) theirs.push(run(PYTHON, 'joblib_memory.py', which));
    }
    const us = median(ours);
    const them = anchor ? median(theirs) : undefined;
    console.log(`| ${name} | ${show(us)} | ${them === undefined ? 'n/a' : show(them)} | ${them === undefined ? 'n/a' : `${(them / us).toFixed(2)}×`} |`);
  }
}
