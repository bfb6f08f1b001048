// `npm run bench [-- suite...]`: runs the named benchmark suites (all by default).
import { codec } from './codec.mjs';
import { distributed } from './distributed.mjs';
import { memory } from './memory.mjs';
import { parallel } from './parallel.mjs';
import { persistence } from './persistence.mjs';
import { progress } from './progress.mjs';

const suites = { parallel, memory, persistence, codec, distributed, progress };
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`Unknown suite(s): ${unknown.join(', ')}. Available: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) await suites[name]();
