// `npm run bench -- progress`: what `progress: true` costs a Parallel call, against the same call
// without it: the warm 2-task call and 10,000 tiny tasks (batchSize auto, and 1: a bar update per
// task), with stderr on a terminal (`script` gives the case a pseudo-terminal: the bar is drawn)
// and on a pipe (joblib's verbose 10 lines instead). Processes alternate, with and without.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const hasScript = spawnSync('script', ['--version']).status === 0;

const quote = (arg) => `'${arg.replaceAll('\'', '\'\\\'\'')}'`;
/** The case's rounds (the first dropped: the process's JIT and first calls), stderr on a terminal or a pipe. */
function rounds(which, progress, where) {
  const args = [path.join(here, 'progress-case.mjs'), which, progress ? '1' : '0', String(ROUNDS + 1)];
  const out = where === 'terminal'
    ? execFileSync('script', ['-qfec', [process.execPath, ...args].map(quote).join(' '), '/dev/null'],
        { encoding: 'utf8', maxBuffer: 1 << 26 })
    : execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(/\{"rounds".*\}/.exec(out)[0]).rounds.slice(1).map((r) => r.seconds);
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[values.length >> 1];
const show = (x) => (x < 0.01 ? `${(x * 1000).toFixed(3)} ms` : `${x.toFixed(3)} s`);
const cell = (values) => `${show(median(values))} [${show(sorted(values)[0])}–${show(sorted(values).at(-1))}]`;

export async function progress() {
  const rows = [];
  const cases = [['warm', 'warm call (2 tiny tasks, one runner; median of 200 calls a round)'],
    ['tiny', '10,000 tiny tasks, batchSize auto'], ['batch1', '10,000 tiny tasks, batchSize 1']];
  for (const where of hasScript ? ['terminal', 'pipe'] : ['pipe']) {
    for (const [which, name] of cases) {
      const off = [];
      const on = [];
      for (let i = 0; i < REPEATS; i++) {
        off.push(...rounds(which, false, where));
        on.push(...rounds(which, true, where));
      }
      rows.push(`| ${name} | ${where} | ${cell(off)} | ${cell(on)} | ${(median(on) / median(off)).toFixed(2)}× |`);
    }
  }
  console.log(`\nprogress: true on Node ${process.version}: ${REPEATS} processes × ${ROUNDS} rounds per side; median [min–max]; ` +
    'stderr on a terminal draws the bar, on a pipe prints verbose 10\'s lines.');
  console.log('| case | stderr | without | with progress | ratio |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  if (!hasScript) console.log('(script(1) not found: the terminal rows need util-linux\'s script)');
}

if (import.meta.url === `file://${process.argv[1]}`) await progress();
