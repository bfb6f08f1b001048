// Memory end to end on real folders: joblib's behaviours (hits and misses, argument
// normalisation, ignore, code changes, exceptions, corruption, shelving, validation, LRU
// eviction, clear, Memory(null), async and single flight).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheEntryError, dumpSync, expiresAfter, loadSync, Memory, MemorizedResult, registerStoreBackend } from '../../src/index.js';
import { FileSystemStore } from '../../src/memory/stores/filesystem.js';

let dir: string;
let warnings: Error[];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-memory-'));
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
  fs.rmSync(dir, { recursive: true, force: true });
});
const flushWarnings = () => new Promise((resolve) => setImmediate(resolve));

/** Output files under the location, for asserting on the layout. */
const outputs = (): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /output\.\w+$/.test(f));

describe('Memory.cache', () => {
  it('computes once per distinct call, normalising defaults, undefined and literal defaults', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache(function f(a: number, b = 2, opts = { scale: 1 }) {
      runs += 1;
      return (a + b) * opts.scale;
    });
    expect(f(1)).toBe(3);
    expect(f(1)).toBe(3);
    expect(f(1, undefined)).toBe(3);
    expect(f(1, 2)).toBe(3);
    expect(f(1, 2, { scale: 1 })).toBe(3);
    expect(runs).toBe(1);
    expect(f(1, 3)).toBe(4);
    expect(f(2)).toBe(4);
    expect(runs).toBe(3);
    expect(outputs()).toHaveLength(3);
    expect(outputs()[0]).toMatch(/^test\.memory\.memory\.test\/f\/[0-9a-f]{32}\/output\.bin$/);
  });

  it('keeps a sync function sync and an async one async, and shares concurrent async calls', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    const sync = memory.cache(function double(x: number) {
      return 2 * x;
    });
    expect(sync(4)).toBe(8);
    let runs = 0;
    const slow = memory.cache(async function slowSquare(x: number) {
      runs += 1;
      await sleep(30);
      return x * x;
    });
    const pending = [slow(3), slow(3), slow(3)];
    expect(pending[0]).toBeInstanceOf(Promise);
    expect(await Promise.all(pending)).toEqual([9, 9, 9]);
    expect(runs).toBe(1);
    expect(await slow(3)).toBe(9);
    expect(runs).toBe(1);
  });

  it('leaves ignored parameters out of the key and rejects unknown names', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache((x: number, debug = false) => {
      runs += 1;
      return debug ? -x : x;
    }, { ignore: ['debug'], name: 'withDebug' });
    expect(f(2)).toBe(2);
    expect(f(2, true)).toBe(2); // a hit: debug is not part of the key
    expect(runs).toBe(1);
    expect(() => memory.cache((x: number) => x, { ignore: ['y'], name: 'g' })).toThrow(/ignore names 'y'.*parameters are 'x'/);
    expect(() => memory.cache((x: number) => x, { ignore: 'x' as unknown as string[], name: 'h' })).toThrow(/array of parameter names/);
    const decorated = memory.cache({ ignore: ['verbose'] })(function decorated(n: number, verbose = 0) {
      runs += 1;
      return n + verbose * 0;
    });
    decorated(1, 1);
    decorated(1, 2);
    expect(runs).toBe(2);
  });

  it('keys rest and destructured parameters', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const sum = memory.cache(function sum(...xs: number[]) {
      runs += 1;
      return xs.reduce((a, b) => a + b, 0);
    });
    expect([sum(1, 2), sum(1, 2), sum(1, 2, 3)]).toEqual([3, 3, 6]);
    const area = memory.cache(function area({ w, h }: { w: number; h: number }) {
      runs += 1;
      return w * h;
    });
    expect([area({ w: 2, h: 3 }), area({ h: 3, w: 2 }), area({ w: 3, h: 3 })]).toEqual([6, 6, 9]);
    expect(runs).toBe(4);
  });

  it('returns an output it cannot store, with a CacheWarning, and caches promises from sync functions', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    const makeCallback = memory.cache(function makeCallback(x: number) {
      return { x, callback: () => x };
    });
    expect(makeCallback(1).callback()).toBe(1);
    await flushWarnings();
    expect(warnings.some((w) => w.name === 'CacheWarning' && /returned but not cached: its output cannot be serialized/.test(w.message)))
      .toBe(true);
    let runs = 0;
    // One definition, cached by two Memories (as two processes would).
    const cacheLater = (on: Memory) => on.cache(function later(x: number) {
      runs += 1;
      return Promise.resolve(x * 2);
    });
    const later = cacheLater(memory);
    expect(await later(4)).toBe(8);
    const hit = later(4);
    expect(hit).toBeInstanceOf(Promise); // a hit keeps the function's convention
    expect(await hit).toBe(8);
    expect(runs).toBe(1);
    const fresh = cacheLater(new Memory(dir, { verbose: 0 }));
    const freshHit = fresh(4);
    expect(freshHit).toBeInstanceOf(Promise); // also in a new Memory (another process) that never computed it
    expect(await freshHit).toBe(8);
    expect(runs).toBe(1);
  });

  it('never caches exceptions', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const fails = memory.cache(function fails(x: number): number {
      runs += 1;
      throw new RangeError(`bad ${x}`);
    });
    expect(() => fails(1)).toThrow(RangeError);
    expect(() => fails(1)).toThrow('bad 1');
    expect(runs).toBe(2);
    expect(outputs()).toEqual([]);
  });

  it('returns large typed arrays from a hit as views of one aligned read', () => {
    const memory = new Memory(dir, { verbose: 0 });
    const make = memory.cache(function make(n: number) {
      return { values: Float64Array.from({ length: n }, (_, i) => i / 3) };
    });
    const first = make(100_000);
    const hit = make(100_000);
    expect(hit.values).toEqual(first.values);
    expect(hit.values.byteOffset % 64).toBe(0);
  });

  it('keeps two different functions cached under one name apart, with a JoblibCollisionWarning', async () => {
    let runs = 0;
    const v1 = new Memory(dir, { verbose: 0 }).cache(function step(x: number) {
      runs += 1;
      return x + 1;
    }, { name: 'step' });
    const v2 = new Memory(dir, { verbose: 0 }).cache(function step(x: number) {
      runs += 1;
      return x + 100;
    }, { name: 'step' });
    expect([v1(1), v2(1), v1(1), v2(1)]).toEqual([2, 101, 2, 101]);
    expect(runs).toBe(2);
    await flushWarnings();
    expect(warnings.find((w) => w.name === 'JoblibCollisionWarning')!.message).toMatch(/two different functions/);
    // Both live in this process: neither clears the other's entries.
    expect(warnings.some((w) => w.name === 'CacheWarning')).toBe(false);
  });

  it('never lets two anonymous functions of one module read each other\'s results', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    const one = memory.cache(() => 1);
    const two = memory.cache(() => 2);
    const fetchA = memory.cache(async (url: string) => `a:${url}`);
    const fetchB = memory.cache(async (url: string) => `b:${url}`);
    expect([one(), two(), one(), two()]).toEqual([1, 2, 1, 2]);
    expect([await fetchA('x'), await fetchB('x'), await fetchA('x')]).toEqual(['a:x', 'b:x', 'a:x']);
  });

  it('recomputes a corrupt or deleted entry with a warning; a shelved result then raises CacheEntryError', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache(function f(x: number) {
      runs += 1;
      return { x, text: 'y'.repeat(100) };
    });
    const shelved = f.callAndShelve(7);
    expect(shelved.get().x).toBe(7);
    const file = path.join(dir, outputs()[0]!);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 50)); // truncated
    expect(() => shelved.get()).toThrow(CacheEntryError);
    expect(() => shelved.get()).toThrow(/corrupted/);
    expect(f(7).x).toBe(7);
    expect(runs).toBe(2);
    await flushWarnings();
    expect(warnings.some((w) => w.name === 'CacheWarning' && /could not be loaded.*recomputing/s.test(w.message))).toBe(true);
    fs.rmSync(file);
    expect(f(7).x).toBe(7);
    expect(runs).toBe(3);
  });

  it('shelves results as references that survive dump/load, and clear() removes the entry', () => {
    const memory = new Memory(dir, { verbose: 0 });
    const f = memory.cache(function f(x: number) {
      return new Float32Array([x, x + 1]);
    });
    const shelved = f.callAndShelve(5);
    expect(shelved).toBeInstanceOf(MemorizedResult);
    const file = path.join(dir, 'shelved.bin');
    dumpSync(shelved, file);
    const back = loadSync<MemorizedResult<Float32Array>>(file);
    expect([...back.get()]).toEqual([5, 6]);
    back.clear();
    expect(() => shelved.get()).toThrow(/no longer exists/);
    expect(f.checkCallInCache(5)).toBe(false);
  });

  it('checkCallInCache follows the cache and the validation callback; expiresAfter recomputes', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache(function f(x: number) {
      runs += 1;
      return x;
    }, { cacheValidationCallback: expiresAfter({ seconds: 0.3 }) });
    expect(f.checkCallInCache(1)).toBe(false);
    f(1);
    expect(f.checkCallInCache(1)).toBe(true);
    f(1);
    expect(runs).toBe(1);
    await sleep(400);
    expect(f.checkCallInCache(1)).toBe(false);
    f(1);
    expect(runs).toBe(2);
    const slowOnly = memory.cache(function g(x: number) {
      runs += 1;
      return x;
    }, { cacheValidationCallback: (meta) => meta.durationMs > 1000 });
    slowOnly(1);
    slowOnly(1);
    expect(runs).toBe(4); // quick results are never served
  });

  it('call() recomputes and returns the output with its metadata', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache(function f(x: number) {
      runs += 1;
      return x * 10;
    });
    f(2);
    const { output, metadata } = f.call(2);
    expect(output).toBe(20);
    expect(runs).toBe(2);
    expect(metadata).toMatchObject({ functionName: 'f', args: 'f(x=2)', key: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(metadata.sizeBytes).toBeGreaterThan(0);
    const asyncF = memory.cache(async function af(x: number) {
      return x;
    });
    expect((await asyncF.call(3)).output).toBe(3);
  });

  it('Memory(null) never caches; callAndShelve holds the value in memory', () => {
    const memory = new Memory(null);
    let runs = 0;
    const f = memory.cache(function f(x: number) {
      runs += 1;
      return x;
    });
    f(1);
    f(1);
    expect(runs).toBe(2);
    const shelved = f.callAndShelve(3);
    expect(shelved.get()).toBe(3);
    shelved.clear();
    expect(() => shelved.get()).toThrow(CacheEntryError);
    expect(f.checkCallInCache(1)).toBe(false);
    expect(memory.reduceSize({ itemsLimit: 0 })).toEqual({ removedItems: 0, removedBytes: 0 });
  });

  it('prints joblib-style lines when verbose', () => {
    const memory = new Memory(dir, { verbose: 1 });
    const f = memory.cache(function costly(data: Float64Array, column = 0) {
      return data[column];
    });
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    try {
      f(new Float64Array(1000), 2);
      f(new Float64Array(1000), 2);
    } finally {
      process.stderr.write = write;
    }
    const text = lines.join('');
    expect(text.match(/\[Memory\] Calling .*costly\.\.\./g)).toHaveLength(1);
    expect(text).toContain('costly(data=Float64Array(1000), column=2)');
    expect(text).toMatch(/_+costly - \d+\.\ds, \d+\.\dmin/);
  });
});

