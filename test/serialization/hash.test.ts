import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hash, registerType, SerializationError } from '../../src/index.js';

describe('hash', () => {
  it('is 32 lowercase hex digits (128 bits)', () => {
    expect(hash({ a: 1 })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores object key order, at every depth', () => {
    expect(hash({ b: 2, a: [1, 2] })).toBe(hash({ a: [1, 2], b: 2 }));
    expect(hash({ x: { q: 1, p: 2 } })).toBe(hash({ x: { p: 2, q: 1 } }));
  });

  it('ignores Set and Map insertion order, for primitive and object members', () => {
    expect(hash(new Set(['b', 'a']))).toBe(hash(new Set(['a', 'b'])));
    expect(hash(new Set([1, { a: 1 }, 'x']))).toBe(hash(new Set(['x', { a: 1 }, 1])));
    expect(
      hash(
        new Map([
          ['b', 1],
          ['a', 2],
        ]),
      ),
    ).toBe(
      hash(
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      ),
    );
    expect(
      hash(
        new Map<unknown, unknown>([
          [{ k: 1 }, 1],
          [2, 'two'],
        ]),
      ),
    ).toBe(
      hash(
        new Map<unknown, unknown>([
          [2, 'two'],
          [{ k: 1 }, 1],
        ]),
      ),
    );
  });

  it('keeps array order', () => {
    expect(hash([1, 2])).not.toBe(hash([2, 1]));
  });

  it('hashes equal values equal whether or not they share objects', () => {
    const shared = { n: 1 };
    expect(hash([shared, shared])).toBe(hash([{ n: 1 }, { n: 1 }]));
  });

  it('tells apart values that differ only in type', () => {
    const values: unknown[] = [
      1,
      '1',
      1n,
      true,
      null,
      undefined,
      [1],
      { 0: 1 },
      new Set([1]),
      new Map([[0, 1]]),
      new Float64Array([1]),
      new Float32Array([1, 0]),
      new Uint8Array(new Float64Array([1]).buffer),
      Buffer.from(new Float64Array([1]).buffer),
      new Date(1),
      /1/,
      new Error('1'),
      // eslint-disable-next-line no-sparse-arrays -- a hole differs from undefined
      [, 1],
      [undefined, 1],
      -0,
      0,
      Number.NaN,
      'a',
      ['a'],
      [['a']],
      Object.assign(Object.create(null), { 0: 1 }),
    ];
    const digests = values.map(hash);
    expect(new Set(digests).size).toBe(values.length);
  });

  it('changes when one element of a large typed array changes', () => {
    const a = new Float64Array(3_000_000).map((_, i) => i);
    const before = hash(a);
    a[2_999_999] = 0;
    expect(hash(a)).not.toBe(before);
    expect(hash(a.slice())).toBe(hash(a));
  });

  it('hashes a view by its own elements, not the buffer behind it', () => {
    const whole = new Int32Array([9, 1, 2, 9]);
    expect(hash(whole.subarray(1, 3))).toBe(hash(new Int32Array([1, 2])));
  });

  it('hashes cycles by their shape, without looping', () => {
    const a: Record<string, unknown> = { v: 1 };
    a.self = a;
    const b: Record<string, unknown> = { v: 1 };
    b.self = b;
    const c: Record<string, unknown> = { v: 2 };
    c.self = c;
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
  });

  it('hashes registered class instances by their registered state', () => {
    class Vec {
      constructor(public xs: number[]) {}
    }
    registerType(Vec, { name: 'test/Vec', encode: (v) => v.xs, decode: (xs: number[]) => new Vec(xs) });
    expect(hash(new Vec([1, 2]))).toBe(hash(new Vec([1, 2])));
    expect(hash(new Vec([1, 2]))).not.toBe(hash([1, 2]));
  });

  it('hashes long and non-ASCII strings', () => {
    expect(hash('é'.repeat(40_000))).not.toBe(hash('é'.repeat(39_999)));
    expect(hash('日本')).toBe(hash('日本'));
  });

  it('keeps these pinned digests forever (stable across runs and machines)', () => {
    expect({
      string: hash('This is a string to hash'),
      tuple: hash([123456, 54321, -98765]),
      object: hash({ abcde: 123, sadfas: [-9999, 2, 3] }),
      floats: hash(new Float64Array([1.5, -2.25, 1e300])),
      mixed: hash({ m: new Map([['k', new Set([1n, null])]]), d: new Date(0), u: undefined }),
      bigint: hash([255n, -(2n ** 70n)]),
    }).toEqual({
      string: 'f1512b58361d6793d9cd582c2277eac1',
      tuple: '9500a2557e2ad5dccd330e41df70a09a',
      object: '34590908abed47419560b86688fd1f76',
      floats: '1a99736a14544031443f4613b76e7a9d',
      mixed: '48bc9dde8f1a2c7f9727ec1ffd02ddc9',
      bigint: 'e48ec63c442458a0c92fd49cffa913f0',
    });
  });

  it('hashes a sparse array by the entries present: a length of 2^31 costs nothing', () => {
    const sparse = (length: number, entries: Record<number, unknown>): unknown[] => {
      const array: unknown[] = [];
      array.length = length;
      for (const [index, item] of Object.entries(entries)) array[Number(index)] = item;
      return array;
    };
    const huge = sparse(2 ** 31, { 5: 'a', [2 ** 30]: { b: 1 } });
    expect(hash(huge)).toBe(hash(sparse(2 ** 31, { [2 ** 30]: { b: 1 }, 5: 'a' })));
    expect(hash(huge)).not.toBe(hash(sparse(2 ** 31, { 6: 'a', [2 ** 30]: { b: 1 } })));
    expect(hash(huge)).not.toBe(hash(sparse(2 ** 31 + 1, { 5: 'a', [2 ** 30]: { b: 1 } })));
    expect(hash(sparse(4, { 0: 1 }))).not.toBe(hash([1]));
    // eslint-disable-next-line no-sparse-arrays -- holes are what is hashed here
    expect(hash([1, , , 4])).not.toBe(hash([1, , 4, ,]));
    expect(hash(Object.assign([1, 2], { extra: 'not an index' }))).toBe(hash([1, 2]));
  });

  it('keeps the pinned digests of sparse arrays (runs of holes hashed by their length)', () => {
    const huge: unknown[] = [];
    huge.length = 2 ** 31;
    huge[7] = 'x';
    // eslint-disable-next-line no-sparse-arrays -- a hole between two entries
    expect([hash([1, , 3]), hash(huge)]).toEqual(['1a07a42d0bb58de95801d03ed962f8d3', 'b7008a52789a1607ccb0c7e26ca94b37']);
  });

  it('reads only the entries present of a sparse array, not every index up to its length', () => {
    let reads = 0;
    const target: unknown[] = [];
    target.length = 1_000_000;
    target[10] = 'x';
    target[500_000] = 'y';
    const counted = new Proxy(target, {
      get: (t, key, receiver) => ((reads += 1), Reflect.get(t, key, receiver)),
      has: (t, key) => ((reads += 1), Reflect.has(t, key)),
    });
    expect(hash(counted)).toBe(hash(target));
    expect(reads).toBeLessThan(100);
  });

  it('refuses a value nested too deeply with SerializationError, as dump does', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => hash(deep)).toThrow(SerializationError);
    expect(() => hash(deep)).toThrow(/nested too deeply/);
    expect(hash([[1]])).toMatch(/^[0-9a-f]{32}$/); // the sink is clean afterwards
  });

  it('gives the same digest in a separate process', () => {
    const script = `
      import { hash } from './src/serialization/hash.ts';
      process.stdout.write(hash({ rows: [{ id: 1, name: 'x' }], arr: new Uint16Array([1, 2, 3]), s: new Set(['b', 'a']) }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(out).toBe(
      hash({ s: new Set(['a', 'b']), arr: new Uint16Array([1, 2, 3]), rows: [{ name: 'x', id: 1 }] }),
    );
  });
});
