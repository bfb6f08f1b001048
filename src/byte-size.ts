// Sizes as people write them: joblib's '1M', '3K', '1G' (1024 units), shared by Parallel's
// limits and Memory's reduceSize.

import { InvalidOptionError } from './errors.js';

/** '1M' → 1048576 (joblib's memstr_to_bytes: K, M, G in 1024 units); numbers pass through. */
export function parseBytes(value: number | string, option: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*$/i.exec(value) : null;
  if (!match) throw new InvalidOptionError(`${option} must be a byte count or a string such as '300M' or '1G', got ${describe(value)}.`);
  const unit = { '': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(match[1]) * unit);
}

const describe = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : String(value));
