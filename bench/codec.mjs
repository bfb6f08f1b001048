// `npm run bench -- codec`: the codec walk (MessagePack structure only) against msgpackr's default
// `pack`/`unpack` and its reference-tracking mode (`structuredClone: true`), encoding and decoding
// BENCH_OBJECTS small objects in memory, in both forms. msgpackr is a devDependency; with another
// install, BENCH_MSGPACKR=/path/to/msgpackr/index.js.
import path from 'node:path';
import { describeRun, FORMS, measureForms, printTable, progress, ratio, runCase, spread, statsOf } from './harness.mjs';

const here = import.meta.dirname;

async function hasMsgpackr() {
  try {
    await import(process.env.BENCH_MSGPACKR ?? 'msgpackr');
    return true;
  } catch {
    return false;
  }
}

export async function codec() {
  const anchor = await hasMsgpackr();
  const side = (op, codecName) => (repeat) =>
    runCase(process.execPath, [path.join(here, 'codec-case.mjs'), op, codecName, '--repeat', String(repeat)]);
  const rows = [];
  for (const op of ['encode', 'decode']) {
    const result = measureForms({
      ours: side(op, 'ours'),
      msgpackr: anchor ? side(op, 'msgpackr') : undefined,
      clone: anchor ? side(op, 'msgpackr-clone') : undefined,
    });
    for (const form of FORMS) {
      const [us, plain, clone] = ['ours', 'msgpackr', 'clone'].map((k) => statsOf(result[form][k], 'seconds'));
      rows.push([op, form, spread(us), spread(plain), ratio(plain, us), spread(clone), ratio(clone, us)]);
    }
    progress(`codec/${op} done`);
  }
  const objects = Number(process.env.BENCH_OBJECTS ?? 200_000).toLocaleString('en-US');
  console.log(`\n### Codec: ${objects} objects {id, name, score}, in memory\n`);
  console.log(`${describeRun(anchor ? 'anchor: msgpackr' : 'msgpackr not installed (npm install)')}.`);
  console.log('Ratios: msgpackr\'s median / ours (above 1: joblib-ts is faster).\n');
  printTable(['op', 'form', 'joblib-ts', 'msgpackr', 'vs msgpackr', 'msgpackr structuredClone', 'vs structuredClone'], rows);
}
