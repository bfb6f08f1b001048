// A seeded mutation fuzzer over dumps of varied values, written raw, zlib, gzip, lz4 and zstd
// (where Node has it): every input must load, or fail with FormatError or UnregisteredTypeError
// (nothing else), sync and async alike, and no load may leave a rejection unhandled. The suite
// runs a few thousand inputs; FUZZ_SEED and FUZZ_INPUTS replay a failure or run the audit's 40,000.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, load, loadSync, registerType, UnregisteredTypeError } from '../../src/index.js';
import { encodeFile } from '../../src/persistence/format.js';
import { compress, METHODS, type Method, MUTATIONS, Random } from './fuzz-inputs.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const INPUTS = Number(process.env.FUZZ_INPUTS ?? 5000);

/** A type whose decode trusts the state's shape (it throws on anything else), and one that does not. */
class Strict {
  constructor(readonly x: number, readonly y: number) {}
}
registerType(Strict, { name: 'fuzz/Strict', encode: (p) => [p.x, p.y], decode: ([x, y]: [number, number]) => new Strict(x, y) });
class Loose {
  constructor(readonly state: unknown) {}
}
registerType(Loose, { name: 'fuzz/Loose', encode: (l) => l.state, decode: (state) => new Loose(state) });

function seedValues(): unknown[] {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { c: 1 };
  cyclic.self = cyclic;
  const sparse: unknown[] = [];
  sparse[3] = 'x';
  sparse[100] = shared;
  return [
    { a: 1, b: [1, 2, { c: 'three' }], d: { e: { f: null } } },
    new Map<unknown, unknown>([[{ k: 1 }, 'object key'], ['s', new Set([1, 'two', shared])]]),
    [new Int8Array([1, -1]), new Uint16Array(300).fill(7), new Float32Array(200).fill(0.5), new BigInt64Array([-5n]),
      new Uint8ClampedArray(600), new DataView(new ArrayBuffer(16)), Buffer.from('buffer'), new ArrayBuffer(700),
      new SharedArrayBuffer(8), new Float64Array(100).map((_, i) => i / 3)],
    { big: 2n ** 100n, neg: -(2n ** 70n), dates: [new Date(0), new Date(Number.NaN)], re: /a+b/giu },
    { cyclic, shared: [shared, shared], sparse, nullProto: Object.assign(Object.create(null) as object, { p: 1 }) },
    { error: new TypeError('bad', { cause: new RangeError('root') }), many: new AggregateError([new Error('x')], 'agg') },
    { strict: new Strict(1, 2), loose: new Loose({ any: [1] }) },
    Array.from({ length: 50 }, (_, i) => ({ id: i, name: `row ${i}`, score: i / 7 })),
  ];
}

type Outcome = 'loaded' | 'FormatError' | 'UnregisteredTypeError';

function outcomeOf(error: unknown): Outcome {
  if (error instanceof FormatError) return 'FormatError';
  if (error instanceof UnregisteredTypeError) return 'UnregisteredTypeError';
  throw error;
}

describe('load fuzzing', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  it(`gives a value, FormatError or UnregisteredTypeError for ${INPUTS} mutated inputs, sync and async (seed ${SEED})`, async () => {
    const rng = new Random(SEED);
    const raws = seedValues().map((value) => Buffer.concat(encodeFile(value)));
    const tally = new Map<string, number>();
    const bad: string[] = [];
    for (let i = 0; i < INPUTS; i++) {
      const mutation = MUTATIONS[i % MUTATIONS.length]!;
      const method: Method = mutation.name.startsWith('LZ4') ? 'lz4' : METHODS[Math.floor(i / MUTATIONS.length) % METHODS.length]!;
      const raw = rng.pick(raws);
      const input = mutation.apply(rng, raw, method, rng.pick(raws));
      const where = `input ${i} (${mutation.name}, ${method})`;
      let sync: Outcome;
      try {
        loadSync(input);
        sync = 'loaded';
      } catch (error) {
        try {
          sync = outcomeOf(error);
        } catch {
          bad.push(`${where}: loadSync threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
          continue;
        }
      }
      tally.set(`${mutation.name}: ${sync}`, (tally.get(`${mutation.name}: ${sync}`) ?? 0) + 1);
      if (i % 3 === 0) {
        const asyncOutcome = await load(input).then(() => 'loaded' as const, (error: unknown) => {
          try {
            return outcomeOf(error);
          } catch {
            return `${(error as Error)?.name}: ${(error as Error)?.message}`;
          }
        });
        if (asyncOutcome !== sync) bad.push(`${where}: loadSync gave ${sync}, load gave ${asyncOutcome}`);
      }
    }
    // Native decodes run on libuv's pool: give any stray rejection a turn to surface.
    await new Promise((resolve) => setImmediate(resolve));
    if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries([...tally].sort()));
    expect(bad).toEqual([]);
    expect(unhandled).toEqual([]);
    // The fuzz is not vacuous: inputs load, and inputs are refused.
    const total = (outcome: Outcome): number => [...tally].filter(([k]) => k.endsWith(outcome)).reduce((n, [, c]) => n + c, 0);
    expect(total('loaded')).toBeGreaterThan(INPUTS / 20);
    expect(total('FormatError')).toBeGreaterThan(INPUTS / 2);
  });

  it('survives an async load of an LZ4 file of several blocks with each block damaged', async () => {
    // The audit's crash: several native block decodes fail at moments that vary.
    const rng = new Random(SEED + 1);
    const raw = Buffer.concat(encodeFile(new Float64Array(1_200_000).map((_, i) => (i % 1000) / 8)));
    const framed = compress(raw, 'lz4');
    for (let round = 0; round < 10; round++) {
      const damaged = Buffer.from(framed);
      for (let p = 15; ;) {
        const word = damaged.readUInt32LE(p);
        p += 4;
        if (word === 0) break;
        const length = word & 0x7fff_ffff;
        damaged[p + rng.int(length)]! ^= 1 + rng.int(255);
        p += length;
      }
      await expect(load(damaged)).rejects.toThrow(FormatError);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
