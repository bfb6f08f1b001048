import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, METHODS } from '../../fixtures/values.mjs';
import { CompressorUnavailableError, load, loadSync } from '../../src/index.js';
import { hasZstd } from '../node-zstd.js';

const root = path.join(import.meta.dirname, '..', '..', 'fixtures', 'v1');

describe('files written by format version 1 (fixtures/v1)', () => {
  for (const [name, make] of Object.entries(FIXTURES)) {
    for (const extension of Object.keys(METHODS)) {
      const file = path.join(root, `${name}.${extension}`);
      it(`still loads ${name}.${extension} to the same value`, async () => {
        expect(fs.existsSync(file)).toBe(true);
        if (extension === 'zst' && !hasZstd) {
          expect(() => loadSync(file)).toThrow(CompressorUnavailableError);
          await expect(load(file)).rejects.toThrow(/compressed with zstd.*Node 22\.15 or later/);
          return;
        }
        const expected = make();
        expect(loadSync(file)).toEqual(expected);
        expect(await load(file)).toEqual(expected);
      });
    }
  }

  it('keeps shared references and cycles in the nested fixture', () => {
    const value = loadSync<ReturnType<typeof FIXTURES.nested>>(path.join(root, 'nested.lz4'));
    expect(value.cyclic.self).toBe(value.cyclic);
    const [sharedKey, sharedList] = [...value.map][2] as [object, object[]];
    expect(sharedList[0]).toBe(sharedKey);
    expect(value.set.has(sharedKey)).toBe(true);
  });
});
