// One measurement of joblib-ts Memory in a fresh process; prints one JSON line.
// Usage: node bench/memory-case.mjs <small-hit|big-hit|miss> <location>
import { Memory } from '../dist/index.js';

const [which, location] = process.argv.slice(2);
const memory = new Memory(location, { verbose: 0 });
const out = (value) => console.log(JSON.stringify(value));
// Steady state for both libraries: 2000 warm-up calls (the JIT, the page cache), then n timed.
const meanOf = (n, fn) => {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (performance.now() - t) / 1000 / n;
};

if (which === 'small-hit') {
  const f = memory.cache(function f(x, y = 2) {
    return { x, y, label: `point ${x}` };
  });
  f(1);
  out({ seconds: meanOf(10_000, () => f(1)) });
} else if (which === 'big-hit') {
  const data = new Float64Array((10 * 1024 * 1024) / 8).map((_, i) => Math.sin(i));
  const column = memory.cache(function column(a, i) {
    return a[i];
  });
  column(data, 3);
  out({ seconds: meanOf(50, () => column(data, 3)) });
} else if (which === 'miss') {
  const g = memory.cache(function g(x) {
    return { x, label: `point ${x}` };
  });
  let next = 0;
  const t = performance.now();
  for (; next < 300; next++) g(next);
  out({ seconds: (performance.now() - t) / 1000 / 300 });
}
