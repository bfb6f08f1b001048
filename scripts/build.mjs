// Builds dist/ from src/ with the project's TypeScript: `npm run build`, and `prepare`, which npm
// runs after `npm ci` here and when installing from a git URL (after the devDependencies, before
// packing). The old dist/ goes first, so a renamed or deleted source leaves no stale module behind.
// Paths are taken from this file, not the working directory; the exit status is tsc's.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` (or NODE_ENV=production) here: say what is missing, not `tsc: not found`.
  process.stderr.write('joblib-ts: building dist/ needs the devDependencies (typescript); '
    + 'install them (npm ci without --omit=dev) and run npm run build.\n');
  process.exit(1);
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const { status, error } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (error) throw error;
process.exitCode = status ?? 1; // null: tsc was killed by a signal
// The bins, executable as tsc does not leave them: in dist/ and so in the tarball (npm marks a bin
// executable there only when package.json names it without a leading `./`).
if (status === 0) {
  const { bin } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  for (const file of Object.values(bin)) chmodSync(new URL(`../${file}`, import.meta.url), 0o755);
}

// The optional native helpers (native/joblib_native.c), where a C compiler is found: one
// Node-API binary that every Node version loads. Without it the library takes its JavaScript
// paths, so a missing compiler is a note, not a failure.
if (status === 0) buildNative();

function buildNative() {
  const out = new URL('../native/build/', import.meta.url);
  rmSync(out, { recursive: true, force: true });
  let headers;
  try {
    headers = dirname(require.resolve('node-api-headers/include/node_api.h'));
  } catch {
    return note('node-api-headers (a devDependency) is not installed');
  }
  const compiler = process.env.CC || 'cc';
  mkdirSync(out, { recursive: true });
  const binary = fileURLToPath(new URL(`joblib_native-${process.platform}-${process.arch}.node`, out));
  const args = ['-O3', '-std=c11', '-D_DEFAULT_SOURCE', '-shared', '-fPIC', '-fvisibility=hidden', '-Wall', '-Werror',
    '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=joblib_native', '-I', headers,
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
    fileURLToPath(new URL('../native/joblib_native.c', import.meta.url)), '-o', binary];
  const built = spawnSync(compiler, args, { cwd: root, encoding: 'utf8' });
  if (built.error || built.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    note(built.error ? `${compiler} was not found` : `${compiler} failed:\n${built.stderr}`);
  }
}

function note(reason) {
  process.stderr.write(`joblib-ts: the optional native helpers were not built (${reason}); `
    + 'the library works without them, loading LZ4 files and big buffers more slowly.\n');
}
