import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typecheck } from './typecheck.js';

// The package as a user receives it: the tarball `npm pack` makes (dist/ as `npm test` built it),
// then that tarball installed into a new project under the OS temp dir, away from this
// repository's node_modules, with its dependencies from the registry or npm's cache. One pack and
// one install serve every test here: an ESM app, a CommonJS app, a strict TypeScript project and
// the bin through npx. (.ci/install-from-git installs from a git URL, which builds dist/ itself.)
const root = path.join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string; bin: Record<string, string>; main: string; types: string; exports: Record<string, unknown>;
  devDependencies: Record<string, string>;
};
const DOCS = ['CHANGES.md', 'FORMAT.md', 'README.md'];
const CONSUMERS = path.join(import.meta.dirname, 'fixtures', 'installed-app');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-install-'));
const unpacked = path.join(scratch, 'package');
const app = path.join(scratch, 'app');
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const run = (file: string, args: string[], cwd: string) => execFileSync(file, args, { cwd, encoding: 'utf8' });

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}
let tarball: string;
let packed: Packed;
let paths: string[];

beforeAll(() => {
  // --ignore-scripts: `prepare` would rebuild dist/, removing it first, under the test files using it.
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], root)) as [Packed];
  tarball = path.join(scratch, packed.filename);
  paths = packed.files.map((f) => f.path).sort();
  execFileSync('tar', ['-xzf', tarball, '-C', scratch]);
});

describe('the packed tarball', () => {
  it('holds dist/, sources, the native helpers, the docs and package.json, and no tests, benches, fixtures or build state', () => {
    const strays = paths.filter((p) => !/^dist\/.+\.(js|d\.ts|js\.map)$/.test(p) && !/^src\/.+\.ts$/.test(p)
      && !/^native\/build\/joblib_native-[a-z0-9]+-[a-z0-9]+\.node$/.test(p)
      && ![...DOCS, 'package.json', 'native/joblib_native.c'].includes(p));
    // Built by `npm test`'s build where a C compiler is (as on Linux x64 here and in CI): shipped.
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(paths).toContain('native/build/joblib_native-linux-x64.node');
    }
    expect(strays).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(DOCS));
    expect(paths.filter((p) => /(^|\/)(test|bench|examples|fixtures|\.tmp[^/]*)\/|\.test\.|tsbuildinfo/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('src/types/'))).toEqual([]);
    // Each module with its declarations and its source map.
    const modules = paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js'));
    expect(modules.length).toBeGreaterThan(50);
    const incomplete = modules.filter((p) => !paths.includes(p.replace(/\.js$/, '.d.ts')) || !paths.includes(`${p}.map`));
    expect(incomplete).toEqual([]);
  });

  it('ships exactly the sources that its source maps point at', () => {
    const maps = paths.filter((p) => p.endsWith('.js.map'));
    const named = maps.flatMap((map) => {
      const { sources } = JSON.parse(fs.readFileSync(path.join(unpacked, map), 'utf8')) as { sources: string[] };
      return sources.map((source) => path.posix.join(path.posix.dirname(map), source));
    });
    expect([...new Set(named)].sort()).toEqual(paths.filter((p) => p.startsWith('src/')));
  });

  it('holds the bin, a node script marked executable, and every target of main, types and exports', () => {
    const bin = path.posix.normalize(manifest.bin['joblib-ts']!);
    expect(bin).toBe('dist/cli/main.js');
    expect(fs.readFileSync(path.join(unpacked, bin), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    // Executable in the tarball: the build marks it (tsc writes 0644, and npm marks a bin only when
    // package.json names it without `./`).
    const listing = run('tar', ['-tvzf', tarball], scratch).split('\n');
    expect(listing.find((line) => line.endsWith(` package/${bin}`))).toMatch(/^-rwxr-xr-x /);
    const leaves = (entry: unknown): string[] => (typeof entry === 'string' ? [entry] : Object.values(entry as object).flatMap(leaves));
    const targets = [manifest.main, manifest.types, ...leaves(manifest.exports)];
    const missing = targets.map((t) => path.posix.normalize(t)).filter((t) => !paths.includes(t));
    expect(missing).toEqual([]);
  });

  it('stays small: about 0.5 MB packed, 2.1 MB unpacked, 500 files today', () => {
    expect(packed.size).toBeLessThan(1_000_000);
    expect(packed.unpackedSize).toBeLessThan(4_000_000);
    expect(paths.length).toBeLessThan(800);
  });
});

