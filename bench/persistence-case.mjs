// One persistence measurement in its own process, so that peak RSS and page faults belong to it.
// Usage: node bench/persistence-case.mjs <dump|load|hash> <array|objects> <none|zlib|gzip|lz4|zstd|zstd-N> <file> [--repeat K]
// Prints { runs: [{ seconds, faults, overData }], dataBytes }: K samples taken in this one process.
import fs from 'node:fs';
import { dump, hash, load } from 'joblib-ts';

const [op, dataset, method, file, flag, count] = process.argv.slice(2);
const repeat = flag === '--repeat' ? Number(count) : 1;
const ARRAY_BYTES = Number(process.env.BENCH_ARRAY_MB ?? 200) * 1024 * 1024;
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 200_000);

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
const faults = () => process.resourceUsage().minorPageFault;
// zstd-N: zstd at level N.
const compress = method === 'none' ? false : method.startsWith('zstd-') ? ['zstd', Number(method.slice(5))] : method;

const runs = [];
let dataBytes = 0;
const value = op === 'load' ? undefined : make();
if (op === 'hash') hash(value);
for (let i = 0; i < repeat; i++) {
  let base = rss();
  const f0 = faults();
  const t0 = performance.now();
  if (op === 'dump') {
    fs.rmSync(file, { force: true }); // a new file each time, as a fresh process writes one
    await dump(value, file, { compress });
    dataBytes = dataset === 'array' ? value.byteLength : 0;
  } else if (op === 'load') {
    // Held in an object, so that it can be dropped before the next load, as the Python side's
    // `del loaded` drops its array (a variable would keep it until overwritten by the next load).
    const held = { loaded: await load(file) };
    dataBytes = dataset === 'array' ? held.loaded.byteLength : 0;
    base += dataBytes; // what the loaded value itself must occupy
    held.loaded = undefined;
  } else {
    hash(value);
    dataBytes = value.byteLength;
  }
  const seconds = (performance.now() - t0) / 1000;
  runs.push({ seconds, faults: faults() - f0, overData: Math.max(0, peak() - base) });
}
process.stdout.write(`${JSON.stringify({ runs, dataBytes })}\n`);
