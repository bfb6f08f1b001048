// The `joblib-ts` program itself: its help and version, how it refuses a command line it does
// not accept (exit status 2), and that the package ships it as its `bin`: the packed tarball
// holds dist/cli/main.js with its `#!/usr/bin/env node` line, and the packed file runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from './run-cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string; bin: Record<string, string>;
};

describe('joblib-ts', () => {
  it('lists the commands it has with --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { status, stdout, stderr } = await runCli([flag]);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(stdout).toMatch(/^Usage: joblib-ts <command> \[options\]\n/);
      expect(stdout).toMatch(/\nCommands:\n {2}inspect FILE +what a dump holds.*\n {2}cache ls\|prune\|clear DIR … +list, prune or clear a Memory cache folder\n/);
      expect(stdout).toMatch(/\n {2}worker --redis URL --queue NAME +serve a BullMQ queue/);
      expect(stdout).toContain('Exit status: 0 ok, 1 failure, 2 usage error.');
    }
  });

  it('prints the package version with --version', async () => {
    const { status, stdout } = await runCli(['--version']);
    expect(status).toBe(0);
    expect(stdout).toBe(`${manifest.version}\n`);
  });

  it.each([
    [[], 'joblib-ts: a command is needed: inspect, cache, worker.'],
    [['load', 'x.bin'], 'joblib-ts: unknown command \'load\'. Commands: inspect, cache, worker.'],
    [['--verbose'], 'joblib-ts: Unknown option \'--verbose\'.'],
    [['--version', 'inspect'], 'joblib-ts: --version takes nothing after it; got \'inspect\'.'],
  ])('refuses %j with a message and exit status 2', async (args, message) => {
    const { status, stdout, stderr } = await runCli(args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${message}\nRun 'joblib-ts --help' for usage.\n`);
  });
});

describe('the joblib-ts bin', () => {
  it('is dist/cli/main.js, a node script, in the packed package, and runs from there', () => {
    expect(manifest.bin).toEqual({ 'joblib-ts': './dist/cli/main.js' });
    expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-pack-'));
    try {
      const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' })) as
        { filename: string; files: { path: string }[] }[];
      expect(packed!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/cli/main.js', 'package.json']));
      execFileSync('tar', ['-xzf', path.join(scratch, packed!.filename), '-C', scratch]);
      // The unpacked package with its dependencies beside it, as an install would have them.
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'package', 'node_modules'));
      const bin = path.join(scratch, 'package', manifest.bin['joblib-ts']!);
      expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toBe(`${manifest.version}\n`);
      const dump = path.join(scratch, 'small.bin');
      execFileSync(process.execPath, ['--input-type=module', '-e',
        `import { dumpSync } from ${JSON.stringify(path.join(scratch, 'package', 'dist', 'index.js'))}; dumpSync({ a: new Float64Array(100) }, ${JSON.stringify(dump)});`]);
      expect(execFileSync(process.execPath, [bin, 'inspect', dump], { encoding: 'utf8' })).toContain('\n  .a  Float64Array(100)  800 B (block @0)\n');
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('the CLI\'s place in the layers', () => {
  const sources = (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const importsOf = (file: string): string[] =>
    [...fs.readFileSync(path.join(ROOT, 'src', file), 'utf8').matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gm)].map((m) => m[1]!);

  it('is the top floor: nothing in the library imports it', () => {
    const offenders = sources.filter((f) => !f.startsWith(`cli${path.sep}`))
      .filter((f) => importsOf(f).some((spec) => /(^|\/)cli\//.test(spec)));
    expect(offenders).toEqual([]);
  });

  it('imports persistence, memory, serialization, the ground floor, and of parallel only the BullMQ worker', () => {
    const imports = sources.filter((f) => f.startsWith(`cli${path.sep}`)).flatMap(importsOf).filter((spec) => spec.startsWith('../'));
    const used = new Set(imports.map((spec) => spec.split('/')[1]!));
    expect([...used].sort()).toEqual(['byte-size.js', 'errors.js', 'memory', 'parallel', 'persistence', 'serialization']);
    expect(imports.filter((spec) => spec.startsWith('../parallel/')).every((spec) => spec.startsWith('../parallel/backends/bullmq/')))
      .toBe(true);
  });
});
