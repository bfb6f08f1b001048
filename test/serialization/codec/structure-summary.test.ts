// The structure summary behind `joblib-ts inspect`: what it says of each kind of value, how the
// depth and child limits cut the tree while counts still cover everything, and parity with the
// decoder: on thousands of crafted and damaged structures it accepts exactly what the decoder
// accepts, and refuses the rest with the decoder's own FormatError message.
import { describe, expect, it } from 'vitest';
import { FormatError, UnregisteredTypeError } from '../../../src/errors.js';
import { encodeFile, readHeader } from '../../../src/persistence/format.js';
import { decodeValue } from '../../../src/serialization/codec/decoder.js';
import {
  type StructureNode, type StructureSummary, summarizeStructure, type SummaryOptions,
} from '../../../src/serialization/codec/structure-summary.js';
import { registerType } from '../../../src/serialization/codec/type-registry.js';
import { craftedFile, Random, sectionsOf } from '../../persistence/fuzz-inputs.js';

function summaryOf(value: unknown, options: Partial<SummaryOptions> = {}): StructureSummary {
  const bytes = Buffer.concat(encodeFile(value));
  const header = readHeader(bytes);
  const structure = bytes.subarray(header.headerBytes, header.headerBytes + header.structureLength);
  return summarizeStructure(structure, { hasReferences: header.hasReferences, dataLength: header.dataLength, ...options });
}

const childAt = (node: StructureNode, key: string): StructureNode => {
  const found = node.children?.find((child) => child.key === key);
  if (!found) throw new Error(`no child ${key} in ${node.children?.map((c) => c.key).join(', ')}`);
  return found;
};

class Point {
  constructor(readonly x: number, readonly y: number) {}
}
registerType(Point, { name: 'test/Point', encode: (p) => [p.x, p.y], decode: ([x, y]: [number, number]) => new Point(x, y) });

