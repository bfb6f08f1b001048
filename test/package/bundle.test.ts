import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// A user's app bundled with esbuild, minified, in both output formats, then run: registration
// of the built-in backends and stores, error names and worker start-up must all survive it.
// The native add-ons stay external (esbuild cannot bundle .node files); the workers start from
// the installed package, which the bundle finds beside the app.
const root = path.join(import.meta.dirname, '..', '..');
const outDir = fs.mkdtempSync(path.join(root, '.tmp-bundle-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe('a bundled app (esbuild, minified)', () => {
  it.each(['esm', 'cjs'] as const)('runs Parallel, Memory, dump/load and named errors from a %s bundle', async (format) => {
    const outfile = path.join(outDir, `app.${format === 'esm' ? 'mjs' : 'cjs'}`);
    await build({
      entryPoints: [path.join(import.meta.dirname, 'fixtures', 'bundled-app.mjs')],
      bundle: true, minify: true, platform: 'node', format, outfile, logLevel: 'error',
      external: ['@node-rs/xxhash', 'lz4-napi'],
    });
    const out = execFileSync(process.execPath, [outfile], { cwd: outDir, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({
      loaded: [1.5, 2.5],
      formatError: { name: 'FormatError', code: 'ERR_JOBLIB_FORMAT', isClass: true },
      optionError: { name: 'InvalidOptionError', isClass: true },
      memory: [9, 9, 1],
      shelved: [42],
      processes: [1, 2, 3],
      threads: [2, 4, 6],
    });
  });
});
