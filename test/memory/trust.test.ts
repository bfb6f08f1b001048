// What a user must be able to trust of Memory (issue 10): a cached function never returns a
// result another function computed (same name, anonymous functions, another version in another
// process, an output moved to another entry), receivers are part of the key, nothing is
// written or removed outside the location, a shelved result read from a file acts only inside
// a real cache, and a full or read-only disk costs the cache, never the result.

import { xxh3 } from '@node-rs/xxhash';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CacheEntryError, dumpSync, FormatError, InvalidOptionError, loadSync, Memory, MemorizedResult, registerType,
} from '../../src/index.js';
import { canMountTmpfs, mountTmpfs } from '../tmpfs.js';

let root: string;
let dir: string;
let warnings: Error[];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-trust-'));
  dir = path.join(root, 'cache');
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
  fs.rmSync(root, { recursive: true, force: true });
});
const flushWarnings = () => new Promise((resolve) => setImmediate(resolve));
const filesUnder = (folder: string): string[] => (fs.readdirSync(folder, { recursive: true }) as string[]).sort();

describe('a cached function never returns another function\'s result', () => {
  it('keeps two processes running different versions of one module apart, on one location', async () => {
    // Each process checks the stored source once; before keys hashed the code, the second
    // version cleared the folder, the first then stored f(1) under a key both computed alike,
    // and the second served that value.
    const script = path.join(import.meta.dirname, 'fixtures', 'two-versions.mjs');
    const start = (name: string, offset: number) => {
      const child = spawn(process.execPath, [script, dir, path.join(root, name), String(offset)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      return {
        call: async (x: number) => {
          child.stdin.write(`call ${x}\n`);
          const { value } = await lines.next();
          return Number(String(value).replace('RESULT ', ''));
        },
        stop: () => child.kill(),
      };
    };
    const v1 = start('v1', 1);
    const v2 = start('v2', 100);
    try {
      expect(await v1.call(2)).toBe(3); // v1 records its source
      expect(await v2.call(3)).toBe(103); // v2 finds another source: clears, records its own
      expect(await v1.call(1)).toBe(2); // v1 (checked already) stores f(1)
      expect(await v2.call(1)).toBe(101); // must not be v1's 2
      expect(await v1.call(1)).toBe(2);
    } finally {
      v1.stop();
      v2.stop();
    }
  }, 30_000);

  it('clears a function\'s entries when another run brings a new version of its source, with a CacheWarning', () => {
    const run = (offset: number) => {
      const work = path.join(root, `run-${offset}`);
      const script = path.join(import.meta.dirname, 'fixtures', 'two-versions.mjs');
      return execFileSync(process.execPath, [script, dir, work, String(offset)], { input: 'call 1\n', encoding: 'utf8', stdio: 'pipe' });
    };
    expect(run(1)).toBe('RESULT 2\n');
    const outputsBefore = filesUnder(dir).filter((f) => f.endsWith('output.bin'));
    expect(outputsBefore).toHaveLength(1);
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'two-versions.mjs'), dir, path.join(root, 'run-100'), '100']);
    return new Promise<void>((resolve) => {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', () => {
        expect(stdout).toBe('RESULT 101\n');
        expect(stderr).toMatch(/CacheWarning: The source of lib\.model\.f changed since its results were cached .*: clearing them/);
        expect(filesUnder(dir).filter((f) => f.endsWith('output.bin'))).toHaveLength(1); // the old entry is gone
        resolve();
      });
      child.stdin.end('call 1\n');
    });
  }, 30_000);

  it('recomputes an output that was moved into another entry\'s folder, with a CacheWarning', async () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const f = memory.cache(function f(x: number) {
      runs += 1;
      return { x };
    });
    f(1);
    f(2);
    const [a, b] = filesUnder(dir).filter((file) => file.endsWith('output.bin')).map((file) => path.join(dir, file));
    const bytesA = fs.readFileSync(a!);
    fs.writeFileSync(a!, fs.readFileSync(b!));
    fs.writeFileSync(b!, bytesA);
    expect([f(1).x, f(2).x, f(1).x, f(2).x]).toEqual([1, 2, 1, 2]);
    expect(runs).toBe(4);
    await flushWarnings();
    expect(warnings.filter((w) => w.name === 'CacheWarning' && /holds the output of another entry/.test(w.message))).toHaveLength(2);
  });
});

