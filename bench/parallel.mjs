// `npm run bench -- parallel`: Parallel on the process and thread pools against joblib 1.2
// (loky, with memmapping for the large array) and piscina (threads), interleaved in one run.
// Every case runs in BENCH_REPEATS fresh processes per library, BENCH_ROUNDS times in each: the
// first round of each process gives the "fresh process" figure, the later rounds the "repeated in
// one process" one; each shown as the median [min–max]. Also measures the raw pipe round trip of
// this machine to one and to two child processes: the floor of a process pool's warm call.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { hasPython, PYTHON } from './anchors.mjs';

const here = import.meta.dirname;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

const run = (command, args) =>
  JSON.parse(execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop()).rounds;
const ours = (which, rounds) => run(process.execPath, [path.join(here, 'parallel-case.mjs'), which, String(rounds)]);
const theirs = (which, rounds) => run(PYTHON, [path.join(here, 'joblib_parallel.py'), which, String(rounds)]);
const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];

/**
 * Median round trip of 20 bytes over pipes to `children` child processes at once (one write to
 * each, until every echo is back), over 500 rounds.
 */
function pipeFloor(children) {
  const echo = `const { Socket } = require('node:net');
    const i = new Socket({ fd: 3, readable: true, writable: false }), o = new Socket({ fd: 4, readable: false, writable: true });
    i.on('data', (d) => o.write(d)); i.on('end', () => process.exit(0));`;
  const pipes = Array.from({ length: children }, () =>
    spawn(process.execPath, ['-e', echo], { stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'] }).stdio);
  return new Promise((resolve) => {
    const times = [];
    let t0 = 0;
    let waiting = 0;
    const send = () => {
      t0 = performance.now();
      waiting = children;
      for (const stdio of pipes) stdio[3].write(Buffer.alloc(20));
    };
    for (const stdio of pipes) {
      stdio[4].on('data', () => {
        if (--waiting > 0) return;
        times.push(performance.now() - t0);
        if (times.length < 500) {
          setImmediate(send);
          return;
        }
        for (const other of pipes) other[3].end();
        resolve(median(times) / 1000);
      });
    }
    setTimeout(send, 300);
  });
}

const fmt = {
  s: (x) => (x < 0.01 ? `${(x * 1000).toFixed(2)} ms` : `${x.toFixed(3)} s`),
  rate: (x) => `${Math.round(x).toLocaleString('en-US')}/s`,
  x: (x) => `${x.toFixed(2)}×`,
};

/**
 * The cases: `which` names the Node case (parallel-case.mjs), `joblib` and `piscina` the anchors'
 * (none: no such column); `key` is the figure compared, `better` its direction. `rounds` caps the
 * rounds of a long case, `piscinaRounds` piscina's (25 s a round for the 80 MB array).
 */
const CASES = [
  { name: 'cold first call (2 tasks; repeated: workers restarted)', which: 'cold', joblib: 'cold', key: 'seconds', show: fmt.s, better: 'lower' },
  { name: 'warm call (2 tiny tasks, one runner; median of 200 calls a round)', which: 'warm', joblib: 'warm', key: 'seconds',
    show: fmt.s, better: 'lower' },
  { name: 'warm call after 2,000 calls (V8 has compiled the hot paths)', which: 'warm-steady', joblib: 'warm-steady',
    key: 'seconds', show: fmt.s, better: 'lower' },
  { name: 'warm call (2 tiny tasks, a new Parallel each call)', which: 'warm-new', joblib: 'warm-new', key: 'seconds', show: fmt.s,
    better: 'lower' },
  { name: '100k tiny tasks, batchSize auto', which: 'tiny', joblib: 'tiny', key: 'rate', show: fmt.rate, better: 'higher' },
  { name: '1M tiny tasks, batchSize auto', which: 'tiny1m', joblib: 'tiny1m', key: 'rate', show: fmt.rate, better: 'higher', rounds: 3 },
  { name: '10k tiny tasks, batchSize 1', which: 'batch1', joblib: 'batch1', piscina: 'piscina-batch1', key: 'rate', show: fmt.rate,
    better: 'higher' },
  { name: '10k tiny tasks, batchSize 1, preDispatch all', which: 'batch1-all', joblib: 'batch1-all', piscina: 'piscina-batch1',
    key: 'rate', show: fmt.rate, better: 'higher' },
  { name: 'CPU speed-up, 16 × 0.25 s tasks on 2 workers', which: 'cpu', joblib: 'cpu', key: 'speedup', show: fmt.x, better: 'higher',
    rounds: 2 },
  { name: 'threads: 10k tiny tasks, batchSize 1', which: 'threads-batch1', joblib: 'batch1', piscina: 'piscina-batch1', key: 'rate',
    show: fmt.rate, better: 'higher' },
  { name: 'threads: 10k tiny tasks, batchSize 1, preDispatch all', which: 'threads-batch1-all', joblib: 'batch1-all',
    piscina: 'piscina-batch1', key: 'rate', show: fmt.rate, better: 'higher' },
  { name: 'processes: 100 tasks × one 80 MB Float64Array (slice means)', which: 'large-process', joblib: 'large',
    piscina: 'piscina-large', piscinaRounds: 1, key: 'seconds', show: fmt.s, better: 'lower' },
  { name: 'processes: the same, one element of the array changed before each call', which: 'large-process-changed',
    joblib: 'large-changed', key: 'seconds', show: fmt.s, better: 'lower' },
  { name: 'threads: 100 tasks × one 80 MB Float64Array (slice means)', which: 'large-threads', joblib: 'large',
    piscina: 'piscina-large', piscinaRounds: 1, key: 'seconds', show: fmt.s, better: 'lower' },
  { name: 'threads: the same array already in a SharedArrayBuffer', which: 'large-threads-shared', joblib: 'large',
    piscina: 'piscina-large-shared', key: 'seconds', show: fmt.s, better: 'lower' },
];

/** `median [min–max]` of `values` shown with `show`. */
const cell = (values, show) => (values.length === 0 ? 'n/a'
  : `${show(median(values))} [${show(sorted(values)[0])}–${show(sorted(values).at(-1))}]`);

export async function parallel() {
  const anchor = hasPython(['joblib', 'numpy']);
  const wanted = process.env.BENCH_CASES?.split(',');
  const rows = [];
  for (const c of CASES.filter((each) => !wanted || wanted.includes(each.which))) {
    const rounds = Math.min(ROUNDS, c.rounds ?? ROUNDS);
    const runs = { ours: [], joblib: [], piscina: [] };
    // Interleaved: the machine's load drifts, and every library sees the same drift.
    for (let i = 0; i < REPEATS; i++) {
      runs.ours.push(ours(c.which, rounds));
      if (anchor) runs.joblib.push(theirs(c.joblib, rounds));
      if (c.piscina) runs.piscina.push(ours(c.piscina, Math.min(rounds, c.piscinaRounds ?? rounds)));
    }
    for (const [form, pick] of [['fresh process', (r) => r.slice(0, 1)], ['repeated in one process', (r) => r.slice(1)]]) {
      if (rounds === 1 && form !== 'fresh process') continue;
      const figures = (which) => runs[which].flatMap((processRounds) => pick(processRounds).map((round) => round[c.key]));
      const [us, them, pis] = [figures('ours'), figures('joblib'), figures('piscina')];
      const vs = (other) => (other.length === 0 ? '' : fmt.x(c.better === 'lower' ? median(other) / median(us)
        : median(us) / median(other)));
      rows.push(`| ${c.name} | ${form} | ${cell(us, c.show)} | ${cell(them, c.show)} | ${vs(them) || 'n/a'} | ` +
        `${pis.length === 0 ? '' : cell(pis, c.show)} | ${vs(pis)} |`);
    }
  }
  const floors = [await pipeFloor(1), await pipeFloor(2)];
  console.log(`\nParallel on Node ${process.version}, ${REPEATS} fresh processes × ${ROUNDS} rounds per case and library ` +
    '(fresh process: the first round of each; repeated: the others). median [min–max]; ratios of medians, above 1: ' +
    'joblib-ts is better.');
  console.log('| case | form | joblib-ts | joblib 1.2 | vs joblib | piscina 5 (threads) | vs piscina |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\nRaw pipe round trip on this machine (the floor of a warm call): ${fmt.s(floors[0])} to one child process, ` +
    `${fmt.s(floors[1])} to two at once`);
  if (!anchor) console.log('(joblib or numpy not found at /usr/bin/python3: apt-get install -y python3-joblib python3-numpy)');
}
