// Type-checks a consumer file with this repository's TypeScript as a user's strict project would,
// resolving `joblib-ts` by Node's rules through the package's exports map: package.test.ts on the
// built dist/ (a self-reference), install.test.ts on a copy installed from the packed tarball.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const TSC = path.join(import.meta.dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs `tsc --noEmit --strict` (nodenext) on `file` from `cwd`; throws with tsc's report on any error. */
export function typecheck(file: string, cwd: string, { skipLibCheck = false } = {}): void {
  const args = [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node'];
  if (skipLibCheck) args.push('--skipLibCheck');
  try {
    execFileSync(process.execPath, [...args, file], { cwd, encoding: 'utf8' });
  } catch (error) {
    // tsc reports on stdout, which execFileSync's message leaves out.
    throw new Error(`tsc found errors in ${file}:\n${(error as { stdout?: string }).stdout ?? ''}`, { cause: error });
  }
}
