// `npm run bench -- parallel`: Parallel on the process and thread pools against joblib 1.2
// (loky, with memmapping for the large array) and piscina (threads), side by side in one run,
// each case in a fresh process, median of BENCH_REPEATS. Also measures the raw pipe round trip
// of this machine: the floor of any process pool's warm-call latency.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { hasPython, PYTHON } from './anchors.mjs';

const here = import.meta.dirname;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const run = (command, args) => JSON.parse(execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n').pop());
const ours = (which) => run(process.execPath, [path.join(here, 'parallel-case.mjs'), which]);
const theirs = (which) => run(PYTHON, [path.join(here, 'joblib_parallel.py'), which]);
const medianOf = (runs, key) => [...runs].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];

/** Round trip of 20 bytes over a pipe to a child process and back (median of 500). */
function pipeFloor() {
  const child = `const { Socket } = require('node:net');
    const i = new Socket({ fd: 3, readable: true, writable: false }), o = new Socket({ fd: 4, readable: false, writable: true });
    i.on('data', (d) => o.write(d)); i.on('end', () => process.exit(0));`;
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] });
    const times = [];
    let t0 = 0;
    c.stdio[4].on('data', () => {
      times.push(performance.now() - t0);
      if (times.length < 500) {
        t0 = performance.now();
        c.stdio[3].write(Buffer.alloc(20));
      } else {
        c.stdio[3].end();
        times.sort((a, b) => a - b);
        resolve(times[250] / 1000);
      }
    });
    setTimeout(() => {
      t0 = performance.now();
      c.stdio[3].write(Buffer.alloc(20));
    }, 300);
  });
}

const fmt = {
  s: (x) => (x < 0.01 ? `${(x * 1000).toFixed(2)} ms` : `${x.toFixed(3)} s`),
  rate: (x) => `${Math.round(x).toLocaleString('en-US')}/s`,
  x: (x) => `${x.toFixed(2)}×`,
};

export async function parallel() {
  const anchor = hasPython(['joblib']);
  const cases = [
    { name: 'cold first call (2 tasks, fresh process)', which: 'cold', key: 'seconds', show: fmt.s, better: 'lower' },
    { name: 'warm call (2 tiny tasks)', which: 'warm', key: 'seconds', show: fmt.s, better: 'lower' },
    { name: '100k tiny tasks, batchSize auto', which: 'tiny', key: 'rate', show: fmt.rate, better: 'higher' },
    { name: '1M tiny tasks, batchSize auto', which: 'tiny1m', key: 'rate', show: fmt.rate, better: 'higher' },
    { name: '10k tiny tasks, batchSize 1', which: 'batch1', key: 'rate', show: fmt.rate, better: 'higher', piscina: true },
    { name: '10k tiny tasks, batchSize 1, preDispatch all', which: 'batch1-all', key: 'rate', show: fmt.rate, better: 'higher',
      piscina: true, joblibCase: 'batch1-all' },
    { name: 'CPU speed-up, 16 × 0.25 s tasks on 2 workers', which: 'cpu', key: 'speedup', show: fmt.x, better: 'higher' },
    { name: 'threads: 10k tiny tasks, batchSize 1', which: 'threads-batch1', key: 'rate', show: fmt.rate, better: 'higher',
      piscina: true, joblibCase: 'batch1' },
    { name: 'threads: 10k tiny tasks, batchSize 1, preDispatch all', which: 'threads-batch1-all', key: 'rate', show: fmt.rate,
      better: 'higher', piscina: true, joblibCase: 'batch1-all' },
    { name: 'processes: 100 tasks × one 80 MB Float64Array (slice means)', which: 'large-process', key: 'seconds', show: fmt.s,
      better: 'lower', piscina: 'piscina-large', joblibCase: 'large' },
    { name: 'threads: 100 tasks × one 80 MB Float64Array (slice means)', which: 'large-threads', key: 'seconds', show: fmt.s,
      better: 'lower', piscina: 'piscina-large', joblibCase: 'large' },
    { name: 'threads: the same array already in a SharedArrayBuffer', which: 'large-threads-shared', key: 'seconds',
      show: fmt.s, better: 'lower', piscina: 'piscina-large-shared', joblibCase: 'large' },
  ];
  const rows = [];
  for (const c of cases) {
    const runs = { ours: [], joblib: [], piscina: [] };
    for (let i = 0; i < REPEATS; i++) {
      runs.ours.push(ours(c.which));
      if (anchor) runs.joblib.push(theirs(c.joblibCase ?? c.which));
      if (c.piscina) runs.piscina.push(ours(c.piscina === true ? 'piscina-batch1' : c.piscina));
    }
    const us = medianOf(runs.ours, c.key);
    const them = anchor ? medianOf(runs.joblib, c.key) : undefined;
    const pis = c.piscina ? medianOf(runs.piscina, c.key) : undefined;
    const vs = (other) => (other === undefined ? 'n/a' : fmt.x(c.better === 'lower' ? other / us : us / other));
    rows.push(`| ${c.name} | ${c.show(us)} | ${them === undefined ? 'n/a' : c.show(them)} | ${vs(them)} | ` +
      `${pis === undefined ? '' : c.show(pis)} | ${pis === undefined ? '' : vs(pis)} |`);
  }
  const floor = await pipeFloor();
  console.log(`\nParallel (median of ${REPEATS} fresh processes; ratios: above 1 means joblib-ts is better)`);
  console.log('| case | joblib-ts | joblib 1.2 | vs joblib | piscina 5 (threads) | vs piscina |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\nRaw pipe round trip to a child process on this machine (the floor of a warm call): ${fmt.s(floor)}`);
  if (!anchor) console.log('(joblib not found at /usr/bin/python3: apt-get install -y python3-joblib)');
}
