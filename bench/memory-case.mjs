// One measurement of joblib-ts Memory in its own process; prints one JSON line of samples.
// Usage: node bench/memory-case.mjs <small-hit|big-hit|miss> <location> [--repeat K]
// Sample 0 is what a fresh process sees (the first calls, JIT cold); samples 1..K-1 come after
// it in the same process (steady state). Each sample is a mean over a batch of calls.
import { Memory } from '../dist/index.js';

const [which, location, flag, count] = process.argv.slice(2);
const repeat = flag === '--repeat' ? Number(count) : 1;
const memory = new Memory(location, { verbose: 0 });
const runs = [];
const batch = (n, fn) => {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  runs.push({ seconds: (performance.now() - t) / 1000 / n });
};

if (which === 'small-hit') {
  const f = memory.cache(function f(x, y = 2) {
    return { x, y, label: `point ${x}` };
  });
  f(1);
  batch(200, () => f(1));
  for (let r = 1; r < repeat; r++) batch(5000, () => f(1));
} else if (which === 'big-hit') {
  const data = new Float64Array((10 * 1024 * 1024) / 8).map((_, i) => Math.sin(i));
  const column = memory.cache(function column(a, i) {
    return a[i];
  });
  column(data, 3);
  for (let r = 0; r < repeat; r++) batch(r === 0 ? 5 : 20, () => column(data, 3));
} else if (which === 'miss') {
  const g = memory.cache(function g(x) {
    return { x, label: `point ${x}` };
  });
  let next = 0;
  for (let r = 0; r < repeat; r++) batch(r === 0 ? 20 : 100, () => g(next++));
}
console.log(JSON.stringify({ runs }));
