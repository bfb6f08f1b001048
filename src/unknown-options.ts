// joblib raises on an unknown keyword argument; an options object would swallow a typo
// (`nJob: 2`) silently. Every public options bag is checked here, and the error names the
// nearest valid option.

import { InvalidOptionError } from './errors.js';

/**
 * Throws InvalidOptionError when `options` has an own key outside `known`, naming the nearest
 * known one (`'nJob' is not an option of Parallel; did you mean 'nJobs'?`).
 */
export function refuseUnknownOptions(options: object | undefined, known: ReadonlySet<string>, owner: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') {
    throw new InvalidOptionError(`The options of ${owner} must be an object, got ${typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const nearest = nearestName(key, known);
    throw new InvalidOptionError(`'${key}' is not an option of ${owner}; ` +
      (nearest ? `did you mean '${nearest}'?` : `its options are ${[...known].map((k) => `'${k}'`).join(', ')}.`));
  }
}

/** The known name closest to `name` (case-insensitive edit distance), if it is close enough to be a typo. */
function nearestName(name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A typo changes a few characters; a wholly different word gets the list instead.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length]!;
}
