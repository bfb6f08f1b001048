import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, registerType, SerializationError, UnregisteredTypeError } from '../../../src/index.js';
import { decodeValue } from '../../../src/serialization/codec/decoder.js';
import { encodeValue } from '../../../src/serialization/codec/encoder.js';

/** Encodes then decodes, laying blocks out in a data section as the file format does. */
function roundTrip<T>(value: T): T {
  const { structure, blocks, dataLength } = encodeValue(value);
  const data = new Uint8Array(dataLength);
  for (const block of blocks) data.set(block.bytes, block.offset);
  return decodeValue(structure, data) as T;
}

const typedArrays = [
  new Int8Array([-1, 2]),
  new Uint8Array([1, 255]),
  new Uint8ClampedArray([0, 255]),
  new Int16Array([-300, 300]),
  new Uint16Array([65535]),
  new Int32Array([-(2 ** 31)]),
  new Uint32Array([2 ** 32 - 1]),
  new Float32Array([1.5, Number.NaN]),
  new Float64Array([Math.PI, -0]),
  new BigInt64Array([-(2n ** 63n)]),
  new BigUint64Array([2n ** 64n - 1n]),
];

describe('codec round trip', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['booleans', [true, false]],
    [
      'small and large integers',
      [
        0,
        1,
        127,
        128,
        255,
        256,
        65535,
        65536,
        2 ** 32,
        2 ** 53 - 1,
        -1,
        -32,
        -33,
        -129,
        -32769,
        -(2 ** 31) - 1,
        -(2 ** 53) + 1,
      ],
    ],
    [
      'floats and specials',
      [
        0.1,
        -2.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        2 ** 53 + 2,
      ],
    ],
    [
      'strings',
      ['', 'a', 'héllo wörld', '日本語', '😀', 'x'.repeat(100), 'é'.repeat(5000), 'y'.repeat(70000)],
    ],
    ['bigints, one of a million bits', [0n, -1n, 15n, -255n, 2n ** 64n, -(2n ** 200n), 2n ** 1_000_000n - 1n]],
    ['nested containers', { a: [1, { b: [2, [3, { c: null }]] }], d: {} }],
    ['Date, including invalid', [new Date(0), new Date(1_700_000_000_123), new Date(Number.NaN)]],
    ['RegExp with flags', [/a+b/gimsuy, /\//]],
    [
      'Map with object keys',
      new Map<unknown, unknown>([
        [1, 'one'],
        [{ k: 1 }, [2]],
        ['s', new Map([[null, undefined]])],
      ]),
    ],
    ['Set', new Set([1, 'a', { b: 2 }, null])],
    ['every typed array', typedArrays],
    [
      'DataView and ArrayBuffer',
      [new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2), new Uint8Array([9, 8]).buffer],
    ],
    ['Buffer', Buffer.from('bytes')],
    ['null-prototype object', Object.assign(Object.create(null), { a: 1 })],
  ])('keeps %s', (_name, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  it('keeps -0 distinct from 0 and NaN as NaN', () => {
    const [negativeZero, zero, nan] = roundTrip([-0, 0, Number.NaN]);
    expect(Object.is(negativeZero, -0)).toBe(true);
    expect(Object.is(zero, 0)).toBe(true);
    expect(nan).toBeNaN();
  });

  it('keeps the element type and values of large typed arrays stored as blocks', () => {
    const big = new Float64Array(10_000).map((_, i) => i * 0.5);
    const back = roundTrip({ big, small: new Float64Array([1, 2]) });
    expect(back.big).toBeInstanceOf(Float64Array);
    expect(back.big).toEqual(big);
    expect(back.small).toEqual(new Float64Array([1, 2]));
  });

  it('keeps views into part of a larger buffer as just that part', () => {
    const whole = new Int32Array(1000).map((_, i) => i);
    const part = whole.subarray(10, 20);
    expect(roundTrip(part)).toEqual(new Int32Array([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
  });

  it('keeps sparse arrays sparse, including holes after objects and blocks', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point of the test
    const sparse = [{ a: 1 }, new Float64Array(200), , 'x'];
    sparse.length = 10;
    const back = roundTrip({ sparse, after: { b: 2 } });
    expect(back.sparse.length).toBe(10);
    expect(2 in back.sparse).toBe(false);
    expect(back.sparse[0]).toEqual({ a: 1 });
    expect(back.sparse[1]).toEqual(new Float64Array(200));
    expect(back.sparse[3]).toBe('x');
    expect(back.after).toEqual({ b: 2 });
  });

  it('keeps shared references shared and cycles cyclic', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { name: 'root' };
    cyclic.self = cyclic;
    const list: unknown[] = [];
    list.push(list);
    const map = new Map<string, unknown>();
    map.set('me', map);
    const back = roundTrip({ a: shared, b: shared, cyclic, list, map });
    expect(back.a).toBe(back.b);
    expect(back.cyclic.self).toBe(back.cyclic);
    expect(back.list[0]).toBe(back.list);
    expect(back.map.get('me')).toBe(back.map);
  });

  it('keeps the same typed array object shared', () => {
    const array = new Float64Array(100);
    const back = roundTrip([array, array]);
    expect(back[0]).toBe(back[1]);
  });

  it('keeps Error class, message, stack, cause and own properties', () => {
    const cause = new RangeError('inner');
    const error = Object.assign(new TypeError('outer', { cause }), { code: 'E_BAD', detail: { n: 1 } });
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe('outer');
    expect(back.stack).toBe(error.stack);
    expect(back.cause).toBeInstanceOf(RangeError);
    expect((back.cause as Error).message).toBe('inner');
    expect(back.code).toBe('E_BAD');
    expect(back.detail).toEqual({ n: 1 });
  });

  it('keeps custom error names and AggregateError members', () => {
    class ValidationError extends Error {
      override name = 'ValidationError';
    }
    const back = roundTrip([new ValidationError('bad input'), new AggregateError([new Error('a')], 'many')]);
    expect(back[0]).toBeInstanceOf(Error);
    expect((back[0] as Error).name).toBe('ValidationError');
    expect(back[1]).toBeInstanceOf(AggregateError);
    expect((back[1] as AggregateError).errors[0].message).toBe('a');
  });

  it('keeps an Error whose cause chain leads back to itself', () => {
    const outer = new Error('outer');
    const inner = new Error('inner', { cause: outer });
    outer.cause = inner;
    const selfish = Object.assign(new TypeError('me'), { me: null as unknown });
    selfish.me = selfish;
    const back = roundTrip([outer, selfish]);
    expect((back[0]!.cause as Error).cause).toBe(back[0]);
    expect((back[1] as typeof selfish).me).toBe(back[1]);
    expect(back[1]).toBeInstanceOf(TypeError);
  });

  it('keeps a "__proto__" key as plain data without touching prototypes', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const back = roundTrip(value);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('round-trips arbitrary values of every supported type (property)', () => {
    const leaf = fc.oneof(
      fc.constantFrom(Number.NaN, -0, 0, Number.POSITIVE_INFINITY),
      fc.date({ noInvalidDate: true }),
      fc.bigInt(),
      fc.string({ unit: 'grapheme' }),
      fc.double(),
      fc.integer(),
      fc.constant(/ab+c/gi),
      fc.float64Array(),
      fc.int8Array(),
      fc.uint16Array(),
      fc.bigInt64Array(),
      fc.uint8Array({ minLength: 500, maxLength: 700 }),
      fc.string().map((message) => new RangeError(message)),
    );
    const value = fc.anything({
      values: [leaf],
      withMap: true,
      withSet: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withObjectString: false,
      withBoxedValues: false,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe('registerType', () => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}

    norm(): number {
      return Math.hypot(this.x, this.y);
    }
  }
  registerType(Point, {
    name: 'test/Point',
    encode: (p) => [p.x, p.y],
    decode: ([x, y]: number[]) => new Point(x!, y!),
  });

  it('rebuilds instances with their prototype, shared references included', () => {
    const p = new Point(3, 4);
    const back = roundTrip({ p, again: p, list: [new Point(1, 0)] });
    expect(back.p).toBeInstanceOf(Point);
    expect(back.p.norm()).toBe(5);
    expect(back.again).toBe(back.p);
    expect(back.list[0]!.norm()).toBe(1);
  });

  it('refuses at dump time a registered state that refers back to its own instance', () => {
    class Node {
      parent: Node | null = null;
    }
    registerType(Node, {
      name: 'test/Node',
      encode: (n) => ({ parent: n.parent }),
      decode: () => new Node(),
    });
    const loop = new Node();
    loop.parent = loop;
    expect(() => encodeValue({ loop })).toThrow(SerializationError);
    expect(() => encodeValue({ loop })).toThrow(
      /value\.loop<test\/Node state>\.parent: it refers back to the test\/Node instance/,
    );
  });

  it('rejects a name already taken by another class', () => {
    class Other {
      readonly kind = 'other';
    }
    expect(() =>
      registerType(Other, { name: 'test/Point', encode: () => 0, decode: () => new Other() }),
    ).toThrow(/already registered for another class/);
  });

  it('fails to load a registered type that this process does not know, naming it', () => {
    class Temp {
      readonly kind = 'temp';
    }
    registerType(Temp, { name: 'test/Temp', encode: () => 1, decode: () => new Temp() });
    const { structure } = encodeValue(new Temp());
    const renamed = Buffer.from(
      Buffer.from(structure).toString('latin1').replace('test/Temp', 'test/Gone'),
      'latin1',
    );
    expect(() => decodeValue(renamed, null)).toThrow(UnregisteredTypeError);
    expect(() => decodeValue(renamed, null)).toThrow(/"test\/Gone".*registerType/);
  });

  it('turns an error thrown by a registered decode into a FormatError naming the type, the original as cause', () => {
    // A file can hold any state under a registered name; a decode that trusts its shape throws.
    class Pair {
      constructor(readonly state: unknown) {}
    }
    registerType(Pair, {
      name: 'test/Pair',
      encode: (p) => p.state,
      decode: ([a, b]: [unknown, unknown]) => new Pair([a, b]),
    });
    const { structure } = encodeValue({ nested: [new Pair(5)] });
    let thrown: unknown;
    try {
      decodeValue(structure, null);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FormatError);
    expect((thrown as Error).message).toMatch(/registered type "test\/Pair" could not be rebuilt: its decode threw TypeError: .*not iterable/);
    expect((thrown as Error).cause).toBeInstanceOf(TypeError);
    expect(roundTrip(new Pair([1, 2]))).toEqual(new Pair([1, 2]));
  });
});

describe('hostile structures', () => {
  const decode = (bytes: number[]) => () => decodeValue(Uint8Array.from(bytes), null);

  it.each([
    ['an array claiming 2^32-1 items', [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a map claiming 65535 entries', [0xde, 0xff, 0xff]],
    ['a string longer than the input', [0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]],
    ['an extension longer than the input', [0xc9, 0x10, 0x00, 0x00, 0x00, 0x01]],
    ['a block outside the data section', [0xc7, 18, 1, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]],
    ['a reference to nothing', [0x91, 0xc7, 0x01, 0x09, 0x05]],
    ['a negative reference', [0x91, 0xc7, 0x01, 0x09, 0xff]],
    ['a fractional reference', [0x91, 0xc7, 0x09, 0x09, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]],
    ['an unknown extension', [0xc7, 0x00, 0x63]],
    ['a reserved type byte', [0xc1]],
    ['trailing bytes', [0x01, 0x02]],
    ['nothing at all', []],
    ['a sparse array of fractional length', [0xc7, 10, 11, 0x91, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]],
    ['a sparse array with a fractional index', [0xc7, 12, 11, 0x93, 0x03, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0, 0xc0]],
  ])('rejects %s with FormatError', (_name, bytes) => {
    expect(decode(bytes)).toThrow(FormatError);
  });
});
