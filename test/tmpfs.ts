// Real small filesystems for tests of full and read-only disks: a tmpfs, which root can mount
// here and in CI. Tests that need one are skipped where mounting is not allowed.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Whether this process may mount a tmpfs (root, outside a restricted container). */
export function canMountTmpfs(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs with `options` (e.g. `'size=1m,ro'`) on a new folder; `unmount` removes it. */
export function mountTmpfs(options: string): { folder: string; unmount: () => void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'joblib-ts-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', folder]);
  return {
    folder,
    unmount: () => {
      execFileSync('umount', [folder]);
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}
