// `joblib-ts inspect`, run as users run it, on real dumps written by the built package: each
// compression method, a big typed array, every kind of value, a registered type this process
// never registers; --json, --depth, --no-verify; damaged files refused with load's message.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.js';
import { CLI, FIXTURES, ROOT, runCli, runCliJson, runFixture } from './run-cli.js';
import { nativeHelpers } from '../../src/native.js';
import { hasZstd } from '../node-zstd.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-inspect-'));
  runFixture('make-dumps.mjs', [dir]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const at = (name: string): string => path.join(dir, name);

/** What `load` (the built package, in its own process) says of a file it refuses. */
function loadMessage(file: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e',
    `import { load } from 'joblib-ts'; load(${JSON.stringify(file)}).then(() => process.stdout.write('loaded'), (e) => process.stdout.write(e.name + ': ' + e.message));`,
  ], { cwd: ROOT, encoding: 'utf8' });
}

/** The structure part of the text report: from the line after `structure` to the end. */
const treeOf = (stdout: string): string => stdout.slice(stdout.indexOf('\n', stdout.indexOf('\nstructure ') + 1) + 1);

describe('joblib-ts inspect', () => {
  it.each([
    ['model.bin', 'none (uncompressed)'],
    ['model.z', 'zlib, level 7–9 (FLEVEL 3: maximum); 36.0 MB uncompressed, ratio'],
    ['model.gz', 'gzip, level 0–1 (XFL 4: fastest); 36.0 MB uncompressed, ratio'],
    ['model.lz4', 'lz4, no level recorded (LZ4 frames carry none); 36.0 MB uncompressed, ratio'],
  ])('shows the wrapper, the container and the structure of %s', async (name, wrapper) => {
    const { status, stdout, stderr } = await runCli(['inspect', at(name)]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain(`\nwrapper     ${wrapper}`);
    expect(stdout).toMatch(/\ncontainer {3}format 1, flags 0x0001 \(references\)\n {12}structure [\d.]+ kB at byte 64, data section 36\.0 MB at byte \d+\n/);
    // The native LZ4 decoder leaves the frame's checksum to the XXH3 ones, and inspect says so.
    const streamChecked = name === 'model.z' || name === 'model.gz' || (name === 'model.lz4' && nativeHelpers() === null);
    expect(stdout).toContain(!streamChecked ? 'checksums   XXH3 of structure and data verified\n'
      : `checksums   XXH3 of structure and data verified; the ${name === 'model.z' ? 'zlib' : name === 'model.gz' ? 'gzip' : 'lz4'} stream's own checksum verified\n`);
    for (const expected of [
      '\nObject {13 keys}\n',
      '\n  .weights  Float64Array(4000000)  32.0 MB (block @0)\n',
      '\n  .counts  Int32Array(1000000)  4.0 MB (block @32000000)\n',
      '\n  .bias  Float32Array(100)  400 B (inline)\n',
      '\n  .meta  Object {4 keys}\n    .name  string "model"\n    .epoch  number 3\n    .created  Date 2026-01-05T10:00:00.000Z\n    .tags  Set(3)\n',
      '\n  .vocab  Map(30)\n    .get("w0")  number 0\n',
      '\n    … 10 more\n',
      '\n  .big  BigInt 1208925819614629174706176n\n',
      '\n  .error  Error RangeError: too far\n    .cause  Error Error: root\n    .code  string "E_FAR"\n',
      '\n  .point  demo/Point\n    <state>  Array(2)\n      [0]  number 1\n',
      '\n  .sparse  Array(10) sparse, 2 present\n    [0]  number 1\n    [9]  string "ten"\n',
      '\n  .options  Object {1 key}  #',
      '\n  .again  reference → .options (Object)\n',
      '\n  .nothing  undefined\n',
      '\n  .rows  Array(50)\n    [0]  Object {2 keys}\n      .id  number 0\n',
      '\nlargest blocks\n  32.0 MB  .weights  Float64Array(4000000) @0\n   4.0 MB  .counts   Int32Array(1000000) @32000000\n',
    ]) expect(stdout).toContain(expected);
    expect(stdout).toMatch(/\ntypes {7}86 string, 85 number, 53 Object, 3 Array, 1 BigInt, .*, 1 demo\/Point, 1 reference, 1 undefined\n/);
    expect(stdout).toContain('\nreferences  1\nblocks      2, 36.0 MB\n');
  });

  it('shows one structure whatever the compression', async () => {
    const trees = await Promise.all(['model.bin', 'model.z', 'model.gz', 'model.lz4'].map(async (name) => treeOf((await runCli(['inspect', at(name)])).stdout)));
    expect(new Set(trees).size).toBe(1);
  });

  it('gives the same as one JSON document with --json', async () => {
    const binSize = fs.statSync(at('model.bin')).size;
    const report = await runCliJson(['inspect', at('model.z')]) as InspectReport;
    expect(report.file).toBe(at('model.z'));
    expect(report.wrapper).toEqual({
      method: 'zlib', level: { field: 'FLEVEL', value: 3, meaning: 'maximum', levels: [7, 9] }, fileBytes: fs.statSync(at('model.z')).size,
      containerBytes: binSize, ratio: binSize / fs.statSync(at('model.z')).size, streamVerified: true,
    });
    expect(report.container).toMatchObject({ version: 1, flags: 1, hasReferences: true, tag: null, headerBytes: 64, checksumsVerified: true });
    expect(report.container.dataOffset % 64).toBe(0);
    expect(report.container.dataOffset + report.container.dataLength).toBe(binSize);
    expect(report.container.structureChecksum).toMatch(/^[0-9a-f]{16}$/);
    const { structure } = report;
    expect(structure).toMatchObject({ depth: 3, maxChildren: 20, references: 1, blocks: 2, blockBytes: 36_000_000 });
    expect(structure.root.children!.map((c) => c.key)).toEqual([
      '.weights', '.counts', '.bias', '.meta', '.vocab', '.big', '.error', '.point', '.sparse', '.options', '.again', '.nothing', '.rows',
    ]);
    expect(structure.root.children![0]).toEqual({
      key: '.weights', kind: 'binary', type: 'Float64Array', structureBytes: 21, id: 1, elementType: 'float64', length: 4_000_000,
      byteLength: 32_000_000, storage: 'block', blockOffset: 0,
    });
    expect(structure.typeCounts).toContainEqual({ type: 'demo/Point', count: 1 });
    expect(structure.largestBlocks[0]).toEqual({ path: '.weights', type: 'Float64Array', length: 4_000_000, byteLength: 32_000_000, offset: 0 });
    const rows = structure.root.children!.find((c) => c.key === '.rows')!;
    expect(rows).toMatchObject({ size: 50, omitted: 30 });
    expect(rows.children).toHaveLength(20);
  });

  it('lists as deep as --depth says, and counts everything whatever the depth', async () => {
    const root = await runCli(['inspect', at('small.bin'), '--depth', '0']);
    expect(treeOf(root.stdout).split('\n')[0]).toBe('Array(3)');
    expect(root.stdout).toContain('\ntypes       1 Array, 1 null, 1 number, 1 string\n');
    const one = await runCli(['inspect', at('model.lz4'), '--depth', '1']);
    expect(one.stdout).toContain('\n  .meta  Object {4 keys}\n  .vocab  Map(30)\n');
    const report = await runCliJson(['inspect', at('model.lz4'), '--depth', '1']) as InspectReport;
    expect(report.structure.root.children!.find((c) => c.key === '.meta')).toMatchObject({ size: 4, omitted: 4 });
    expect(report.structure.typeCounts).toContainEqual({ type: 'Set', count: 1 });
  });

  it.each([
    ['with a damaged data section', (bytes: Buffer) => bytes.fill(9, bytes.byteLength - 1000, bytes.byteLength - 999), 'model.bin'],
    ['truncated', (bytes: Buffer) => bytes.subarray(0, bytes.byteLength - 5000), 'model.bin'],
    ['truncated and compressed', (bytes: Buffer) => bytes.subarray(0, bytes.byteLength >> 1), 'model.lz4'],
    ['not a dump at all', () => Buffer.from('just some text\n'), 'model.bin'],
  ])('refuses a file %s with the message load gives, and exit status 1', async (_, damage, source) => {
    const file = at(`damaged-${source}-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, damage(fs.readFileSync(at(source))));
    const { status, stdout, stderr } = await runCli(['inspect', file]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    const fromLoad = loadMessage(file);
    expect(fromLoad).toMatch(/^FormatError: Cannot load /);
    expect(stderr).toBe(`joblib-ts inspect: ${fromLoad.replace(/^FormatError: Cannot load /, 'Cannot inspect ')}\n`);
  });

  it('shows a file with a damaged data section under --no-verify, saying it did not verify', async () => {
    const file = at('damaged-data.bin');
    const bytes = fs.readFileSync(at('model.bin'));
    fs.writeFileSync(file, bytes.fill(9, bytes.byteLength - 1000, bytes.byteLength - 999));
    const { status, stdout } = await runCli(['inspect', file, '--no-verify']);
    expect(status).toBe(0);
    expect(stdout).toContain('checksums   XXH3 not verified (--no-verify)\n');
    expect(stdout).toContain('.weights  Float64Array(4000000)');
    expect((await runCliJson(['inspect', file, '--no-verify']) as InspectReport).container.checksumsVerified).toBe(false);
  });

  it('recognises a registered compressor when node --import registers it first, and only then', async () => {
    const without = await runCli(['inspect', at('small.rev')]);
    expect(without.status).toBe(1);
    expect(without.stderr).toContain('It is not a joblib-ts file: it starts with fe ed');
    const registered = spawnSync(process.execPath, ['--import', path.join(FIXTURES, 'register-reversed.mjs'), CLI, 'inspect', at('small.rev')],
      { cwd: ROOT, encoding: 'utf8' });
    expect(registered.stderr).toBe('');
    expect(registered.status).toBe(0);
    expect(registered.stdout).toContain('\nwrapper     reversed, no level recorded; 128 B uncompressed, ratio ');
    expect(registered.stdout).toContain('\nArray(3)\n  [0]  number 1\n  [1]  string "two"\n  [2]  null\n');
  });

  it('shows a zstd file where Node has zstd, and refuses it naming zstd and the Node where it has not', async () => {
    const zstd = path.join(dir, 'small.zst');
    const write = (target: string, compress: string) => execFileSync(process.execPath, ['--input-type=module', '-e',
      `import { dumpSync } from 'joblib-ts'; dumpSync([1, 'two', null], ${JSON.stringify(target)}, { compress: ${compress} });`,
    ], { cwd: ROOT });
    if (!hasZstd) {
      // Written by the zstd CLI (.ci/run installs it) from the same dump uncompressed.
      if (spawnSync('zstd', ['--version']).status !== 0) return;
      write(`${zstd}.bin`, 'false');
      execFileSync('zstd', ['-q', '-f', '--rm', `${zstd}.bin`, '-o', zstd]);
      const { status, stderr } = await runCli(['inspect', zstd]);
      expect(status).toBe(1);
      expect(stderr).toMatch(new RegExp(`^joblib-ts inspect: Cannot inspect ${zstd}: It is compressed with zstd \\(it starts with ` +
        `28 B5 2F FD\\), and zstd needs node:zlib's zstd, in Node 22\\.15 or later .*; this is Node ${process.version}\\.`));
      return;
    }
    write(zstd, '\'zstd\'');
    const { status, stdout, stderr } = await runCli(['inspect', zstd]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('\nwrapper     zstd, no level recorded (zstd frames carry none); 128 B uncompressed, ratio ');
    expect(stdout).toContain('checksums   XXH3 of structure and data verified; the zstd stream\'s own checksum verified\n');
    expect(stdout).toContain('\nArray(3)\n  [0]  number 1\n');
    const report = await runCliJson(['inspect', zstd]) as InspectReport;
    expect(report.wrapper).toMatchObject({ method: 'zstd', level: null, streamVerified: true });
  });

  it('says which file it cannot read', async () => {
    const missing = await runCli(['inspect', at('missing.bin')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`joblib-ts inspect: ENOENT: no such file or directory, open '${at('missing.bin')}'\n`);
    const folder = await runCli(['inspect', dir]);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toBe(`joblib-ts inspect: Cannot inspect ${dir}: EISDIR: illegal operation on a directory, read\n`);
  });

  it.each([
    [[], 'a FILE to inspect is needed.'],
    [['a.bin', 'b.bin'], 'one FILE at a time; got 2.'],
    [['a.bin', '--depth', 'two'], '--depth must be a whole number, got \'two\'.'],
    [['a.bin', '--depth'], 'Option \'--depth <value>\' argument missing'],
    [['a.bin', '--verbose'], 'Unknown option \'--verbose\'.'],
  ])('refuses the command line inspect %j with exit status 2', async (args, message) => {
    const { status, stdout, stderr } = await runCli(['inspect', ...args]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`joblib-ts inspect: ${message}\nRun 'joblib-ts inspect --help' for usage.\n`);
  });

  it('prints its help with --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { status, stdout } = await runCli(['inspect', flag]);
      expect(status).toBe(0);
      expect(stdout).toMatch(/^Usage: joblib-ts inspect FILE \[--json\] \[--depth N\] \[--no-verify\]\n/);
      expect(stdout).toContain('--no-verify');
      expect(stdout).toContain('Exit status: 0 ok, 1 the file cannot be read or is not a sound joblib-ts dump, 2 usage error.');
    }
  });
});
