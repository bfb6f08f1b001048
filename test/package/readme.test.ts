import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

// The README promises a quick start that runs as written: run its first ```js block, inside the
// package (so `import 'joblib-ts'` resolves to this package's build) in a scratch folder.
const root = path.join(import.meta.dirname, '..', '..');
const scratch = fs.mkdtempSync(path.join(root, '.tmp-readme-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

it('runs the README quick start as written and prints what its comments say', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeDefined();
  fs.writeFileSync(path.join(scratch, 'quick-start.mjs'), code!);
  const out = execFileSync(process.execPath, ['quick-start.mjs'], { cwd: scratch, encoding: 'utf8' });
  expect(out).toBe('[ \'4.csv:2\', \'9.csv:3\' ]\n25000000 3 1000\ntrue\n');
  expect(fs.readFileSync(path.join(scratch, 'model.lz4')).subarray(0, 4)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18]));
  expect(fs.readFileSync(path.join(scratch, 'rows.bin')).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
});
