import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

// The README promises a quick start that runs as written: run its first ```js block, inside the
// package (so `import 'joblib-ts'` resolves to this package's build) in a scratch folder.
const root = path.join(import.meta.dirname, '..', '..');
const scratch = fs.mkdtempSync(path.join(root, '.tmp-readme-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

it('runs the README quick start as written, prints what its comments say and leaves no file behind', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeDefined();
  fs.writeFileSync(path.join(scratch, 'quick-start.mjs'), code!);
  const out = execFileSync(process.execPath, ['quick-start.mjs'], { cwd: scratch, encoding: 'utf8' });
  expect(out).toBe('[ \'4.csv:2\', \'9.csv:3\' ]\n25000000 3 1000\ntrue\n');
  // It cleans up after itself: only the script is left in the folder it ran in.
  expect(fs.readdirSync(scratch)).toEqual(['quick-start.mjs']);
});

// The README's JavaScript runs on every Node the package supports (CI runs this file on each):
// no syntax that only newer versions parse, such as `await using`.
it('has only JavaScript blocks this Node parses', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  blocks.forEach((code, i) => {
    const file = path.join(scratch, `block-${i}.mjs`);
    fs.writeFileSync(file, code);
    execFileSync(process.execPath, ['--check', file], { encoding: 'utf8' });
    fs.rmSync(file);
  });
});
