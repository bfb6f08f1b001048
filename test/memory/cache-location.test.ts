// CacheLocation, the Memory layer under `joblib-ts cache`: it opens only real cache locations,
// lists functions and entries with their metadata without recording an access, prunes by
// exactly Memory.reduceSize's rule (dry or not), and clears functions or everything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheLocationError } from '../../src/errors.js';
import { CacheLocation } from '../../src/memory/cache-location.js';
import { Memory } from '../../src/index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-location-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;

/** Two functions, `square` (5 entries) and `label` (2), each entry last used `i` days ago. */
function fill(location: string): void {
  const memory = new Memory(location, { verbose: 0 });
  const square = memory.cache(function square(x: number) {
    return new Float64Array(100 * (x + 1)).fill(x);
  });
  const label = memory.cache(function label(x: number) {
    return `item ${x}`;
  });
  for (let i = 0; i < 5; i++) square(i);
  for (let i = 0; i < 2; i++) label(i);
  const now = Date.now();
  for (const [i, entry] of CacheLocation.open(location).functions().flatMap((f) => f.entries).entries()) {
    const when = new Date(now - i * DAY);
    fs.utimesSync(path.join(location, ...entry.path, 'metadata.json'), when, when);
  }
}

/** Every file under a folder, with its mtime: what "untouched" compares. */
const snapshot = (folder: string): string[] =>
  (fs.readdirSync(folder, { recursive: true }) as string[]).sort()
    .map((f) => `${f} ${fs.statSync(path.join(folder, f)).mtimeMs}`);

describe('CacheLocation.open', () => {
  it('refuses a folder Memory never wrote, a missing folder and a file, and changes nothing', () => {
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    fs.mkdirSync(path.join(dir, 'sub', 'key'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'key', 'metadata.json'), '{}');
    const before = snapshot(dir);
    expect(() => CacheLocation.open(dir)).toThrow(CacheLocationError);
    expect(() => CacheLocation.open(dir)).toThrow(/is not a joblib-ts cache location: it has no \.joblib-ts-cache file.*Nothing was changed/);
    expect(() => CacheLocation.open(path.join(dir, 'missing'))).toThrow(/cannot be read as a cache location: ENOENT/);
    expect(() => CacheLocation.open(path.join(dir, 'precious.txt'))).toThrow(/is not a folder/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('names the enclosing cache location when given a folder inside one', () => {
    fill(dir);
    const inner = path.join(dir, CacheLocation.open(dir).functions()[0]!.module);
    expect(() => CacheLocation.open(inner)).toThrow(`It is inside the cache location ${dir}: give that folder.`);
  });
});

describe('CacheLocation', () => {
  it('lists functions with their entries, sizes and metadata, and finds them by name or module/name', () => {
    fill(dir);
    const functions = CacheLocation.open(dir).functions();
    expect(functions.map((f) => [f.functionName, f.entries.length])).toEqual([['label', 2], ['square', 5]]);
    const square = functions[1]!;
    expect(square.module).toBe(functions[0]!.module);
    expect(square.folder).toEqual([square.module, 'square']);
    expect(square.sizeBytes).toBe(square.entries.reduce((sum, e) => sum + e.sizeBytes, 0));
    const sizes = square.entries.map((e) => {
      const files = fs.readdirSync(path.join(dir, ...e.path));
      return files.reduce((sum, f) => sum + fs.statSync(path.join(dir, ...e.path, f)).size, 0);
    });
    expect(square.entries.map((e) => e.sizeBytes)).toEqual(sizes);
    for (const entry of square.entries) {
      expect(entry.key).toMatch(/^[0-9a-f]{32}$/);
      expect(entry.args).toMatch(/^square\(x=\d\)$/);
      expect(entry.durationMs).toBeGreaterThanOrEqual(0);
      expect(entry.createdMs).toBeLessThanOrEqual(Date.now());
    }
    expect(square.lastAccessMs).toBe(Math.max(...square.entries.map((e) => e.lastAccessMs)));
    expect(square.oldestCreatedMs).toBe(Math.min(...square.entries.map((e) => e.createdMs!)));
    const location = CacheLocation.open(dir);
    expect(location.find('square')).toHaveLength(1);
    expect(location.find(`${square.module}/square`)).toHaveLength(1);
    expect(location.find('other/square')).toEqual([]);
  });

  it('records no access by listing: entries keep their last-access times, and prune still evicts the oldest', () => {
    fill(dir);
    const location = CacheLocation.open(dir);
    const before = location.functions().flatMap((f) => f.entries.map((e) => e.lastAccessMs));
    expect(location.functions().flatMap((f) => f.entries.map((e) => e.lastAccessMs))).toEqual(before);
    expect(location.prune({ ageLimit: { days: 3.5 } }).removed.map((e) => e.lastAccessMs)).toEqual(
      before.filter((ms) => ms < Date.now() - 3.5 * DAY).sort((a, b) => a - b));
  });

  it.each([
    ['bytesLimit', { bytesLimit: '4K' }],
    ['itemsLimit', { itemsLimit: 3 }],
    ['ageLimit', { ageLimit: { days: 2.5 } }],
    ['all three', { bytesLimit: '1M', itemsLimit: 6, ageLimit: 4.5 * DAY }],
  ])('prunes by %s exactly as Memory.reduceSize does, and a dry run removes nothing', (_, limits) => {
    fill(dir);
    const twin = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-twin-'));
    try {
      fs.cpSync(dir, twin, { recursive: true, preserveTimestamps: true });
      const location = CacheLocation.open(dir);
      const before = snapshot(dir);
      const dry = location.prune(limits, { dryRun: true });
      expect(snapshot(dir)).toEqual(before);
      expect(dry.removed.length).toBeGreaterThan(0);
      expect(dry.removed.length + dry.kept.length).toBe(7);
      const done = location.prune(limits);
      expect(done).toEqual(dry);
      expect(keysIn(dir)).toEqual(done.kept.map((e) => e.key).sort());
      const reduced = new Memory(twin, { verbose: 0 }).reduceSize(limits);
      expect(reduced).toEqual({ removedItems: done.removed.length, removedBytes: done.removed.reduce((sum, e) => sum + e.sizeBytes, 0) });
      expect(keysIn(twin)).toEqual(keysIn(dir));
    } finally {
      fs.rmSync(twin, { recursive: true, force: true });
    }
  });

  it('clears chosen functions\' folders, or everything while keeping the location marked', () => {
    fill(dir);
    const location = CacheLocation.open(dir);
    const [label, square] = location.functions();
    location.clear([label!]);
    expect(fs.existsSync(path.join(dir, ...label!.folder))).toBe(false);
    expect(location.functions().map((f) => f.functionName)).toEqual(['square']);
    expect(fs.existsSync(path.join(dir, ...square!.folder, 'func_code.js'))).toBe(true);
    location.clearAll();
    expect(fs.readdirSync(dir)).toEqual(['.joblib-ts-cache']);
    expect(CacheLocation.open(dir).functions()).toEqual([]);
  });
});

/** The entry keys under a location. */
const keysIn = (folder: string): string[] =>
  (fs.readdirSync(folder, { recursive: true }) as string[]).filter((f) => f.endsWith('metadata.json'))
    .map((f) => path.basename(path.dirname(f))).sort();
