// `joblib-ts cache ls|prune|clear`, run as users run it, on real Memory locations filled by the
// built package (three functions, seven entries, last used 0 to 10 days ago): listings as text
// and JSON, prune by each limit and dry, clear with and without --yes, and folders that are not
// caches refused and left untouched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, runCliJson, runFixture } from './run-cli.js';

const DAY = 86_400_000;
/** How long ago each entry was last used, by the call it stores. */
const AGES: Readonly<Record<string, number>> = {
  'score(name="a")': 10 * DAY, 'score(name="b")': 9 * DAY,
  'train(epochs=1, rate=0.1)': 4 * DAY, 'train(epochs=2, rate=0.1)': 3 * DAY, 'train(epochs=3, rate=0.1)': 2 * DAY,
  'train(epochs=4, rate=0.1)': 1 * DAY, 'embed(word="cat")': 0,
};
/** The calls, least recently used first: the order prune removes them in. */
const BY_AGE = Object.keys(AGES);

interface Entry {
  readonly folder: string;
  readonly call: string;
  readonly key: string;
  readonly sizeBytes: number;
}

/** The entries on disk, by call. */
function entriesIn(location: string): Map<string, Entry> {
  const found = new Map<string, Entry>();
  for (const file of fs.readdirSync(location, { recursive: true }) as string[]) {
    if (path.basename(file) !== 'metadata.json') continue;
    const folder = path.join(location, path.dirname(file));
    const { args } = JSON.parse(fs.readFileSync(path.join(folder, 'metadata.json'), 'utf8')) as { args: string };
    const sizeBytes = fs.readdirSync(folder).reduce((sum, f) => sum + fs.statSync(path.join(folder, f)).size, 0);
    found.set(args, { folder, call: args, key: path.basename(folder), sizeBytes });
  }
  return found;
}

/** Every file under a folder with its size and mtime: what "untouched" compares. */
const snapshot = (folder: string): string[] =>
  (fs.readdirSync(folder, { recursive: true }) as string[]).sort().map((f) => {
    const stat = fs.statSync(path.join(folder, f));
    return `${f} ${stat.size} ${stat.mtimeMs}`;
  });

/** The cache the fixture makes, once; each test works on a fresh copy of it. */
let template: string;
beforeAll(() => {
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-cache-template-'));
  runFixture('make-cache.mjs', [template]);
});
afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

