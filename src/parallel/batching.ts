// joblib's auto-batching (AutoBatchingMixin): aim for batches that take 0.2–2 s (or what the
// backend asks for), grow at most 2× per step, shrink fast on slow batches, smooth the measured
// duration, and ignore batches dispatched before the last retune.

/** joblib's bounds for a local pool, in milliseconds: shorter batches grow, longer ones shrink. */
export const IDEAL_BATCH_DURATION_MS: readonly [min: number, max: number] = [200, 2000];

export class AutoBatcher {
  batchSize = 1;
  /** Smoothed duration of recent batches of the current size, seconds; 0 = no sample yet. */
  smoothedDuration = 0;
  /** Batches shorter than this grow (seconds, as in joblib). */
  private readonly minDuration: number;
  /** Batches longer than this shrink, so no worker straggles at the end. */
  private readonly maxDuration: number;

  constructor(
    [minMs, maxMs]: readonly [number, number] = IDEAL_BATCH_DURATION_MS,
    private readonly onRetune?: (message: string) => void,
  ) {
    this.minDuration = minMs / 1000;
    this.maxDuration = maxMs / 1000;
  }

  /** The size of the next batch. */
  next(): number {
    const old = this.batchSize;
    const duration = this.smoothedDuration;
    let size = old;
    if (duration > 0 && duration < this.minDuration) {
      const ideal = Math.trunc((old * this.minDuration) / duration) * 2;
      size = Math.max(Math.min(2 * old, ideal), 1);
      if (size !== old) this.onRetune?.(`Batch computation too fast (${duration.toFixed(4)}s.) Setting batchSize=${size}.`);
    } else if (duration > this.maxDuration && old >= 2) {
      const ideal = Math.trunc((old * this.minDuration) / duration);
      size = Math.max(2 * ideal, 1);
      this.onRetune?.(`Batch computation too slow (${duration.toFixed(4)}s.) Setting batchSize=${size}.`);
    }
    if (size !== old) {
      this.batchSize = size;
      this.smoothedDuration = 0;
    }
    return size;
  }

  /** Records a finished batch; `seconds` counts from dispatch, so it includes queueing and transfer. */
  completed(size: number, seconds: number): void {
    if (size !== this.batchSize) return; // dispatched before a retune: not representative
    this.smoothedDuration = this.smoothedDuration === 0 ? seconds : 0.8 * this.smoothedDuration + 0.2 * seconds;
  }

  reset(): void {
    this.batchSize = 1;
    this.smoothedDuration = 0;
  }
}
