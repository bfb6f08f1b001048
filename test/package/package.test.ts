import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { typecheck } from './typecheck.js';

// These run against dist/ (`npm test` builds first), through the package's own name and
// exports map, the way an installed copy is used.
const root = path.join(import.meta.dirname, '..', '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
const EXPORTS = [
  'BackendUnavailableError',
  'CacheEntryError',
  'CompressorUnavailableError',
  'DumpError',
  'Executor',
  'FormatError',
  'FrameTooLargeError',
  'FunctionReferenceError',
  'InvalidOptionError',
  'JoblibError',
  'MemorizedResult',
  'Memory',
  'NoWorkersError',
  'Parallel',
  'ParallelBusyError',
  'RemoteTaskError',
  'SerializationError',
  'ShutdownExecutorError',
  'TaskTimeoutError',
  'TempFolderError',
  'TerminatedWorkerError',
  'TypeReferenceError',
  'UnregisteredTypeError',
  'activeParallelConfig',
  'cpuCount',
  'delayed',
  'dump',
  'dumpSync',
  'expiresAfter',
  'getReusableExecutor',
  'hash',
  'load',
  'loadSync',
  'parallelConfig',
  'registerCompressor',
  'registerParallelBackend',
  'registerStoreBackend',
  'registerType',
  'shipByReference',
  'shipBySource',
];

describe('the built package', () => {
  it('imports as ESM with exactly the public names', () => {
    const out = node([
      '--input-type=module',
      '-e',
      'import * as j from \'joblib-ts\'; console.log(JSON.stringify(Object.keys(j).sort()))',
    ]);
    expect(JSON.parse(out)).toEqual(EXPORTS);
  });

  it('can be require()d from CommonJS (no top-level await anywhere)', () => {
    const script = `
      const j = require('joblib-ts');
      const bytes = require('node:fs').readFileSync(require('node:path').join('fixtures', 'v1', 'arrays.lz4'));
      const back = j.loadSync(bytes);
      console.log(typeof j.dump, back.float64.length, j.hash({ a: 1 }) === j.hash({ a: 1 }));
    `;
    expect(node(['-e', script]).trim()).toBe('function 1024 true');
  });

  it('ships declarations that type a consumer (tsc through the exports map)', () => {
    expect(fs.existsSync(path.join(root, 'dist', 'index.d.ts'))).toBe(true);
    typecheck(path.join('test', 'package', 'consumer.ts'), root, { skipLibCheck: true });
  });

  it('declares engines, ESM and the exports map', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(manifest.engines.node).toBe('>=20.19');
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    // dist's source maps point at ../src, so the sources ship too.
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'src']));
  });
});