describe('receivers', () => {
  it('passes the receiver to a cached method and keys its state', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    class Scaler {
      constructor(public k: number) {}
      declare scale: (x: number) => number;
    }
    Scaler.prototype.scale = memory.cache(function scale(this: Scaler, x: number) {
      runs += 1;
      return this.k * x;
    });
    const a = new Scaler(2);
    expect(a.scale(3)).toBe(6);
    a.k = 5;
    expect(a.scale(3)).toBe(15); // not the stale 6
    expect(new Scaler(2).scale(3)).toBe(6); // an equal receiver: a hit
    expect(runs).toBe(2);
  });

  it('follows the state of a bound receiver', () => {
    const memory = new Memory(dir, { verbose: 0 });
    let runs = 0;
    const counter = {
      k: 2,
      times(x: number) {
        runs += 1;
        return this.k * x;
      },
    };
    const times = memory.cache(counter.times.bind(counter));
    expect(times(3)).toBe(6);
    counter.k = 5;
    expect(times(3)).toBe(15);
    expect(times(3)).toBe(15);
    const withBoundArgument = memory.cache(counter.times.bind(counter, 4));
    expect(withBoundArgument()).toBe(20);
    expect(runs).toBe(3);
  });

  it('refuses a method called without a receiver with a clear TypeError; ignore: [\'this\'] leaves it out of the key', () => {
    const memory = new Memory(dir, { verbose: 0 });
    const scale = memory.cache(function scale(this: { k: number }, x: number) {
      return this.k * x;
    });
    // TypeScript already refuses this call (a `this` parameter); JavaScript callers get a clear error.
    const unbound = scale as unknown as (x: number) => number;
    expect(() => unbound(3)).toThrow(TypeError);
    expect(() => unbound(3)).toThrow(/reads `this` but was called without a receiver.*bind/);
    let runs = 0;
    const loose = memory.cache(function loose(this: { k: number }, x: number) {
      runs += 1;
      return this.k * x;
    }, { ignore: ['this'] });
    expect(loose.apply({ k: 2 }, [3])).toBe(6);
    expect(loose.apply({ k: 9 }, [3])).toBe(6); // the receiver is ignored, as asked
    expect(runs).toBe(1);
    expect(() => memory.cache((x: number) => x, { ignore: ['this'], name: 'arrow' })).toThrow(/ignore names 'this'/);
  });
});

describe('Memory(null) and options', () => {
  it('Memory(null) prints nothing and caches nothing', () => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const f = new Memory(null).cache(function f(x: number) {
        return x * 2;
      });
      expect([f(1), f(1)]).toEqual([2, 2]);
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual([]);
  });

  it('refuses unknown options, naming the nearest valid one', () => {
    expect(() => new Memory(dir, { mmapMode: 'r' } as never)).toThrow(InvalidOptionError);
    expect(() => new Memory(dir, { mmapMode: 'r' } as never)).toThrow(/'mmapMode' is not an option of Memory/);
    expect(() => new Memory(dir, { compres: 'lz4' } as never)).toThrow(/did you mean 'compress'/);
    const memory = new Memory(dir, { verbose: 0 });
    expect(() => memory.cache((x: number) => x, { ignor: ['x'] } as never)).toThrow(/did you mean 'ignore'/);
    expect(() => memory.reduceSize({ byteLimit: 10 } as never)).toThrow(/did you mean 'bytesLimit'/);
  });

  it('shelves results again after memory.clear(), and records the function source again', () => {
    const memory = new Memory(dir, { verbose: 0 });
    const f = memory.cache(function f(x: number) {
      return x;
    });
    f(1);
    memory.clear();
    expect(f.callAndShelve(2).get()).toBe(2);
    expect(fs.existsSync(path.join(dir, 'test.memory.trust.test', 'f', 'func_code.js'))).toBe(true);
  });

  it('prints the Loading line for async functions too (verbose 2)', async () => {
    const memory = new Memory(dir, { verbose: 2 });
    const f = memory.cache(async function later(x: number) {
      return x;
    });
    await f(1);
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    try {
      await f(1);
    } finally {
      process.stderr.write = write;
    }
    expect(lines.join('')).toMatch(/\[Memory\] Loading later from /);
  });
});

