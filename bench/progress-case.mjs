// One case of the progress benchmark in a fresh process, measured `rounds` times in it; prints one
// JSON line `{ "rounds": [{ seconds }, ...] }`. `progress` says whether the calls pass
// `progress: true`; where stderr goes (a terminal, a pipe) is the caller's choice.
// Usage: node bench/progress-case.mjs <warm|tiny|batch1> <progress: 0|1> [rounds]
// BENCH_DIST=/other/checkout/dist/index.js measures another build (without progress: one from
// before the option existed, to compare the hot path).
import { tiny } from './parallel-tasks.mjs';

const { delayed, Parallel } = await import(process.env.BENCH_DIST ?? '../dist/index.js');
const [which, progressArg, roundsArg] = process.argv.slice(2);
// Not passed at all when off: a build from before the option would refuse it.
const progress = progressArg === '1' ? { progress: true } : {};
const rounds = Number(roundsArg ?? 1);
const WARM_CALLS = 200;
const N = 10_000;
const range = (n) => Array.from({ length: n }, (_, i) => i);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const timed = async (work) => {
  const t = performance.now();
  await work();
  return (performance.now() - t) / 1000;
};

/** A call of `n` tiny tasks on a fresh Parallel with these options, timed. */
const tinyCall = (n, options) => async () => {
  let results;
  const seconds = await timed(async () => {
    results = await Parallel({ nJobs: 2, ...progress, ...options })(range(n).map((i) => delayed(tiny)(i)));
  });
  if (results[n - 1] !== n) throw new Error('wrong result');
  return { seconds };
};

const CASES = {
  // The warm call: one runner, 2 tiny tasks, the median of 200 calls a round.
  warm: async () => {
    const parallel = Parallel({ nJobs: 2, ...progress });
    await parallel(range(4).map((i) => delayed(tiny)(i)));
    return async () => {
      const times = [];
      for (let r = 0; r < WARM_CALLS; r++) times.push(await timed(() => parallel(range(2).map((i) => delayed(tiny)(i)))));
      return { seconds: median(times) };
    };
  },
  tiny: async () => {
    await Parallel({ nJobs: 2 })(range(4).map((i) => delayed(tiny)(i)));
    return tinyCall(N, {});
  },
  batch1: async () => {
    await Parallel({ nJobs: 2 })(range(4).map((i) => delayed(tiny)(i)));
    return tinyCall(N, { batchSize: 1 });
  },
};

const round = await CASES[which]();
const results = [];
for (let index = 0; index < rounds; index++) results.push(await round());
console.log(JSON.stringify({ rounds: results }));
process.exit(0);
