// How a pool worker starts, for processes and threads alike: the entry module, and the Node
// options it inherits from the parent.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TerminatedWorkerError } from '../../../errors.js';

/** Where the worker's entry module lies inside the published package (a test checks it). */
export const ENTRY_IN_PACKAGE = 'dist/parallel/backends/pool/worker-main.js';

let entry: string | undefined;

/**
 * The worker's entry module (a process's main script, or a thread's): beside this module in an
 * installed copy; in a bundled app (where this code lives inside the bundle), the installed
 * package found from the app's folder or the working directory. Looked up on first use, so a
 * bundle that never starts workers never needs it.
 */
export function workerEntry(): string {
  if (entry) return entry;
  const candidates: string[] = [];
  // `import.meta.url` is missing when a bundler turned this module into CommonJS.
  const here = (import.meta as { url?: string }).url;
  if (here?.startsWith('file:')) candidates.push(fileURLToPath(new URL('./worker-main.js', here)));
  for (const base of [process.argv[1], join(process.cwd(), 'index.js')]) {
    if (!base) continue;
    try {
      const manifest = createRequire(resolve(base)).resolve('joblib-ts/package.json');
      candidates.push(join(dirname(manifest), ENTRY_IN_PACKAGE));
    } catch {
      // not installed there
    }
  }
  entry = candidates.find((candidate) => existsSync(candidate));
  if (entry) return entry;
  throw new TerminatedWorkerError(
    'joblib-ts cannot start workers: their entry module (joblib-ts/' + ENTRY_IN_PACKAGE + ') was not found beside ' +
      'this code, nor in a joblib-ts package installed beside the app or the working directory. A bundled app starts ' +
      'workers from the installed package: keep `joblib-ts` in node_modules where the app runs (or mark it external ' +
      'in the bundler), or run with nJobs: 1.',
    { pid: undefined, exitCode: null, signal: null, duringStartup: true });
}

/** Node options that belong to the parent's own command line, not to a worker's. */
const PARENT_ONLY_FLAGS = /^--(inspect|debug|test|watch|eval|print|input-type|check|interactive|prof)\b|^-[epci]$/;
const FLAGS_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/** The parent's `execArgv` minus what would make a worker evaluate, debug or watch: loaders stay. */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i]!;
    if (PARENT_ONLY_FLAGS.test(arg)) {
      if (FLAGS_WITH_VALUE.has(arg)) i += 1;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