describe('nothing leaves the location', () => {
  it('keeps entries of a function named like a path inside the location; clear() removes nothing outside', () => {
    const victim = path.join(root, 'victim');
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'keep.txt'), 'keep');
    const memory = new Memory(dir, { verbose: 0 });
    const named = { ['../../victim'](x: number) {
      return x;
    } };
    const escapee = memory.cache(named['../../victim']);
    expect(escapee(1)).toBe(1);
    const byOption = memory.cache((x: number) => x + 1, { name: '../../../victim' });
    expect(byOption(1)).toBe(2);
    escapee.clear();
    byOption.clear();
    expect(fs.readdirSync(root).sort()).toEqual(['cache', 'victim']);
    expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('keep');
  });

  it('a shelved result read from a file acts only inside a real cache location', () => {
    const victim = path.join(root, 'victim');
    fs.mkdirSync(path.join(victim, 'x'), { recursive: true });
    fs.writeFileSync(path.join(victim, 'x', 'keep.txt'), 'keep');
    const file = path.join(root, 'evil.bin');
    dumpSync(new MemorizedResult(victim, 'local', ['x'], 'output.bin'), file);
    const loaded = loadSync<MemorizedResult>(file);
    expect(() => loaded.clear()).toThrow(CacheEntryError);
    expect(() => loaded.clear()).toThrow(/is not a joblib-ts cache location/);
    expect(() => loaded.get()).toThrow(CacheEntryError);
    expect(fs.readFileSync(path.join(victim, 'x', 'keep.txt'), 'utf8')).toBe('keep');

    dumpSync(new MemorizedResult(dir, 'local', ['..', '..', 'victim'], 'output.bin'), file);
    expect(() => loadSync(file)).toThrow(FormatError);
    dumpSync(new MemorizedResult(dir, 'local', ['m', 'f', 'k'], '../../keep.txt'), file);
    expect(() => loadSync(file)).toThrow(FormatError);
  });

  it('a malformed shelved result in a file is a FormatError, not a TypeError', () => {
    // Write a registered value whose state is 5 by writing it under a twin name, then renaming it in place.
    for (const state of [5, null, ['a'], [1, 2, 3, 4]]) {
      const bytes = craftShelved(state);
      expect(() => loadSync(bytes)).toThrow(FormatError);
      expect(() => loadSync(bytes)).toThrow(/MemorizedResult is malformed/);
    }
  });
});

// The registered name is patched in a dump's structure and its checksum recomputed: the file is
// then exactly what a hostile writer could produce.
class Twin {
  constructor(readonly state: unknown) {}
}
registerType(Twin, { name: 'joblib-ts/MemorizedResulX', encode: (t) => t.state, decode: (s) => new Twin(s) });
function craftShelved(state: unknown): Buffer {
  const file = path.join(root, 'twin.bin');
  dumpSync(new Twin(state), file);
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf('joblib-ts/MemorizedResulX');
  bytes.write('t', at + 'joblib-ts/MemorizedResul'.length);
  const structureLength = Number(bytes.readBigUInt64LE(16));
  bytes.writeBigUInt64LE(xxh3.xxh64(bytes.subarray(64, 64 + structureLength)), 40);
  return bytes;
}

// Real filesystems: tmpfs mounts, read-only and full. Root can mount them here and in CI; elsewhere these are skipped.
describe.skipIf(!canMountTmpfs())('a full or read-only disk costs the cache, never the result', () => {
  const mounted: (() => void)[] = [];
  const mount = (options: string): string => {
    const { folder, unmount } = mountTmpfs(options);
    mounted.push(unmount);
    return folder;
  };
  afterEach(() => {
    for (const unmount of mounted.splice(0)) unmount();
  });

  it('returns the value with a CacheWarning on a read-only folder, sync and async', async () => {
    const readOnly = mount('size=1m,ro');
    const memory = new Memory(path.join(readOnly, 'cache'), { verbose: 0 });
    const square = memory.cache(function square(x: number) {
      return x * x;
    });
    const later = memory.cache(async function later(x: number) {
      return x + 1;
    });
    expect(square(3)).toBe(9);
    expect(await later(3)).toBe(4);
    await flushWarnings();
    expect(warnings.filter((w) => w.name === 'CacheWarning' && /returned but not cached: writing it failed/.test(w.message)))
      .toHaveLength(2);
  });

  it('returns the value on a full disk and leaves no partial entry', async () => {
    const tiny = mount('size=64k');
    const memory = new Memory(tiny, { verbose: 0 });
    const big = memory.cache(function big(n: number) {
      return new Float64Array(n).fill(1);
    });
    expect(big(100_000).length).toBe(100_000); // 800 KB into 64 KB
    expect(big(10)[9]).toBe(1); // small ones still cache
    expect(big.checkCallInCache(10)).toBe(true);
    expect(big.checkCallInCache(100_000)).toBe(false);
    expect(filesUnder(tiny).filter((f) => f.includes('.tmp'))).toEqual([]);
    // Now not even a function's source fits: the call still returns its value.
    const filler = fs.openSync(path.join(tiny, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(filler, Buffer.alloc(4096));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(filler);
    }
    const other = memory.cache(function other(x: number) {
      return x + 1;
    });
    expect(other(1)).toBe(2);
    expect(filesUnder(tiny).filter((f) => f.includes('.tmp'))).toEqual([]);
    await flushWarnings();
    expect(warnings.some((w) => w.name === 'CacheWarning' && /ENOSPC/.test(w.message))).toBe(true);
  });
});
