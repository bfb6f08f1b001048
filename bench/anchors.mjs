// The Python joblib the benchmarks compare against: Debian's python3-joblib at /usr/bin/python3
// (the `python3` first on PATH may lack it).
import { execFileSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Whether /usr/bin/python3 can import these modules. */
export function hasPython(modules) {
  try {
    execFileSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
