// The encoder walks a value without tracking identity first and walks it again, tracking, when
// an object came twice or the nesting is deep enough to be a cycle. Both walks must give the
// same guarantees: shared objects stay shared, cycles stay cycles, and values that share
// nothing carry no references at all.
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../../src/serialization/codec/decoder.js';
import { encodeValue } from '../../../src/serialization/codec/encoder.js';

const roundTrip = (value: unknown): { decoded: unknown; hasReferences: boolean } => {
  const { structure, blocks, dataLength, hasReferences } = encodeValue(value);
  const data = new Uint8Array(dataLength);
  for (const block of blocks) data.set(block.bytes, block.offset);
  return { decoded: decodeValue(structure, data, hasReferences), hasReferences };
};

describe('references found by the second, tracking walk', () => {
  it('writes no reference for a value that shares nothing', () => {
    const { hasReferences, decoded } = roundTrip({ rows: [{ a: 1 }, { a: 1 }], tags: new Set(['x']) });
    expect(hasReferences).toBe(false);
    expect(decoded).toEqual({ rows: [{ a: 1 }, { a: 1 }], tags: new Set(['x']) });
  });

  it('keeps an object met twice far apart shared, and numbers the objects between them as a tracking walk does', () => {
    const shared = { name: 'shared' };
    const bytes = new Float64Array(1000).fill(2);
    const value = { first: shared, middle: [{ a: 1 }, new Map([[1, { b: 2 }]]), bytes], last: [shared, bytes] };
    const { decoded, hasReferences } = roundTrip(value);
    expect(hasReferences).toBe(true);
    const d = decoded as typeof value;
    expect(d).toEqual(value);
    expect(d.last[0]).toBe(d.first);
    expect(d.last[1]).toBe(d.middle[2]);
  });

  it('keeps a cycle longer than the untracked walk goes deep', () => {
    type Node = { id: number; next?: Node };
    const first: Node = { id: 0 };
    let node = first;
    for (let i = 1; i < 1000; i++) node = node.next = { id: i };
    node.next = first;
    const decoded = roundTrip(first).decoded as Node;
    let walk = decoded;
    for (let i = 0; i < 1000; i++) walk = walk.next!;
    expect(walk).toBe(decoded);
    expect(walk.next!.id).toBe(1);
  });

  it('encodes a deep value that shares nothing (past the untracked depth) without references', () => {
    let deep: unknown[] = [];
    const root = deep;
    // 1000 levels: past the 256 untracked ones, and within the stack of every Node version (the
    // interpreter's frames differ: Node 20 reaches about 2000 here, Node 24 fewer in a cold process).
    for (let i = 0; i < 1000; i++) {
      const next: unknown[] = [i];
      deep.push(next);
      deep = next;
    }
    const { decoded, hasReferences } = roundTrip(root);
    expect(hasReferences).toBe(false);
    expect(decoded).toEqual(root);
  });

  it('keeps sharing inside a sparse array, whose elements are written again as a sparse array', () => {
    const shared = { s: 1 };
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [shared, , { t: 2 }, shared];
    const { decoded } = roundTrip({ sparse, again: shared });
    const d = decoded as { sparse: { s: number }[]; again: { s: number } };
    expect(1 in d.sparse).toBe(false);
    expect(d.sparse[0]).toBe(d.again);
    expect(d.sparse[3]).toBe(d.again);
  });
});
