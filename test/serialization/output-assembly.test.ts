import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/index.js';
import { OutputAssembly } from '../../src/serialization/output-assembly.js';

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

  it('asks the hint about the first chunk only, even when that chunk is too short to tell', () => {
    const assembly = new OutputAssembly('test', 10_000, hintFromHead);
    for (const chunk of chunks(content, [2, 300, 698])) assembly.add(chunk); // 2nd chunk does not start the content
    expect(Buffer.compare(Buffer.from(assembly.finish()), content)).toBe(0);
  });

  it('refuses more or fewer bytes than declared, and a size above its limit', () => {
    const over = new OutputAssembly('test', 10_000, () => 10);
    expect(() => over.add(content.subarray(0, 11))).toThrow(/more content than its header declares/);
    const under = new OutputAssembly('test', 10_000, () => 20);
    under.add(content.subarray(0, 5));
    expect(() => under.finish()).toThrow(/truncated: 5 of 20 bytes/);
    expect(() => new OutputAssembly('test', 100, () => 101).add(content.subarray(0, 1))).toThrow(/claims 101 bytes/);
    const unsized = new OutputAssembly('test', 100, () => null);
    unsized.add(content.subarray(0, 60));
    expect(() => unsized.add(content.subarray(60, 120))).toThrow(/inflates past/);
  });
});
