// One measurement of joblib-ts Parallel in a fresh process; prints one JSON line.
// Usage: node bench/parallel-case.mjs <cold|warm|tiny|tiny1m|batch1|batch1-all|cpu|threads-batch1|threads-batch1-all|
//   large-process|large-threads|piscina-batch1|piscina-large>
import { delayed, Parallel } from '../dist/index.js';
import { burn, sliceMean, tiny } from './parallel-tasks.mjs';

const which = process.argv[2];
const N_TINY = 100_000;
const N_BATCH1 = 10_000;
const out = (value) => console.log(JSON.stringify(value));
const range = (n) => Array.from({ length: n }, (_, i) => i);

if (which === 'cold') {
  const t = performance.now();
  await Parallel({ nJobs: 2 })(range(2).map((i) => delayed(tiny)(i)));
  out({ seconds: (performance.now() - t) / 1000 });
} else if (which === 'warm') {
  const parallel = Parallel({ nJobs: 2 });
  await parallel(range(4).map((i) => delayed(tiny)(i)));
  const times = [];
  for (let r = 0; r < 200; r++) {
    const t = performance.now();
    await parallel(range(2).map((i) => delayed(tiny)(i)));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  out({ seconds: times[times.length >> 1] / 1000 });
} else if (['tiny', 'tiny1m', 'batch1', 'batch1-all', 'threads-batch1', 'threads-batch1-all'].includes(which)) {
  const n = which === 'tiny' ? N_TINY : which === 'tiny1m' ? 10 * N_TINY : N_BATCH1;
  const backend = which.startsWith('threads') ? 'threads' : 'process';
  const options = which.startsWith('tiny') ? { nJobs: 2 } : which.endsWith('batch1') ? { nJobs: 2, batchSize: 1, backend }
    : { nJobs: 2, batchSize: 1, preDispatch: 'all', backend };
  await Parallel({ nJobs: 2, backend })(range(4).map((i) => delayed(tiny)(i))); // workers up, as joblib's warm-up
  const t = performance.now();
  const results = await Parallel(options)(range(n).map((i) => delayed(tiny)(i)));
  const seconds = (performance.now() - t) / 1000;
  if (results[n - 1] !== n) throw new Error('wrong result');
  out({ seconds, rate: n / seconds });
} else if (which === 'cpu') {
  const tasks = () => range(16).map(() => delayed(burn)(0.25));
  await Parallel({ nJobs: 2 })(range(4).map((i) => delayed(tiny)(i)));
  let t = performance.now();
  await Parallel({ nJobs: 1 })(tasks());
  const sequential = (performance.now() - t) / 1000;
  t = performance.now();
  await Parallel({ nJobs: 2 })(tasks());
  const parallel = (performance.now() - t) / 1000;
  out({ seconds: parallel, sequential, speedup: sequential / parallel });
} else if (which.startsWith('large-')) {
  // 100 tasks over one 80 MB Float64Array, each returning the mean of its slice.
  const shared = which === 'large-threads-shared';
  const values = new Float64Array(shared ? new SharedArrayBuffer(80_000_000) : new ArrayBuffer(80_000_000));
  for (let i = 0; i < values.length; i += 1) values[i] = i % 7;
  const backend = which === 'large-process' ? 'process' : 'threads';
  await Parallel({ nJobs: 2, backend })(range(4).map((i) => delayed(tiny)(i)));
  const t = performance.now();
  const means = await Parallel({ nJobs: 2, backend })(range(100).map((i) => delayed(sliceMean)(values, i, 100)));
  const seconds = (performance.now() - t) / 1000;
  if (Math.abs(means[99] - 3) > 0.01) throw new Error('wrong result');
  out({ seconds });
} else if (which === 'piscina-large' || which === 'piscina-large-shared') {
  // piscina as its users call it: the array goes with every task (structured clone, or shared if it is a SharedArrayBuffer).
  const { Piscina } = await import('piscina');
  const shared = which === 'piscina-large-shared';
  const values = new Float64Array(shared ? new SharedArrayBuffer(80_000_000) : new ArrayBuffer(80_000_000));
  for (let i = 0; i < values.length; i += 1) values[i] = i % 7;
  const pool = new Piscina({ filename: new URL('./parallel-tasks.mjs', import.meta.url).href, maxThreads: 2, minThreads: 2 });
  await Promise.all(range(4).map((x) => pool.run({ x })));
  const t = performance.now();
  const means = await Promise.all(range(100).map((i) => pool.run({ values, i, parts: 100 })));
  const seconds = (performance.now() - t) / 1000;
  if (Math.abs(means[99] - 3) > 0.01) throw new Error('wrong result');
  out({ seconds });
  await pool.destroy();
} else if (which === 'piscina-batch1') {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: new URL('./parallel-tasks.mjs', import.meta.url).href, maxThreads: 2, minThreads: 2 });
  await Promise.all(range(4).map((x) => pool.run({ x })));
  const t = performance.now();
  const results = await Promise.all(range(N_BATCH1).map((x) => pool.run({ x })));
  const seconds = (performance.now() - t) / 1000;
  if (results[N_BATCH1 - 1] !== N_BATCH1) throw new Error('wrong result');
  out({ seconds, rate: N_BATCH1 / seconds });
  await pool.destroy();
}
