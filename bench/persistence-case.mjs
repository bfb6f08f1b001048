// One persistence measurement in a fresh process, so that peak RSS belongs to it alone.
// Usage: node bench/persistence-case.mjs <dump|load|hash> <array|objects> <none|zlib|gzip|lz4> <file>
import { dump, hash, load } from 'joblib-ts';

const [op, dataset, method, file] = process.argv.slice(2);
const ARRAY_BYTES = Number(process.env.BENCH_ARRAY_MB ?? 200) * 1024 * 1024;
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1_000_000);

function normals(n) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
    const t = 2 * Math.PI * Math.random();
    out[i] = Math.round(r * Math.cos(t) * 100) / 100;
    if (i + 1 < n) out[i + 1] = Math.round(r * Math.sin(t) * 100) / 100;
  }
  return out;
}

const make = () =>
  dataset === 'array'
    ? normals(ARRAY_BYTES / 8)
    : Array.from({ length: OBJECTS }, (_, i) => ({
        id: i,
        name: `name-${i}`,
        score: Math.round(Math.random() * 1e4) / 100,
      }));

const rss = () => process.memoryUsage.rss();
const peak = () => process.resourceUsage().maxRSS * 1024;
const compress = method === 'none' ? false : method;

let seconds;
let dataBytes;
let base;
if (op === 'dump') {
  const value = make();
  dataBytes = dataset === 'array' ? value.byteLength : 0;
  base = rss();
  const t0 = performance.now();
  await dump(value, file, { compress });
  seconds = (performance.now() - t0) / 1000;
} else if (op === 'load') {
  base = rss();
  const t0 = performance.now();
  const value = await load(file);
  seconds = (performance.now() - t0) / 1000;
  dataBytes = dataset === 'array' ? value.byteLength : 0;
  base += dataBytes; // what the loaded value itself must occupy
} else {
  const value = make();
  dataBytes = value.byteLength;
  hash(value);
  base = rss();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) hash(value);
  seconds = (performance.now() - t0) / 1000 / 5;
}
process.stdout.write(JSON.stringify({ seconds, overData: Math.max(0, peak() - base), dataBytes }));
