import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/index.js';
import { OutputAssembly } from '../../../src/serialization/compression/output-assembly.js';

const chunks = (bytes: Buffer, sizes: number[]) => {
  const out: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
};

describe('OutputAssembly', () => {
  const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const hintFromHead = (head: Uint8Array) => {
    if (head[0] !== content[0]) throw new FormatError('not the start of the content');
    return head.byteLength >= 4 ? content.byteLength : null;
  };

  it('allocates once from the hint and places every chunk', () => {
    const assembly = new OutputAssembly('test', 10_000, hintFromHead);
    for (const chunk of chunks(content, [100, 400, 500])) assembly.add(chunk);
    expect(Buffer.compare(Buffer.from(assembly.finish()), content)).toBe(0);
  });

  it('asks the hint once, about the first 64 bytes, even when they arrive in pieces', () => {
    let asked: number[] = [];
    const assembly = new OutputAssembly('test', 10_000, (head) => {
      asked.push(head.byteLength);
      return hintFromHead(head);
    });
    for (const chunk of chunks(content, [2, 30, 300, 668])) assembly.add(chunk);
    expect(asked).toEqual([64]);
    expect(Buffer.compare(Buffer.from(assembly.finish()), content)).toBe(0);
    asked = [];
    const short = new OutputAssembly('test', 10_000, (head) => (asked.push(head.byteLength), null));
    short.add(content.subarray(0, 10));
    short.finish();
    expect(asked).toEqual([10]);
  });

  it('refuses more or fewer bytes than declared, and a size above its limit', () => {
    const over = new OutputAssembly('test', 10_000, () => 70);
    expect(() => over.add(content.subarray(0, 71))).toThrow(/more content than its header declares/);
    const under = new OutputAssembly('test', 10_000, () => 200);
    under.add(content.subarray(0, 70));
    expect(() => under.finish()).toThrow(/truncated: 70 of 200 bytes/);
    expect(() => new OutputAssembly('test', 100, () => 101).add(content.subarray(0, 64))).toThrow(/claims 101 bytes/);
    const unsized = new OutputAssembly('test', 100, () => null);
    unsized.add(content.subarray(0, 60));
    expect(() => unsized.add(content.subarray(60, 120))).toThrow(/inflates past/);
  });

  it('refuses a declared size that disagrees with the size the stream itself declares', () => {
    const assembly = new OutputAssembly('test', 10_000, hintFromHead, 999);
    expect(() => assembly.add(content.subarray(0, 64))).toThrow(/declares 999 bytes of content, but the file inside declares 1000/);
  });

  it('refuses a chunk that overflows a known size before its hint is asked', () => {
    const assembly = new OutputAssembly('test', 10_000, hintFromHead, 10);
    expect(() => assembly.add(content.subarray(0, 11))).toThrow(/more content than its header declares/);
  });
});
