// Runs the built `joblib-ts` program as users do (`node dist/cli/main.js …`, `npm test` builds
// first), and the fixture scripts that make real dumps and caches with the built package.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/cli/main.js ...args`, its stdin closed (not a terminal) unless `input` is given. */
export function runCli(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `runCli` with `--json`, its output parsed (and the run checked to succeed). */
export async function runCliJson(args: readonly string[]): Promise<unknown> {
  const run = await runCli([...args, '--json']);
  if (run.status !== 0) throw new Error(`joblib-ts ${args.join(' ')} --json exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}

/**
 * Runs a fixture script with `node` from `cwd` (default: the fixtures folder; anywhere in this
 * package, `joblib-ts` resolves to the package itself).
 */
export function runFixture(script: string, args: readonly string[], cwd = FIXTURES): void {
  const run = spawnSync(process.execPath, [path.join(FIXTURES, script), ...args], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${script} exited ${run.status}: ${run.stderr}`);
}
