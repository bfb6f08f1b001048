// One case of the Parallel benchmark in a fresh process, measured `rounds` times in it: round 1
// is the fresh-process figure, the later rounds the same work repeated in one process. Prints
// one JSON line: `{ "rounds": [{ seconds, rate?, speedup? }, ...] }`.
// Usage: node bench/parallel-case.mjs <case> [rounds]   (cases: see CASES below)
import { delayed, getReusableExecutor, Parallel } from '../dist/index.js';
import { burn, sliceMean, tiny } from './parallel-tasks.mjs';

const [which, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 1);
const N_TINY = 100_000;
const N_BATCH1 = 10_000;
const WARM_CALLS = 200;
/** Calls before the steady-state warm case is measured: V8 has compiled the hot paths by then. */
const STEADY_AFTER = 2000;
const range = (n) => Array.from({ length: n }, (_, i) => i);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const workersUp = (backend = 'process') => Parallel({ nJobs: 2, backend })(range(4).map((i) => delayed(tiny)(i)));
const timed = async (work) => {
  const t = performance.now();
  await work();
  return (performance.now() - t) / 1000;
};

/** An 80 MB Float64Array of i % 7 (mean 3), in an ArrayBuffer or a SharedArrayBuffer. */
function bigArray(shared) {
  const values = new Float64Array(shared ? new SharedArrayBuffer(80_000_000) : new ArrayBuffer(80_000_000));
  for (let i = 0; i < values.length; i += 1) values[i] = i % 7;
  return values;
}

/** Each case: `setup()` once, then `round(state, index)` per round, returning `{ seconds, ... }`. */
const CASES = {
  // Round 1: Node, the library and the workers start. Later rounds: the pool was shut down, so
  // workers start again in a warm process.
  'cold': {
    round: async (_, index) => {
      if (index > 0) await getReusableExecutor({ maxWorkers: 2 }).shutdown();
      return { seconds: await timed(() => Parallel({ nJobs: 2 })(range(2).map((i) => delayed(tiny)(i)))) };
    },
  },
  'warm': warmCase((parallel) => parallel(range(2).map((i) => delayed(tiny)(i)))),
  'warm-steady': warmCase((parallel) => parallel(range(2).map((i) => delayed(tiny)(i))), STEADY_AFTER),
  'warm-new': warmCase(() => Parallel({ nJobs: 2 })(range(2).map((i) => delayed(tiny)(i)))),
  'tiny': tinyCase(N_TINY, { nJobs: 2 }),
  'tiny1m': tinyCase(10 * N_TINY, { nJobs: 2 }),
  'batch1': tinyCase(N_BATCH1, { nJobs: 2, batchSize: 1 }),
  'batch1-all': tinyCase(N_BATCH1, { nJobs: 2, batchSize: 1, preDispatch: 'all' }),
  'threads-batch1': tinyCase(N_BATCH1, { nJobs: 2, batchSize: 1, backend: 'threads' }),
  'threads-batch1-all': tinyCase(N_BATCH1, { nJobs: 2, batchSize: 1, preDispatch: 'all', backend: 'threads' }),
  'cpu': {
    setup: async () => {
      await workersUp();
      return { sequential: await timed(() => Parallel({ nJobs: 1 })(range(16).map(() => delayed(burn)(0.25)))) };
    },
    round: async ({ sequential }) => {
      const seconds = await timed(() => Parallel({ nJobs: 2 })(range(16).map(() => delayed(burn)(0.25))));
      return { seconds, speedup: sequential / seconds };
    },
  },
  'large-process': largeCase('process', false),
  'large-process-changed': largeCase('process', false, true),
  'large-threads': largeCase('threads', false),
  'large-threads-shared': largeCase('threads', true),
  'piscina-batch1': {
    setup: () => piscinaPool(),
    round: async (pool) => {
      let results;
      const seconds = await timed(async () => {
        results = await Promise.all(range(N_BATCH1).map((x) => pool.run({ x })));
      });
      if (results[N_BATCH1 - 1] !== N_BATCH1) throw new Error('wrong result');
      return { seconds, rate: N_BATCH1 / seconds };
    },
  },
  // piscina as its users call it: the array goes with every task (structured clone, or shared if it is a SharedArrayBuffer).
  'piscina-large': piscinaLarge(false),
  'piscina-large-shared': piscinaLarge(true),
};

function warmCase(call, before = 0) {
  return {
    setup: async () => {
      const parallel = Parallel({ nJobs: 2 });
      await parallel(range(4).map((i) => delayed(tiny)(i)));
      for (let r = 0; r < before; r++) await call(parallel);
      return parallel;
    },
    round: async (parallel) => {
      const times = [];
      for (let r = 0; r < WARM_CALLS; r++) times.push(await timed(() => call(parallel)));
      return { seconds: median(times) };
    },
  };
}

function tinyCase(n, options) {
  return {
    setup: () => workersUp(options.backend), // workers up, as joblib's warm-up
    round: async () => {
      let results;
      const seconds = await timed(async () => {
        results = await Parallel(options)(range(n).map((i) => delayed(tiny)(i)));
      });
      if (results[n - 1] !== n) throw new Error('wrong result');
      return { seconds, rate: n / seconds };
    },
  };
}

/** 100 tasks over one 80 MB Float64Array, each returning the mean of its slice; `changed`: one element differs each round. */
function largeCase(backend, shared, changed = false) {
  return {
    setup: async () => {
      const values = bigArray(shared);
      await workersUp(backend);
      return values;
    },
    round: async (values, index) => {
      if (changed) values[index] = index % 7 + 7e-9;
      let means;
      const seconds = await timed(async () => {
        means = await Parallel({ nJobs: 2, backend })(range(100).map((i) => delayed(sliceMean)(values, i, 100)));
      });
      if (Math.abs(means[99] - 3) > 0.01) throw new Error('wrong result');
      return { seconds };
    },
  };
}

async function piscinaPool() {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: new URL('./parallel-tasks.mjs', import.meta.url).href, maxThreads: 2, minThreads: 2 });
  await Promise.all(range(4).map((x) => pool.run({ x })));
  return pool;
}

function piscinaLarge(shared) {
  return {
    setup: async () => ({ values: bigArray(shared), pool: await piscinaPool() }),
    round: async ({ values, pool }) => {
      let means;
      const seconds = await timed(async () => {
        means = await Promise.all(range(100).map((i) => pool.run({ values, i, parts: 100 })));
      });
      if (Math.abs(means[99] - 3) > 0.01) throw new Error('wrong result');
      return { seconds };
    },
  };
}

const chosen = CASES[which];
if (!chosen) {
  console.error(`Unknown case '${which}'. Cases: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const state = await chosen.setup?.();
const results = [];
for (let index = 0; index < rounds; index++) results.push(await chosen.round(state, index));
console.log(JSON.stringify({ rounds: results }));
process.exit(0); // piscina's threads and the pool's idle workers must not hold the process