describe('installed from the tarball into a new project', () => {
  beforeAll(() => {
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true, type: 'module' }));
    // @types/node as a TypeScript user has it; bullmq and ioredis are left out (optional peers).
    run('npm', ['install', tarball, `@types/node@${manifest.devDependencies['@types/node']}`, '--prefer-offline', '--no-audit', '--no-fund'], app);
    fs.cpSync(CONSUMERS, app, { recursive: true });
    fs.copyFileSync(path.join(import.meta.dirname, 'consumer.ts'), path.join(app, 'consumer.ts'));
  }, 300_000);

  it('is a copy of the tarball with its dependencies, without the optional peers', () => {
    const installed = path.join(app, 'node_modules', 'joblib-ts');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(manifest.version);
    for (const dependency of ['@node-rs/xxhash', 'acorn', 'acorn-globals', 'acorn-walk', 'lz4-napi']) {
      expect(fs.existsSync(path.join(app, 'node_modules', dependency, 'package.json')), dependency).toBe(true);
    }
    expect(fs.existsSync(path.join(app, 'node_modules', 'bullmq'))).toBe(false);
    // The native helpers load from where the install put them (the loader's path, from dist/).
    if (process.platform === 'linux' && process.arch === 'x64') {
      const loaded = run(process.execPath, ['-e', `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(
        path.join(installed, 'native', 'build', 'joblib_native-linux-x64.node'))}); console.log(Object.keys(m.exports).join())`], app);
      expect(loaded).toBe('adviseHugePages,mapFile,lz4DecodeBlocks,lz4DecodeBlocksAsync,inflateOpen,inflateStep,inflateStepAsync\n');
    }
    expect(fs.existsSync(path.join(app, 'node_modules', 'ioredis'))).toBe(false);
  });

  it('serves an ESM app: Parallel on processes with its own module\'s export, a Memory hit, dump/load, FormatError', () => {
    expect(run(process.execPath, ['consumer.mjs'], app)).toBe('esm: Parallel on 2 processes, a Memory hit, dump/load, FormatError\n');
  });

  it('serves a CommonJS app the same, and loads joblib-ts/bullmq, which names its missing peers when used', () => {
    expect(run(process.execPath, ['consumer.cjs'], app))
      .toBe('cjs: Parallel on 2 processes, a Memory hit, dump/load, FormatError, joblib-ts/bullmq without bullmq installed\n');
  });

  it('types a strict TypeScript project, results inferred from the function given to delayed', () => {
    // No --skipLibCheck: the shipped declarations must check in a project without our devDependencies.
    typecheck('consumer.ts', app);
  });

  it('links the joblib-ts bin, executable, and runs it through npx from the project', () => {
    const linked = path.join(app, 'node_modules', '.bin', 'joblib-ts');
    expect(fs.realpathSync(linked)).toBe(path.join(fs.realpathSync(app), 'node_modules', 'joblib-ts', 'dist', 'cli', 'main.js'));
    expect(fs.statSync(linked).mode & 0o111).toBe(0o111);
    // --no-install: the bin must come from the project, never from the registry.
    const help = run('npx', ['--no-install', 'joblib-ts', '--help'], app);
    expect(help).toMatch(/^Usage: joblib-ts <command> \[options\]\n/);
    expect(help).toContain('\n  inspect FILE ');
    expect(run('npx', ['--no-install', 'joblib-ts', '--version'], app)).toBe(`${manifest.version}\n`);
  });
});
