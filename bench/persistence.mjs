// `npm run bench -- persistence`: dump/load/hash of joblib-ts against Python joblib 1.2, side
// by side in one run, each case in a fresh process. Prints a Markdown table with ratios
// (joblib's time / ours: above 1 means joblib-ts is faster).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasPython, PYTHON } from './anchors.mjs';

const here = import.meta.dirname;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-bench-'));

function run(command, args) {
  const out = execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

const ours = (op, dataset, method, file) =>
  run(process.execPath, [path.join(here, 'persistence-case.mjs'), op, dataset, method, file]);
const theirs = (op, dataset, method, file) =>
  run(PYTHON, [path.join(here, 'joblib_persistence.py'), op, dataset, method, file]);

// Big writes and first touches of memory vary a lot on a shared VM, so every figure is the
// median of REPEATS fresh processes, ours and joblib's alternating.
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const median = (runs) => {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)];
};

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const s = (x) => `${x.toFixed(3)} s`;
const ratio = (them, us) => (them && us ? `${(them / us).toFixed(2)}×` : 'n/a');
const pct = (over, data) => (data ? `${((100 * over) / data).toFixed(1)}%` : mb(over));

export function persistence() {
  const anchor = hasPython(['joblib', 'numpy', 'lz4']);
  const rows = [];
  const only = process.env.BENCH_CASES?.split(',');
  const cases = [
    ['array', 'none'],
    ['array', 'zlib'],
    ['array', 'gzip'],
    ['array', 'lz4'],
    ['objects', 'none'],
    ['objects', 'lz4'],
  ].filter(([dataset, method]) => !only || only.includes(`${dataset}/${method}`));
  for (const [dataset, method] of cases) {
    const ext = { none: 'bin', zlib: 'z', gzip: 'gz', lz4: 'lz4' }[method];
    const ourFile = path.join(work, `ours-${dataset}.${ext}`);
    const theirFile = path.join(work, `theirs-${dataset}.${ext}`);
    const runs = { d: [], l: [], jd: [], jl: [] };
    for (let i = 0; i < REPEATS; i++) {
      // Both write a new file: overwriting makes joblib truncate (freeing the old pages for
      // reuse) while our atomic replace writes beside the old file; README notes that cost.
      fs.rmSync(ourFile, { force: true });
      fs.rmSync(theirFile, { force: true });
      runs.d.push(ours('dump', dataset, method, ourFile));
      if (anchor) runs.jd.push(theirs('dump', dataset, method, theirFile));
      runs.l.push(ours('load', dataset, method, ourFile));
      if (anchor) runs.jl.push(theirs('load', dataset, method, theirFile));
    }
    const row = { dataset, method, d: median(runs.d), l: median(runs.l), size: fs.statSync(ourFile).size };
    if (anchor) {
      row.jd = median(runs.jd);
      row.jl = median(runs.jl);
      row.jsize = fs.statSync(theirFile).size;
    }
    rows.push(row);
    fs.rmSync(ourFile, { force: true });
    fs.rmSync(theirFile, { force: true });
    process.stderr.write(`  ${dataset}/${method} done\n`);
  }
  const h = median(Array.from({ length: REPEATS }, () => ours('hash', 'array', 'none', '')));
  const jh = anchor
    ? median(Array.from({ length: REPEATS }, () => theirs('hash', 'array', 'none', '')))
    : null;

  const arrayMb = Number(process.env.BENCH_ARRAY_MB ?? 200);
  const objects = Number(process.env.BENCH_OBJECTS ?? 1_000_000);
  console.log(
    `\n### Persistence (${arrayMb} MB Float64Array of rounded normals; ${objects.toLocaleString('en')} objects {id, name, score})`,
  );
  console.log(
    `median of ${REPEATS} fresh processes each; node ${process.version}, ${os.cpus().length} CPUs; anchor: ${anchor ? 'Python joblib (Debian python3-joblib) via /usr/bin/python3' : 'absent (install python3-joblib python3-numpy python3-lz4)'}\n`,
  );
  console.log(
    '| data | method | dump | joblib dump | dump speed-up | load | joblib load | load speed-up | size | joblib size | dump RSS over data | load RSS over data |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.dataset} | ${r.method} | ${s(r.d.seconds)} | ${r.jd ? s(r.jd.seconds) : '—'} | ${ratio(r.jd?.seconds, r.d.seconds)} | ${s(r.l.seconds)} | ${r.jl ? s(r.jl.seconds) : '—'} | ${ratio(r.jl?.seconds, r.l.seconds)} | ${mb(r.size)} | ${r.jsize ? mb(r.jsize) : '—'} | ${pct(r.d.overData, r.d.dataBytes)} | ${pct(r.l.overData, r.l.dataBytes)} |`,
    );
  }
  const gbps = (x) => `${(x.dataBytes / x.seconds / 1e9).toFixed(2)} GB/s`;
  console.log(`\n| hash of ${arrayMb} MB Float64Array | joblib-ts | joblib.hash (md5) | speed-up |`);
  console.log('|---|---|---|---|');
  console.log(`| throughput | ${gbps(h)} | ${jh ? gbps(jh) : '—'} | ${ratio(jh?.seconds, h.seconds)} |`);
  fs.rmSync(work, { recursive: true, force: true });
}
