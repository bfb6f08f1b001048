// The FUNCTION arguments of `cache ls` and `cache clear`: each names cached functions by name
// (in any module) or as module/name, as `cache ls` prints them. A name that matches nothing is
// an error; one that matches several is all of them for ls, and refused for clear.

import { CacheLocationError, UsageError } from '../errors.js';
import type { CachedFunction } from '../memory/cache-listing.js';
import type { CacheLocation } from '../memory/cache-location.js';

/** What to do with a bare name cached in several modules: take them all, or refuse it. */
export type Ambiguity = 'all' | 'refuse';

/** The functions `selectors` name (every function when there are none), each once, in listing order. */
export function selectFunctions(
  location: CacheLocation, selectors: readonly string[], { ambiguous }: { ambiguous: Ambiguity },
): CachedFunction[] {
  const functions = location.functions();
  if (selectors.length === 0) return functions;
  const chosen = new Set<CachedFunction>();
  for (const selector of selectors) {
    const found = location.find(selector, functions);
    const names = (list: readonly CachedFunction[]): string => list.map((f) => `${f.module}/${f.functionName}`).join(', ');
    if (found.length === 0) {
      throw new CacheLocationError(`${location.location} holds no cached function named '${selector}'. ` +
        (functions.length === 0 ? 'It holds none at all.' : `Cached: ${names(functions)}.`), location.location);
    }
    if (found.length > 1 && ambiguous === 'refuse') {
      throw new UsageError(`'${selector}' names ${found.length} cached functions: ${names(found)}. Give module/name.`);
    }
    for (const f of found) chosen.add(f);
  }
  return functions.filter((f) => chosen.has(f));
}
