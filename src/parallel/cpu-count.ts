// How many CPUs this process may really use: the smallest of the CPUs it may run on (affinity,
// through os.availableParallelism), the cgroup CPU quota (containers, CI runners) rounded up as
// loky does, and JOBLIB_TS_MAX_CPU_COUNT; never below 1.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let cached: number | undefined;

/**
 * The number of CPUs available to this process, honouring affinity, cgroup v1/v2 quotas and the
 * `JOBLIB_TS_MAX_CPU_COUNT` environment variable. `nJobs: -1` means this many workers. joblib's
 * `cpu_count()`; read once per process, at least 1.
 *
 * @category Parallel
 */
export function cpuCount(): number {
  if (cached === undefined) {
    const limits = [availableParallelism(), cgroupCpuLimit(), Number(process.env.JOBLIB_TS_MAX_CPU_COUNT)];
    cached = Math.max(1, Math.min(...limits.filter((n) => Number.isFinite(n) && n > 0)));
  }
  return cached;
}

/** ceil(quota / period) from cgroup v2 `cpu.max` or v1 `cpu.cfs_*`; Infinity when unlimited. */
export function cgroupCpuLimit(root = '/sys/fs/cgroup'): number {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return quotaToCpus(Number(quota), Number(period ?? 100_000));
  }
  const quota = read(`${root}/cpu/cpu.cfs_quota_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`);
  const period = read(`${root}/cpu/cpu.cfs_period_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_period_us`);
  return quotaToCpus(Number(quota), Number(period));
}

function quotaToCpus(quota: number, period: number): number {
  if (!Number.isFinite(quota) || quota <= 0 || !Number.isFinite(period) || period <= 0) return Infinity;
  return Math.ceil(quota / period);
}
