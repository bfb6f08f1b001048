// `npm run bench -- memory`: Memory.cache against joblib 1.2's Memory, side by side in one run,
// each process on a fresh cache folder, in both forms: the first calls of a fresh process, and
// the steady state of calls repeated in one process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasPython, PYTHON } from './anchors.mjs';
import { describeRun, FORMS, measureForms, printTable, progress, ratio, runCase, spread, statsOf } from './harness.mjs';

const here = import.meta.dirname;

function inFreshFolder(command, script, which, repeat) {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bench-memory-'));
  try {
    return runCase(command, [path.join(here, script), which, location, '--repeat', String(repeat)]);
  } finally {
    fs.rmSync(location, { recursive: true, force: true });
  }
}

export function memory() {
  const anchor = hasPython(['joblib', 'numpy']);
  const cases = [
    ['hit, small argument', 'small-hit'],
    ['hit, 10 MB Float64Array argument', 'big-hit'],
    ['miss + store, small argument', 'miss'],
  ];
  const rows = [];
  for (const [name, which] of cases) {
    const result = measureForms({
      ours: (repeat) => inFreshFolder(process.execPath, 'memory-case.mjs', which, repeat),
      joblib: anchor ? (repeat) => inFreshFolder(PYTHON, 'joblib_memory.py', which, repeat) : undefined,
    });
    for (const form of FORMS) {
      const us = statsOf(result[form].ours, 'seconds');
      const them = statsOf(result[form].joblib, 'seconds');
      rows.push([name, form, spread(us), spread(them), ratio(them, us)]);
    }
    progress(`memory/${which} done`);
  }
  console.log('\n### Memory.cache\n');
  console.log(`${describeRun(anchor ? 'anchor: joblib 1.2 via /usr/bin/python3' : 'anchor absent')}.`);
  console.log('Fresh: the first calls of a new process (small hit: 200 hits; big hit: 5; miss: 20). Repeated: later batches ' +
    '(5,000 small hits, 20 big hits, 100 misses), per call. Speed-up = joblib\'s median / ours.\n');
  printTable(['case', 'form', 'joblib-ts', 'joblib 1.2', 'speed-up'], rows);
}
