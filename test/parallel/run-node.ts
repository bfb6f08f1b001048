// Runs a snippet of ESM in a fresh `node` (the way users run scripts), from the fixtures folder
// so `joblib-ts` resolves to this package. The snippet reports with `report(value)`.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url).href;

export interface NodeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Values passed to `report(...)`, in order. */
  readonly reports: unknown[];
}

const PRELUDE = `
import * as joblib from 'joblib-ts';
// The parity suite runs each scenario on every backend: Parallel() defaults to the one under test.
const BACKEND = process.env.JOBLIB_TS_TEST_BACKEND;
const jl = BACKEND ? { ...joblib, Parallel: (options = {}) => joblib.Parallel({ backend: BACKEND, ...options }) } : joblib;
import * as t from '${TASKS}';
const report = (value) => process.stdout.write('REPORT ' + JSON.stringify(value) + '\\n');
const describe = (e) => ({ name: e?.name, ctor: e?.constructor?.name, message: e?.message, code: e?.code,
  cause: e?.cause && { name: e.cause.name, message: e.cause.message, taskIndex: e.cause.taskIndex, pid: e.cause.pid },
  taskIndex: e?.taskIndex, exitCode: e?.exitCode, signal: e?.signal, duringStartup: e?.duringStartup,
  variables: e?.variables, path: e?.path });
`;

export interface RunOptions {
  readonly execArgv?: string[];
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  /** The backend `jl.Parallel()` (and the fixture scripts) default to. */
  readonly backend?: string;
}

/** Runs `body` (top-level await allowed) with `jl` (joblib-ts), `t` (tasks.mjs), `report` and `describe`. */
export function runNode(body: string, options: RunOptions = {}): Promise<NodeRun> {
  return runScript(['--input-type=module', ...(options.execArgv ?? []), '-e', PRELUDE + body], options);
}

/** Runs `node ...args` from the fixtures folder and collects its reports. */
export function runScript(args: string[], options: RunOptions = {}): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: FIXTURES,
      env: { ...process.env, ...options.env, ...(options.backend && { JOBLIB_TS_TEST_BACKEND: options.backend }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.slice(0, 2).join(' ')} timed out; stderr:\n${stderr}\nstdout:\n${stdout}`));
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const reports = stdout.split('\n').filter((l) => l.startsWith('REPORT ')).map((l) => JSON.parse(l.slice(7)) as unknown);
      resolve({ code, signal, stdout, stderr, reports });
    });
  });
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
