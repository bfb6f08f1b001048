// The table of built-in kinds (src/serialization/codec/builtin-types.ts) against what the codec
// writes, what it reads back, what the hash tells apart, and what FORMAT.md specifies. A new row
// needs an example here, or this test fails.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpSync, hash, loadSync, registerType } from '../../../src/index.js';
import { BUILTIN_TYPES } from '../../../src/serialization/codec/builtin-types.js';
import { encodeValue } from '../../../src/serialization/codec/encoder.js';

class Point {
  constructor(readonly x: number) {}
}
registerType(Point, { name: 'test/builtin-types/Point', encode: (p) => p.x, decode: (x: number) => new Point(x) });
const shared = { a: 1 };
const sparse: unknown[] = [];
sparse[5] = 1;
const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });

/** An example of each kind; what the codec stores is the value at the top of the structure. */
const EXAMPLES: Record<keyof typeof BUILTIN_TYPES, unknown> = {
  undefined: undefined,
  null: null,
  false: false,
  true: true,
  number: 1.5,
  string: 'text',
  bigint: 2n ** 70n,
  array: [1, 2],
  sparseArray: sparse,
  object: { a: 1 },
  map: new Map([[1, 2]]),
  set: new Set([1]),
  date: new Date(0),
  regexp: /a+/g,
  error: new RangeError('bad'),
  binary: new Float64Array([1, 2]),
  reference: [shared, shared],
  registered: new Point(3),
  nullProtoObject: nullProto,
  function: () => 1,
  symbol: Symbol('s'),
  instance: new (class Unregistered {
    readonly kind = 'unregistered';
  })(),
};

const rows = Object.entries(BUILTIN_TYPES) as [keyof typeof BUILTIN_TYPES, (typeof BUILTIN_TYPES)[keyof typeof BUILTIN_TYPES]][];
const format = fs.readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'FORMAT.md'), 'utf8');

/** The extension codes in a structure, in order (a scan of ext headers; enough for these small values). */
function extCodes(structure: Uint8Array): number[] {
  const codes: number[] = [];
  for (let i = 0; i < structure.length; i++) {
    const byte = structure[i]!;
    if (byte >= 0xd4 && byte <= 0xd8) codes.push(structure[i + 1]!); // fixext 1–16
    else if (byte === 0xc7) codes.push(structure[i + 2]!); // ext 8
    else if (byte === 0xc8) codes.push(structure[i + 3]!); // ext 16
    else if (byte === 0xc9) codes.push(structure[i + 5]!); // ext 32
  }
  return codes;
}

describe('the table of built-in kinds', () => {
  it('gives every kind its own extension code and hash tag', () => {
    const exts = rows.map(([, row]) => row.ext).filter((ext) => ext !== null);
    const tags = rows.map(([, row]) => row.hashTag).filter((tag) => tag !== null);
    expect(new Set(exts).size).toBe(exts.length);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it.each(rows)('%s: the codec writes its code and reads the value back; FORMAT.md specifies it', (name, row) => {
    const example = EXAMPLES[name];
    if (row.format.startsWith('hash only')) {
      expect(() => encodeValue(example)).toThrow();
      return;
    }
    const { structure } = encodeValue(example);
    if (row.ext === null) {
      expect(format).toContain(`## ${row.format}`);
    } else {
      expect(extCodes(structure)).toContain(row.ext);
      expect(format).toMatch(new RegExp(`\\| ${row.ext} +\\| ${row.format.replace(/[()`]/g, '\\$&')} +\\|`));
    }
    const back = loadSync(roundTripFile(example));
    if (name === 'error') expect(back).toMatchObject({ name: 'RangeError', message: 'bad' });
    else if (name === 'nullProtoObject') expect({ ...(back as object) }).toEqual({ a: 1 });
    else expect(back).toEqual(example);
  });

  it('hashes every kind differently from every other', () => {
    const digests = rows.map(([name]) => hash(EXAMPLES[name]));
    expect(new Set(digests).size).toBe(digests.length);
  });
});

/** The bytes of a dump of `value`, written to a real file. */
function roundTripFile(value: unknown): Uint8Array {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-builtin-')), 'v.bin');
  dumpSync(value, file);
  const bytes = fs.readFileSync(file);
  fs.rmSync(path.dirname(file), { recursive: true });
  return bytes;
}
