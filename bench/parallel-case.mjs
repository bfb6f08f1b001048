// One measurement of joblib-ts Parallel in a fresh process; prints one JSON line.
// Usage: node bench/parallel-case.mjs <cold|warm|tiny|tiny1m|batch1|batch1-all|cpu|piscina-batch1>
import { delayed, Parallel } from '../dist/index.js';
import { burn, tiny } from './parallel-tasks.mjs';

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
} else if (which === 'tiny' || which === 'tiny1m' || which === 'batch1' || which === 'batch1-all') {
  const n = which === 'tiny' ? N_TINY : which === 'tiny1m' ? 10 * N_TINY : N_BATCH1;
  const options = which.startsWith('tiny') ? { nJobs: 2 } : which === 'batch1' ? { nJobs: 2, batchSize: 1 }
    : { nJobs: 2, batchSize: 1, preDispatch: 'all' };
  await Parallel({ nJobs: 2 })(range(4).map((i) => delayed(tiny)(i))); // workers up, as joblib's warm-up
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
