// loky's leak guard, for one worker: the memory in use after its first batch is the baseline;
// once it grows past the limit, collect garbage and measure again, and if it is still over, the
// worker asks its pool to retire it after this batch.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Reading the RSS is a syscall: after a batch of at least 1 ms it costs under 2%, so check then;
 * back-to-back tiny batches are checked at most once a second, as loky does.
 */
const CHECK_INTERVAL_MS = 1000;
const MIN_BATCH_MS = 1;

export class LeakGuard {
  private baseline = 0;
  private lastCheck = -Infinity;
  private collectGarbage: (() => void) | undefined;

  /** `measure`: a process's RSS, or a thread's own heap (its RSS is the whole process's). */
  constructor(private readonly limit: number, private readonly measure: () => number) {}

  /** Whether the worker should be retired, after a batch that started at `batchStartedAt`. */
  leaking(batchStartedAt: number): boolean {
    if (this.limit <= 0) return false;
    const now = performance.now();
    const quickBatch = now - batchStartedAt < MIN_BATCH_MS;
    if (this.baseline !== 0 && quickBatch && now - this.lastCheck < CHECK_INTERVAL_MS) return false;
    this.lastCheck = now;
    const inUse = this.measure();
    if (this.baseline === 0) {
      this.baseline = inUse;
      return false;
    }
    if (inUse - this.baseline <= this.limit) return false;
    if (!this.collectGarbage) {
      setFlagsFromString('--expose-gc');
      this.collectGarbage = runInNewContext('gc') as () => void;
    }
    this.collectGarbage();
    return this.measure() - this.baseline > this.limit;
  }
}
