// How a pool worker starts, for processes and threads alike: the entry module, and the Node
// options it inherits from the parent (a thread only those worker_threads accept).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { TerminatedWorkerError } from '../../../errors.js';

/** A worker's runtime: a child process or a worker thread. */
export type WorkerKind = 'process' | 'thread';

/** Where each runtime's entry script lies: in the published package (a test checks them), and from this module. */
export const ENTRY_IN_PACKAGE: Readonly<Record<WorkerKind, string>> = {
  process: 'dist/parallel/backends/process/entry.js',
  thread: 'dist/parallel/backends/threads/entry.js',
};
const ENTRY_FROM_HERE: Readonly<Record<WorkerKind, string>> = {
  process: '../process/entry.js',
  thread: '../threads/entry.js',
};

const entries = new Map<WorkerKind, string>();

/**
 * A runtime's entry script (a process's main script, or a thread's): beside this module in an
 * installed copy; in a bundled app (where this code lives inside the bundle), the installed
 * package found from the app's folder or the working directory. Looked up on first use, so a
 * bundle that never starts workers never needs it.
 */
export function workerEntry(kind: WorkerKind): string {
  const known = entries.get(kind);
  if (known) return known;
  const candidates: string[] = [];
  // `import.meta.url` is missing when a bundler turned this module into CommonJS.
  const here = (import.meta as { url?: string }).url;
  if (here?.startsWith('file:')) candidates.push(fileURLToPath(new URL(ENTRY_FROM_HERE[kind], here)));
  for (const base of [process.argv[1], join(process.cwd(), 'index.js')]) {
    if (!base) continue;
    try {
      const manifest = createRequire(resolve(base)).resolve('joblib-ts/package.json');
      candidates.push(join(dirname(manifest), ENTRY_IN_PACKAGE[kind]));
    } catch {
      // not installed there
    }
  }
  const entry = candidates.find((candidate) => existsSync(candidate));
  if (entry) {
    entries.set(kind, entry);
    return entry;
  }
  throw new TerminatedWorkerError(
    'joblib-ts cannot start workers: their entry script (joblib-ts/' + ENTRY_IN_PACKAGE[kind] + ') was not found beside ' +
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

/** What a worker thread starts with: the parent's Node options a thread accepts, and its V8 limits. */
export interface ThreadLaunch {
  readonly execArgv: readonly string[];
  readonly resourceLimits: ResourceLimits;
}

/**
 * Options of the whole process and V8's own, which `new Worker(…, { execArgv })` refuses
 * (ERR_WORKER_INVALID_EXEC_ARGV) though `process.allowedNodeEnvironmentFlags` lists them: found
 * by creating a thread with each listed flag on Node 20.20, 22.23 and 24.22, and checked again on
 * the running Node by test/parallel/worker-launch.test.ts. Names without `--`, `no-` and a value.
 */
const REFUSED_BY_THREADS: ReadonlySet<string> = new Set([
  'abort-on-uncaught-exception', 'debug-arraybuffer-allocations', 'disable-proto', 'disable-wasm-trap-handler',
  'disallow-code-generation-from-strings', 'enable-etw-stack-walking', 'enable-fips', 'enable-fips-indicator-events',
  'experimental-shadow-realm',
  'expose-gc', 'force-fips', 'huge-max-old-generation-size', 'icu-data-dir', 'interpreted-frames-native-stack',
  'jitless', 'max-heap-size', 'max-old-space-size', 'max-semi-space-size', 'node-memory-debug', 'node-snapshot', 'openssl-config',
  'openssl-legacy-provider', 'openssl-shared-config', 'perf-basic-prof', 'perf-basic-prof-only-functions', 'perf-prof',
  'perf-prof-unwinding-info', 'report-compact', 'report-dir', 'report-directory', 'report-filename',
  'report-on-fatalerror', 'secure-heap', 'secure-heap-min', 'snapshot-blob', 'stack-trace-limit', 'title',
  'tls-cipher-list', 'trace-event-categories', 'trace-event-file-pattern', 'trace-events-enabled', 'trace-sigint',
  'use-bundled-ca', 'use-largepages', 'use-openssl-ca', 'use-system-ca', 'v8-pool-size', 'watch', 'watch-path', 'zero-fill-buffers',
]);

/** Node's default stack for a thread, and the margin it keeps below the stack's end (node_worker.h). */
const THREAD_STACK_MB = 4;
const THREAD_STACK_MARGIN_KB = 192;

/**
 * A thread's start from the parent's Node options (`workerExecArgv()`): the options
 * worker_threads accept (loaders `--import`, `--require`, `--loader`, `--conditions`,
 * `--experimental-*`, warnings, …); the heap and stack flags as `resourceLimits`; the rest dropped.
 * Dropping loses nothing: V8 flags are process-wide (a thread already runs under `--expose-gc`
 * and the heap flags), and the options of the whole process are the parent's.
 */
export function threadLaunch(execArgv: readonly string[]): ThreadLaunch {
  const kept: string[] = [];
  const limits: { -readonly [K in keyof ResourceLimits]: number } = {};
  for (let i = 0; i < execArgv.length; i += 1) {
    const flag = execArgv[i]!;
    // execArgv holds only options: a word that is no option is the value of the one before it.
    let end = i + 1;
    while (end < execArgv.length && !execArgv[end]!.startsWith('-')) end += 1;
    const words = execArgv.slice(i, end);
    i = end - 1;
    const equals = flag.indexOf('=');
    const name = (equals < 0 ? flag : flag.slice(0, equals)).replace(/^--?/, '').replaceAll('_', '-');
    const value = Number(equals < 0 ? words[1] : flag.slice(equals + 1));
    if (name === 'max-old-space-size' && value > 0) limits.maxOldGenerationSizeMb = value;
    // V8's young generation is three semi-spaces (two, and as much again for large objects).
    else if (name === 'max-semi-space-size' && value > 0) limits.maxYoungGenerationSizeMb = 3 * value;
    // At least the parent's JS stack, never less than a thread's default.
    else if (name === 'stack-size' && value > 0) {
      limits.stackSizeMb = Math.max(THREAD_STACK_MB, Math.ceil((value + THREAD_STACK_MARGIN_KB) / 1024));
    } else if (process.allowedNodeEnvironmentFlags.has(flag) && !REFUSED_BY_THREADS.has(name.replace(/^no-/, ''))) {
      kept.push(...words);
    }
  }
  return { execArgv: kept, resourceLimits: limits };
}
