// The README's quick start, runnable as is: `npm run demo`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { cpuCount, delayed, dump, hash, load, Memory, Parallel, registerType } from 'joblib-ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-demo-'));
const file = (name) => path.join(dir, name);

// 1. A model with a big typed array: LZ4 chosen by the extension, found again by magic number.
const weights = Float64Array.from({ length: 25_000_000 }, (_, i) => Math.round(Math.sin(i) * 300) / 100);
let t0 = performance.now();
await dump({ weights, meta: { epoch: 3, tags: new Set(['baseline']) } }, file('model.lz4'));
const dumped = performance.now() - t0;
t0 = performance.now();
const model = await load(file('model.lz4'));
const loaded = performance.now() - t0;
console.log(
  `model.lz4: ${(fs.statSync(file('model.lz4')).size / 1e6).toFixed(1)} MB for ${weights.byteLength / 1e6} MB of float64;`,
  `dump ${dumped.toFixed(0)} ms, load ${loaded.toFixed(0)} ms;`,
  `weights[12345] survives: ${model.weights[12345] === weights[12345]}, tags: ${[...model.meta.tags]}`,
);

// 2. Rows, gzip at level 6 whatever the file is called; `load` reads the magic number.
const rows = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `row ${id}`, score: id / 7 }));
await dump(rows, file('rows.bin'), { compress: ['gzip', 6] });
console.log(`rows.bin (gzip): ${(await load(file('rows.bin'))).length} rows back`);

// 3. Your own classes keep their prototype once registered.
class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }

  norm() {
    return Math.hypot(this.x, this.y);
  }
}
registerType(Point, { name: 'demo/Point', encode: (p) => [p.x, p.y], decode: ([x, y]) => new Point(x, y) });
await dump([new Point(3, 4)], file('points.z'));
console.log(`points.z: norm of the loaded point = ${(await load(file('points.z')))[0].norm()}`);

// 4. A canonical 128-bit hash: key order does not matter, content does.
console.log(
  `hash({ b: 2, a: [1, 2] }) === hash({ a: [1, 2], b: 2 }): ${hash({ b: 2, a: [1, 2] }) === hash({ a: [1, 2], b: 2 })}`,
);
t0 = performance.now();
const digest = hash(weights);
console.log(`hash of the 200 MB weights: ${digest} in ${(performance.now() - t0).toFixed(0)} ms`);

// 5. Parallel: a CPU-bound function of this script, rebuilt in worker processes with its import.
function work(seed) {
  let digest = String(seed);
  for (let i = 0; i < 80_000; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest.slice(0, 8);
}
const seeds = Array.from({ length: 16 }, (_, i) => i);
t0 = performance.now();
await Parallel({ nJobs: 1 })(seeds.map((s) => delayed(work)(s)));
const sequential = performance.now() - t0;
// Like with like: start the workers first (one call of tiny tasks), then time the same 16 tasks
// on the warm pool. The start-up is printed apart.
const parallel = Parallel({ nJobs: -1 });
t0 = performance.now();
await parallel(seeds.slice(0, cpuCount()).map(() => delayed(Math.sqrt)(4)));
const startUp = performance.now() - t0;
t0 = performance.now();
const digests = await parallel(seeds.map((s) => delayed(work)(s)));
const parallelMs = performance.now() - t0;
await parallel.close();
console.log(
  `Parallel: 16 hash chains in ${parallelMs.toFixed(0)} ms on ${cpuCount()} warm workers`,
  `(${sequential.toFixed(0)} ms in this process; starting the workers took ${startUp.toFixed(0)} ms),`,
  `first results ${digests.slice(0, 2).join(', ')}`,
);

// 6. Memory: the second call with the same arguments is read from disk.
const memory = new Memory(file('cache'), { verbose: 0, compress: 'lz4' });
const slowStats = memory.cache(function slowStats(values, digits = 2) {
  let sum = 0;
  for (let round = 0; round < 2; round++) for (const v of values) sum += Math.sqrt(Math.abs(v));
  return { mean: Number((sum / 2 / values.length).toFixed(digits)), count: values.length };
});
t0 = performance.now();
const computed = slowStats(weights);
const computeMs = performance.now() - t0;
t0 = performance.now();
const cached = slowStats(weights, 2); // same key: the default is applied before hashing
console.log(
  `Memory: computed ${JSON.stringify(computed)} in ${computeMs.toFixed(0)} ms,`,
  `read back in ${(performance.now() - t0).toFixed(1)} ms (hashing the 200 MB argument included)`,
  `${JSON.stringify(cached) === JSON.stringify(computed) ? '' : 'MISMATCH'}`,
);

// 7. Threads sharing memory: the 8 MB matrix crosses once (one SharedArrayBuffer copy for the
// call), and the tasks write their row sums straight into a shared output array.
function rowSum(matrix, out, row, width) {
  let sum = 0;
  for (let j = 0; j < width; j++) sum += matrix[row * width + j];
  out[row] = sum;
}
const width = 1000;
const matrix = Float64Array.from({ length: width * width }, (_, i) => i % width);
const sums = new Float64Array(new SharedArrayBuffer(width * 8));
t0 = performance.now();
await Parallel({ nJobs: 2, require: 'sharedmem' })(Array.from({ length: width }, (_, row) => delayed(rowSum)(matrix, sums, row, width)));
console.log(`Threads: ${width} row sums written in place in ${(performance.now() - t0).toFixed(0)} ms,`,
  `each ${sums[0]} (expected ${(width * (width - 1)) / 2})`);

fs.rmSync(dir, { recursive: true, force: true });