let dir: string;
let now: number;
/** The entries as the fixture made them, by call. */
let made: Map<string, Entry>;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-cache-cli-'));
  fs.cpSync(template, dir, { recursive: true });
  now = Date.now();
  made = entriesIn(dir);
  for (const entry of made.values()) {
    const when = new Date(now - AGES[entry.call]!);
    fs.utimesSync(path.join(entry.folder, 'metadata.json'), when, when);
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Listing {
  location: string;
  functions: { module: string; function: string; entryCount: number; sizeBytes: number; lastAccess: string; oldestEntry: string | null;
    entries?: { key: string; sizeBytes: number; lastAccess: string; created: string | null; durationMs: number | null; call: string | null }[]; }[];
  totals: { functions: number; entries: number; sizeBytes: number };
}

interface Pruned {
  dryRun: boolean;
  limits: { bytesLimit: number | null; itemsLimit: number | null; ageLimitMs: number | null };
  removed: { module: string; function: string; key: string; sizeBytes: number; lastAccess: string }[];
  removedBytes: number;
  kept: { key: string }[];
  keptBytes: number;
}

const total = (calls: readonly string[]): number => calls.reduce((sum, call) => sum + made.get(call)!.sizeBytes, 0);
const keysOf = (calls: readonly string[]): string[] => calls.map((call) => made.get(call)!.key);

describe('joblib-ts cache ls', () => {
  it('prints one row per function and a totals line', async () => {
    const { status, stdout, stderr } = await runCli(['cache', 'ls', dir]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^function +entries +size +last access +oldest entry$/);
    expect(lines[1]).toMatch(/^make-cache\/embed +1 +1\.\d kB +(just now|\d+ seconds? ago) +(just now|\d+ seconds? ago)$/);
    expect(lines[2]).toMatch(/^make-cache\/score +2 +\d+ B +1 week ago +(just now|\d+ seconds? ago)$/);
    expect(lines[3]).toMatch(/^make-cache\/train +4 +\d+\.\d kB +1 day ago +(just now|\d+ seconds? ago)$/);
    expect(lines[4]).toBe(`total: 3 functions, 7 entries, ${(total(BY_AGE) / 1000).toFixed(1)} kB in ${dir}`);
  });

  it('gives functions and totals as JSON, sorted as asked', async () => {
    const listing = await runCliJson(['cache', 'ls', dir]) as Listing;
    expect(listing.location).toBe(dir);
    expect(listing.totals).toEqual({ functions: 3, entries: 7, sizeBytes: total(BY_AGE) });
    const train = listing.functions.find((f) => f.function === 'train')!;
    expect(train).toMatchObject({ module: 'make-cache', entryCount: 4, sizeBytes: total(BY_AGE.slice(2, 6)) });
    // The time set on its metadata.json a day back (to the millisecond: file times are stored as fractions of a second).
    expect(Math.abs(Date.parse(train.lastAccess) - (now - DAY))).toBeLessThanOrEqual(1);
    expect(Date.parse(train.oldestEntry!)).toBeLessThanOrEqual(now);
    expect(train.entries).toBeUndefined();
    const order = async (sort: string): Promise<string[]> =>
      ((await runCliJson(['cache', 'ls', dir, '--sort', sort])) as Listing).functions.map((f) => f.function);
    expect(listing.functions.map((f) => f.function)).toEqual(['embed', 'score', 'train']);
    expect(await order('size')).toEqual(['train', 'embed', 'score']);
    expect(await order('access')).toEqual(['embed', 'train', 'score']);
  });

  it('lists entries with their metadata, and only the functions named', async () => {
    const listing = await runCliJson(['cache', 'ls', dir, 'train', '--entries', '--sort', 'access']) as Listing;
    expect(listing.functions.map((f) => f.function)).toEqual(['train']);
    const byOption = await runCliJson(['cache', 'ls', dir, '--function', 'train', '-f', 'embed']) as Listing;
    expect(byOption.functions.map((f) => f.function)).toEqual(['embed', 'train']);
    const entries = listing.functions[0]!.entries!;
    expect(entries.map((e) => e.call)).toEqual(BY_AGE.slice(2, 6).reverse());
    expect(entries.map((e) => e.key)).toEqual(keysOf(BY_AGE.slice(2, 6).reverse()));
    for (const entry of entries) {
      expect(entry.sizeBytes).toBe(entriesIn(dir).get(entry.call!)!.sizeBytes);
      expect(entry.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(entry.created!)).toBeLessThanOrEqual(now);
    }
    const text = await runCli(['cache', 'ls', dir, 'make-cache/score', '--entries']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^make-cache\/score: 2 entries, \d+ B, last access 1 week ago, oldest entry .*\n {2}key +size +last access +computed in +call\n/);
    expect(text.stdout).toMatch(new RegExp(`\\n {2}${keysOf(['score(name="b")'])[0]} +\\d+ B +1 week ago +\\d+ ms +score\\(name="b"\\)\\n`));
    expect(text.stdout).toContain(`\ntotal: 1 function, 2 entries, ${total(BY_AGE.slice(0, 2))} B in ${dir}\n`);
  });

  it('records no access: listing leaves every entry as it was, and LRU order intact', async () => {
    const before = snapshot(dir);
    await runCli(['cache', 'ls', dir, '--entries']);
    await runCliJson(['cache', 'ls', dir, '--entries']);
    expect(snapshot(dir)).toEqual(before);
    const pruned = await runCliJson(['cache', 'prune', dir, '--items-limit', '5']) as Pruned;
    expect(pruned.removed.map((e) => e.key)).toEqual(keysOf(BY_AGE.slice(0, 2)));
  });

  it('refuses a FUNCTION that names no cached function, with exit status 1', async () => {
    const { status, stderr } = await runCli(['cache', 'ls', dir, 'nosuch']);
    expect(status).toBe(1);
    expect(stderr).toBe(`joblib-ts cache ls: ${dir} holds no cached function named 'nosuch'. ` +
      'Cached: make-cache/embed, make-cache/score, make-cache/train.\n');
  });
});

describe('joblib-ts cache prune', () => {
  it.each([
    ['--items-limit', '3', 4],
    ['--age-limit', '5d', 2],
    ['--age-limit', '36h', 5],
    ['--age-limit', `${3.5 * DAY}`, 3],
  ])('removes exactly what Memory.reduceSize would with %s %s, least recently used first', async (option, value, count) => {
    const before = snapshot(dir);
    const dry = await runCliJson(['cache', 'prune', dir, option, value, '--dry-run']) as Pruned;
    expect(snapshot(dir)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.removed.map((e) => e.key)).toEqual(keysOf(BY_AGE.slice(0, count)));
    expect(dry.kept.map((e) => e.key)).toEqual(keysOf(BY_AGE.slice(count)));
    expect(dry.removedBytes).toBe(total(BY_AGE.slice(0, count)));
    const done = await runCliJson(['cache', 'prune', dir, option, value]) as Pruned;
    expect({ ...done, dryRun: true }).toEqual(dry);
    expect([...entriesIn(dir).keys()].sort()).toEqual(BY_AGE.slice(count).sort());
  });

  it('removes down to --bytes-limit, and says so in text', async () => {
    const limit = total(BY_AGE.slice(4));
    const removed = total(BY_AGE.slice(0, 4));
    const dry = await runCli(['cache', 'prune', dir, '--bytes-limit', String(limit), '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^would remove +key +size +last access\nmake-cache\/score +[0-9a-f]{32} +\d+ B +1 week ago\n(make-cache\/score .*\n)make-cache\/train +[0-9a-f]{32} +[\d.]+ kB +4 days ago\n/);
    expect(dry.stdout).toContain(`\nwould remove 4 entries (${(removed / 1000).toFixed(1)} kB), would keep 3 entries (` +
      `${(limit / 1000).toFixed(1)} kB) in ${dir} (dry run: nothing was removed)\n`);
    expect(entriesIn(dir).size).toBe(7);
    const done = await runCli(['cache', 'prune', dir, '--bytes-limit', String(limit)]);
    expect(done.stdout).toContain(`\nremoved 4 entries (${(removed / 1000).toFixed(1)} kB), kept 3 entries (${(limit / 1000).toFixed(1)} kB) in ${dir}\n`);
    expect([...entriesIn(dir).keys()].sort()).toEqual(BY_AGE.slice(4).sort());
    const units = await runCliJson(['cache', 'prune', dir, '--bytes-limit', '1K', '--items-limit', '10', '--age-limit', '30d']) as Pruned;
    expect(units.limits).toEqual({ bytesLimit: 1024, itemsLimit: 10, ageLimitMs: 30 * DAY });
  });

  it.each([
    [[], 'a cache folder DIR is needed.'],
    [['DIR'], 'give at least one limit: --bytes-limit, --items-limit or --age-limit.'],
    [['DIR', '--age-limit', '3 weeks'], '--age-limit must be a duration such as 30d, 12h, 90m, 45s or a number of milliseconds, got \'3 weeks\'.'],
    [['DIR', '--bytes-limit', 'lots'], '--bytes-limit must be a byte count or a string such as \'300M\' or \'1G\', got \'lots\'.'],
    [['DIR', '--items-limit', '-1'], 'Option \'--items-limit\' argument is ambiguous.'],
    [['DIR', '--items-limit', '2.5'], '--items-limit must be a whole number, got \'2.5\'.'],
    [['DIR', 'other', '--items-limit', '1'], 'one DIR only; got <dir> other.'],
  ])('refuses the command line prune %j with exit status 2 and removes nothing', async (args, message) => {
    const before = snapshot(dir);
    const { status, stderr } = await runCli(['cache', 'prune', ...args.map((a) => (a === 'DIR' ? dir : a))]);
    expect(status).toBe(2);
    expect(stderr).toBe(`joblib-ts cache prune: ${message.replace('<dir>', dir)}\nRun 'joblib-ts cache prune --help' for usage.\n`);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('joblib-ts cache clear', () => {
  it('refuses to remove anything without --yes when it cannot ask', async () => {
    const before = snapshot(dir);
    const { status, stdout, stderr } = await runCli(['cache', 'clear', dir]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^joblib-ts cache clear: clear removes cached results: add --yes to remove 7 entries \([\d.]+ kB\) of 3 functions from .*\. Nothing was removed\.\n/);
    expect((await runCli(['cache', 'clear', dir, 'score'])).status).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([[['score']], [['--function', 'score']]])('removes one function\'s folder with --yes, and nothing else (%j)', async (named) => {
    const { status, stdout } = await runCli(['cache', 'clear', dir, ...named, '--yes']);
    expect(status).toBe(0);
    const bytes = total(BY_AGE.slice(0, 2));
    expect(stdout).toMatch(new RegExp(`^removed +entries +size\\nmake-cache/score +2 +${bytes} B\\n` +
      `removed 2 entries \\(${bytes} B\\) of 1 function from ${dir}\\n$`));
    expect(fs.existsSync(path.join(dir, 'make-cache', 'score'))).toBe(false);
    expect([...entriesIn(dir).keys()].sort()).toEqual(BY_AGE.slice(2).sort());
    expect(fs.existsSync(path.join(dir, 'make-cache', 'train', 'func_code.js'))).toBe(true);
  });

  it('removes everything with --yes and no FUNCTION, leaving an empty cache location', async () => {
    const cleared = await runCliJson(['cache', 'clear', dir, '--yes']) as { all: boolean; removed: { function: string }[]; entryCount: number; sizeBytes: number };
    expect(cleared).toMatchObject({ all: true, entryCount: 7, sizeBytes: total(BY_AGE) });
    expect(cleared.removed.map((f) => f.function)).toEqual(['embed', 'score', 'train']);
    expect(fs.readdirSync(dir)).toEqual(['.joblib-ts-cache']);
    const after = await runCli(['cache', 'ls', dir]);
    expect(after.stdout).toBe(`total: 0 functions, 0 entries, 0 B in ${dir}\n`);
  });

  it('refuses a name cached in two modules (give module/name), which ls shows both of', async () => {
    runFixture('make-cache.mjs', [dir], ROOT); // the same functions, as module test.cli.fixtures.make-cache
    const listing = await runCliJson(['cache', 'ls', dir, 'score']) as Listing;
    expect(listing.functions.map((f) => `${f.module}/${f.function}`)).toEqual(['make-cache/score', 'test.cli.fixtures.make-cache/score']);
    const before = snapshot(dir);
    const ambiguous = await runCli(['cache', 'clear', dir, 'score', '--yes']);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toContain('\'score\' names 2 cached functions: make-cache/score, test.cli.fixtures.make-cache/score. Give module/name.');
    expect(snapshot(dir)).toEqual(before);
    expect((await runCli(['cache', 'clear', dir, 'test.cli.fixtures.make-cache/score', '-y'])).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'make-cache', 'score'))).toBe(true);
  });

  const canUseTerminal = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!canUseTerminal)('asks at a terminal, and removes only on yes', async () => {
    const atTerminal = (answer: string) => spawnSync('script', ['-qec', `"${process.execPath}" "${CLI}" cache clear "${dir}"`, '/dev/null'],
      { input: answer, encoding: 'utf8' });
    const no = atTerminal('n\n');
    expect(no.status).toBe(1);
    expect(no.stdout).toContain(`Remove everything in ${dir}: 7 entries`);
    expect(no.stdout).toContain('Nothing was removed.');
    expect(entriesIn(dir).size).toBe(7);
    const yes = atTerminal('y\n');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain(`removed 7 entries`);
    expect(entriesIn(dir).size).toBe(0);
  });
});

describe('joblib-ts cache on a folder that is not a cache', () => {
  it.each([
    ['ls'], ['prune', '--items-limit', '0'], ['clear', '--yes'], ['clear', 'f', '--yes'],
  ])('refuses %s and leaves the folder untouched', async (command, ...rest) => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-not-a-cache-'));
    try {
      fs.writeFileSync(path.join(other, 'thesis.tex'), 'precious');
      fs.mkdirSync(path.join(other, 'mod', 'f', 'key'), { recursive: true });
      fs.writeFileSync(path.join(other, 'mod', 'f', 'key', 'metadata.json'), '{}');
      const before = snapshot(other);
      const { status, stdout, stderr } = await runCli(['cache', command, other, ...rest]);
      expect(status).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`joblib-ts cache ${command}: ${other} is not a joblib-ts cache location: it has no .joblib-ts-cache file, ` +
        'which Memory writes at the root of every location it stores results in. Nothing was changed. Give the folder passed to new Memory(folder).\n');
      expect(snapshot(other)).toEqual(before);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('names the cache location a folder is inside of, and refuses a missing folder', async () => {
    const inner = await runCli(['cache', 'clear', path.join(dir, 'make-cache'), '--yes']);
    expect(inner.status).toBe(1);
    expect(inner.stderr).toContain(`It is inside the cache location ${dir}: give that folder.`);
    expect(entriesIn(dir).size).toBe(7);
    const missing = await runCli(['cache', 'ls', path.join(dir, 'nope')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot be read as a cache location: ENOENT');
  });
});

describe('joblib-ts cache help and usage', () => {
  it.each([
    [['cache', '--help'], 'Usage: joblib-ts cache <command> [options]\n'],
    [['cache', 'ls', '--help'], 'Usage: joblib-ts cache ls DIR [FUNCTION…] [--entries] [--sort size|access|name] [--json]\n'],
    [['cache', 'prune', '-h'], 'Usage: joblib-ts cache prune DIR [--bytes-limit SIZE] [--items-limit N] [--age-limit DURATION] [--dry-run] [--json]\n'],
    [['cache', 'clear', '--help'], 'Usage: joblib-ts cache clear DIR [FUNCTION…] --yes [--json]\n'],
  ])('prints the help of %j', async (args, first) => {
    const { status, stdout } = await runCli(args);
    expect(status).toBe(0);
    expect(stdout.startsWith(first)).toBe(true);
    expect(stdout).toMatch(/Exit status: 0 ok, 1 /);
  });

  it.each([
    [[], 'joblib-ts cache: a command is needed: ls, prune, clear.\nRun \'joblib-ts cache --help\' for usage.\n'],
    [['rm', 'DIR'], 'joblib-ts cache: unknown command \'rm\'. Commands: ls, prune, clear.\nRun \'joblib-ts cache --help\' for usage.\n'],
    [['ls'], 'joblib-ts cache ls: a cache folder DIR is needed.\nRun \'joblib-ts cache ls --help\' for usage.\n'],
    [['ls', 'DIR', '--sort', 'age'], 'joblib-ts cache ls: --sort takes size, access or name; got \'age\'.\nRun \'joblib-ts cache ls --help\' for usage.\n'],
    [['ls', 'DIR', '--all'], 'joblib-ts cache ls: Unknown option \'--all\'.\nRun \'joblib-ts cache ls --help\' for usage.\n'],
    [['clear', 'DIR', '--force'], 'joblib-ts cache clear: Unknown option \'--force\'.\nRun \'joblib-ts cache clear --help\' for usage.\n'],
  ])('refuses cache %j with exit status 2', async (args, message) => {
    const { status, stderr } = await runCli(['cache', ...args.map((a) => (a === 'DIR' ? dir : a))]);
    expect(status).toBe(2);
    expect(stderr).toBe(message);
  });
});
