// Quantities as the command line reads and shows them: durations (`30d`, `12h`, `90m`, `45s`,
// plain milliseconds), byte sizes (`1G`, `500M`, read by the library's parseBytes, in 1024
// units as joblib's are), and the short texts the tables print (`200.0 MB`, `3 days ago`).

import { parseBytes } from '../byte-size.js';
import { InvalidOptionError, UsageError } from '../errors.js';

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000,
};

/** `30d`, `12h`, `90m`, `45s`, `500ms`, `2w` or plain milliseconds, in ms; else a UsageError naming `option`. */
export function parseDuration(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!match) {
    throw new UsageError(`${option} must be a duration such as 30d, 12h, 90m, 45s or a number of milliseconds, got '${text}'.`);
  }
  return Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms').toLowerCase()]!;
}

/** `1G`, `500M`, `3K` (1024 units) or plain bytes; else a UsageError naming `option`. */
export function parseByteSize(text: string, option: string): number {
  try {
    return parseBytes(text, option);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** A whole number at least `min`; else a UsageError naming `option`. */
export function parseCount(text: string, option: string, min = 0): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < min) {
    throw new UsageError(`${option} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${text}'.`);
  }
  return Number(text);
}

const SI_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in SI units, as `du --si` and `ls -h --si` show them: `512 B`, `1.2 kB`, `200.0 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SI_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${SI_UNITS[unit]}`;
}

const AGO_UNITS: readonly (readonly [string, number])[] = [
  ['year', 365 * 86_400_000], ['month', 30 * 86_400_000], ['week', 7 * 86_400_000], ['day', 86_400_000],
  ['hour', 3_600_000], ['minute', 60_000], ['second', 1000],
];

/** How long ago `ms` (since the epoch) was, in the largest whole unit: `3 days ago`, `just now`. */
export function formatAgo(ms: number, now = Date.now()): string {
  const elapsed = now - ms;
  if (elapsed < 1000) return 'just now';
  for (const [name, size] of AGO_UNITS) {
    const count = Math.floor(elapsed / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** A computation's duration: `850 ms`, `1.2 s`, `3.5 min`, `2.0 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** `1 entry`, `3 entries`: a count and its noun. */
export const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;