/** One function, as two processes would both cache it. */
function blob(i: number): string {
  return 'x'.repeat(900) + i;
}

describe('Memory.reduceSize and clear', () => {
  const fill = async (memory: Memory) => {
    const f = memory.cache(blob);
    for (let i = 0; i < 10; i++) {
      f(i);
      await sleep(15); // distinct access times
    }
    return f;
  };

  it('evicts least recently used entries first down to bytesLimit', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    const f = await fill(memory);
    f(0); // entry 0 becomes the most recently used
    const { removedItems } = memory.reduceSize({ bytesLimit: '3K' });
    expect(removedItems).toBe(8);
    expect(f.checkCallInCache(0)).toBe(true);
    expect(f.checkCallInCache(9)).toBe(true);
    expect(f.checkCallInCache(1)).toBe(false);
  });

  it('keeps itemsLimit entries, drops entries older than ageLimit, and validates limits', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    const f = await fill(memory);
    memory.reduceSize({ itemsLimit: 4 });
    expect([0, 5, 6, 7, 8, 9].map((i) => f.checkCallInCache(i))).toEqual([false, false, true, true, true, true]);
    await sleep(200);
    f(9); // its first hit in this Memory: recorded as an access
    // Another Memory on the location (as another process would) records its own accesses.
    const again = new Memory(dir, { verbose: 0 }).cache(blob);
    again(8);
    memory.reduceSize({ ageLimit: { seconds: 0.15 } });
    expect([6, 7, 8].map((i) => f.checkCallInCache(i))).toEqual([false, false, true]);
    expect(() => memory.reduceSize({ ageLimit: -1 })).toThrow(/non-negative duration/);
    expect(() => memory.reduceSize({ bytesLimit: 'lots' })).toThrow(/bytesLimit must be a byte count/);
  });

  it('counts only recorded accesses: reading an entry\'s files (a backup, a listing) does not make it recent', () => {
    const memory = new Memory(dir, { verbose: 0 });
    memory.cache(blob)(1);
    const store = new FileSystemStore(dir);
    const [item] = store.sync.list();
    const past = new Date(Date.now() - 86_400_000);
    fs.utimesSync(path.join(dir, ...item!.path, 'metadata.json'), past, past); // last used a day ago
    const before = store.sync.list()[0]!.lastAccessMs;
    for (const file of fs.readdirSync(path.join(dir, ...item!.path))) fs.readFileSync(path.join(dir, ...item!.path, file));
    expect(store.sync.list()[0]!.lastAccessMs).toBe(before);
    expect(memory.reduceSize({ ageLimit: { hours: 1 } }).removedItems).toBe(1);
  });

  it('runs on a registered store backend and refuses an unknown one', () => {
    registerStoreBackend('nested', (location) => new FileSystemStore(path.join(location, 'nested')));
    const memory = new Memory(dir, { verbose: 0, store: 'nested' });
    const f = memory.cache(function f(x: number) {
      return x + 1;
    });
    expect(f(1)).toBe(2);
    expect(f.checkCallInCache(1)).toBe(true);
    expect(outputs()[0]).toMatch(/^nested\//);
    expect(() => new Memory(dir, { store: 'nope' })).toThrow(/Unknown store backend 'nope'; registered: 'local', 'nested'/);
  });

  it('clear() empties the location; eval() caches a call', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    await fill(memory);
    memory.clear();
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    let runs = 0;
    const triple = (x: number): number => {
      runs += 1;
      return 3 * x;
    };
    expect(memory.eval(triple, 2)).toBe(6);
    expect(memory.eval(triple, 2)).toBe(6);
    expect(runs).toBe(1);
  });
});