describe('summarizeStructure', () => {
  it('describes every kind of value by type, shape, size and a preview, without rebuilding any', () => {
    const shared = { x: 1 };
    const error = Object.assign(new RangeError('too far', { cause: new Error('inner') }), { code: 'E_FAR' });
    const sparse: unknown[] = [1];
    sparse[10] = 'ten';
    const root = summaryOf({
      weights: new Float64Array(25_000), small: new Uint8Array(10), meta: { a: 1, b: 'hello', on: true, d: new Date(0) },
      map: new Map<unknown, unknown>([['alpha', 1], [{ k: 1 }, new Set([1, 2])]]), big: 12345678901234567890n, re: /ab+c/gi,
      error, sparse, s1: shared, s2: shared, u: undefined, n: null, neg: -0, point: new Point(1, 2),
      nullProto: Object.assign(Object.create(null) as object, { q: 1 }), long: 'é'.repeat(500),
    }).root;
    expect(root).toMatchObject({ key: '', kind: 'object', type: 'Object', size: 16 });
    expect(childAt(root, '.weights')).toMatchObject({
      kind: 'binary', type: 'Float64Array', elementType: 'float64', length: 25_000, byteLength: 200_000, storage: 'block', blockOffset: 0,
    });
    expect(childAt(root, '.small')).toMatchObject({ type: 'Uint8Array', length: 10, storage: 'inline' });
    const meta = childAt(root, '.meta');
    expect(meta.children!.map((c) => [c.key, c.type, c.preview])).toEqual([
      ['.a', 'number', '1'], ['.b', 'string', '"hello"'], ['.on', 'boolean', 'true'], ['.d', 'Date', '1970-01-01T00:00:00.000Z'],
    ]);
    const map = childAt(root, '.map');
    expect(map).toMatchObject({ type: 'Map', size: 2 });
    expect(map.children!.map((c) => [c.key, c.type])).toEqual([
      ['.get("alpha")', 'number'], ['<key 1>', 'Object'], ['<value 1>', 'Set'],
    ]);
    expect(childAt(root, '.big').preview).toBe('12345678901234567890n');
    expect(childAt(root, '.re').preview).toBe('/ab+c/gi');
    const stored = childAt(root, '.error');
    expect(stored).toMatchObject({ kind: 'error', type: 'RangeError', preview: 'RangeError: too far' });
    expect(stored.children!.map((c) => [c.key, c.preview])).toEqual([['.cause', 'Error: inner'], ['.code', '"E_FAR"']]);
    expect(childAt(root, '.sparse')).toMatchObject({ kind: 'sparseArray', type: 'Array', size: 11, present: 2 });
    expect(childAt(root, '.sparse').children!.map((c) => c.key)).toEqual(['[0]', '[10]']);
    expect(childAt(root, '.s2')).toMatchObject({ kind: 'reference', target: { type: 'Object', path: '.s1' } });
    expect(childAt(root, '.s2').target!.id).toBe(childAt(root, '.s1').id);
    expect(childAt(root, '.u')).toMatchObject({ type: 'undefined' });
    expect(childAt(root, '.neg').preview).toBe('-0');
    const point = childAt(root, '.point');
    expect(point).toMatchObject({ kind: 'registered', type: 'test/Point' });
    expect(point.children).toMatchObject([{ key: '<state>', type: 'Array', size: 2 }]);
    expect(childAt(root, '.nullProto')).toMatchObject({ kind: 'nullProtoObject', type: 'Object', size: 1 });
    const long = childAt(root, '.long');
    expect(long).toMatchObject({ type: 'string', byteLength: 1000, preview: `"${'é'.repeat(60)}"…` });
  });

  it('lists to the depth and child limits asked, and counts every value all the same', () => {
    const value = { rows: Array.from({ length: 100 }, (_, i) => ({ id: i, data: new Float32Array(200 + i) })) };
    const shallow = summaryOf(value, { depth: 1, maxChildren: 5 });
    const rows = childAt(shallow.root, '.rows');
    expect(rows).toMatchObject({ size: 100, omitted: 100 });
    expect(rows.children).toBeUndefined();
    const deeper = summaryOf(value, { depth: 2, maxChildren: 5 });
    expect(childAt(deeper.root, '.rows').children!.map((c) => c.key)).toEqual(['[0]', '[1]', '[2]', '[3]', '[4]']);
    expect(childAt(deeper.root, '.rows').omitted).toBe(95);
    expect(summaryOf(value, { depth: 0 }).root).toMatchObject({ size: 1, omitted: 1 });
    for (const summary of [shallow, deeper]) {
      expect(summary.typeCounts).toEqual([
        { type: 'number', count: 100 }, { type: 'Object', count: 101 }, { type: 'Float32Array', count: 100 }, { type: 'Array', count: 1 },
      ].sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1)));
      expect(summary.blocks).toBe(100);
      // The largest blocks, with their paths, whether or not the tree lists them.
      expect(summary.largestBlocks.map((b) => [b.path, b.length])).toEqual(
        Array.from({ length: 10 }, (_, i) => [`.rows[${99 - i}].data`, 299 - i]));
    }
  });

  it('names registered types it was never told of, and resolves references to where their target is listed', () => {
    const shared = new Float64Array(100);
    const summary = summaryOf([shared, { again: shared }]);
    expect(summary.references).toBe(1);
    expect(childAt(childAt(summary.root, '[1]'), '.again').target).toEqual({ id: 1, type: 'Float64Array', path: '[0]' });
    const past = summaryOf([{ deep: { deeper: shared } }, shared], { depth: 1 });
    expect(childAt(past.root, '[1]').target).toEqual({ id: 3, type: 'Float64Array', path: null });
  });

  it('accepts exactly the structures the decoder accepts, and refuses the others with its FormatError message', () => {
    const rng = new Random(20_261_201);
    const seeds = [
      { a: [1, 'two', { three: 3n }], m: new Map([[1, new Set(['x'])]]), d: new Date(5), e: new TypeError('t') },
      [new Float64Array(100), new Uint8Array(3), /x+/g, undefined, null, -0, 1.5],
    ].map((value) => sectionsOf(Buffer.concat(encodeFile(value))));
    let refused = 0;
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      let structure: Buffer;
      let data: Buffer;
      let flags: number;
      if (i % 2 === 0) ({ structure, data, flags } = sectionsOf(craftedFile(rng)));
      else {
        ({ structure, data, flags } = rng.pick(seeds));
        structure = Buffer.from(structure);
        for (let flips = 1 + rng.int(3); flips > 0; flips--) structure[rng.int(structure.byteLength)] = rng.int(256);
      }
      const hasReferences = (flags & 1) !== 0;
      let decoded: string;
      try {
        decodeValue(structure, data, hasReferences);
        decoded = 'ok';
      } catch (error) {
        // Only load knows registered types: an unregistered name, or a decode that throws.
        if (error instanceof UnregisteredTypeError || /registered type|MemorizedResult/.test((error as Error).message)) continue;
        expect(error).toBeInstanceOf(FormatError);
        decoded = (error as Error).message;
      }
      let summarized: string;
      try {
        summarizeStructure(structure, { hasReferences, dataLength: data.byteLength });
        summarized = 'ok';
      } catch (error) {
        expect(error).toBeInstanceOf(FormatError);
        summarized = (error as Error).message;
      }
      expect(summarized, `input ${i}: ${structure.toString('hex')}`).toBe(decoded);
      if (decoded === 'ok') accepted++;
      else refused++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1000);
  });

  it('refuses a structure nested too deeply with the decoder\'s message', () => {
    const deep = Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0xc0])]);
    expect(() => decodeValue(deep, null, false)).toThrow('The structure is nested too deeply to rebuild (call stack exceeded).');
    expect(() => summarizeStructure(deep, { hasReferences: false, dataLength: 0 }))
      .toThrow('The structure is nested too deeply to rebuild (call stack exceeded).');
  });
});
