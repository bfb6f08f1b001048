import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dump } from '../../src/index.js';

// Debian's interpreter has the modules (.ci/run installs them); the first python3 on PATH may not.
const PYTHON = '/usr/bin/python3';
const reader = path.join(import.meta.dirname, '..', '..', 'examples', 'read_in_python.py');
const available = spawnSync(PYTHON, ['-c', 'import msgpack, lz4.frame, numpy']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-python-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!available)('examples/read_in_python.py (Python msgpack + lz4.frame + numpy)', () => {
  it.each(['none', 'zlib', 'gzip', 'lz4'] as const)('reads a %s dump written by Node', async (method) => {
    const shared = { s: 1 };
    const value = {
      weights: Float64Array.from({ length: 100_000 }, (_, i) => i / 4),
      ids: new Int32Array([1, 2, 3]),
      meta: { epoch: 3, name: 'modèle', tags: new Set(['a', 'b']), big: 2n ** 70n, when: new Date(0) },
      rows: [
        { id: 1, score: 0.5 },
        { id: 2, score: -1.5 },
      ],
      missing: undefined,
      twice: [shared, shared],
    };
    const file = path.join(dir, `from-node.${method}`);
    await dump(value, file, { compress: method === 'none' ? false : method });
    const summary = JSON.parse(execFileSync(PYTHON, [reader, file, '--summary'], { encoding: 'utf8' }));
    expect(summary).toEqual({
      weights: { dtype: '<f8', length: 100_000, sum: 1_249_987_500 },
      ids: { dtype: '<i4', length: 3, sum: 6 },
      meta: { epoch: 3, name: 'modèle', tags: ['a', 'b'], big: 2 ** 70, when: '1970-01-01T00:00:00+00:00' },
      rows: [
        { id: 1, score: 0.5 },
        { id: 2, score: -1.5 },
      ],
      missing: 'undefined',
      twice: [{ s: 1 }, { ref: 10 }], // pre-order number of `shared`: root 0, weights 1, … twice 9
    });
  });
});
