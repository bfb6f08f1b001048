// Which function a cache entry belongs to. The folder is `<module>/<name>` (joblib's layout),
// but keys also hash the function's source, so a different function under the same name (two
// anonymous arrows in one module, a name reused, a new version of the code) can never read
// another's entries, in this process or in another one sharing the location. Two functions
// that collide in one process are told apart and warned about, never mixed.

import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BoundParts, boundParts } from '../serialization/functions/bound-function.js';
import { type FunctionLocation, locateFunction } from '../serialization/functions/locate.js';
import type { AnyFunction } from '../serialization/functions/any-function.js';
import { hash } from '../serialization/hash.js';
import { analyzeScript, enclosingNames, findFunctionNode, offsetOf } from '../serialization/functions/script-scope.js';
import { emitJoblibWarning } from '../warnings.js';
import { safeSegment } from './cache-entries.js';

/** A cached function as its entries know it. */
export interface FunctionIdentity {
  /** The function's name for messages: `{ name }`, `fn.name` or `'anonymous'`. */
  readonly name: string;
  /** The module folder: the defining file relative to the working directory, as one safe segment. */
  readonly module: string;
  /** The function folder, one safe segment: the name, or `anonymous-<hash of the source>`. */
  readonly folder: string;
  /** The source of the function (the target of a bound one), stored as func_code.js. */
  readonly source: string;
  /** What every key of this function hashes with its arguments. */
  readonly codeId: string;
  /** The function whose source and parameters are read: `fn`, or the target of a bound `fn`. */
  readonly target: AnyFunction;
  /** For a bound `fn`: the receiver and arguments it was bound to. */
  readonly bound: BoundParts | undefined;
  readonly location: FunctionLocation | undefined;
  /** Whether another live function of this process has the same folder (its source is then no reason to clear). */
  readonly shared: () => boolean;
}

/** Live functions by `location \0 module \0 folder`: their code ids, and each one's definition sites. */
const live = new Map<string, Map<string, Set<string>>>();

/** The identity of `fn` cached in the Memory at `cacheLocation`, warning about collisions. */
export function identify(fn: AnyFunction, givenName: string | undefined, cacheLocation: string): FunctionIdentity {
  const bound = boundParts(fn);
  const target = bound?.target ?? fn;
  const source = Function.prototype.toString.call(target);
  const rawName = givenName ?? (target.name || undefined);
  const name = rawName ?? 'anonymous';
  const location = locateFunction(target);
  const module = moduleOf(location);
  const site = location ? `${location.url}:${location.line + 1}:${location.column + 1}` : '';
  // Where it is defined, by enclosing names, so identical sources in different places differ
  // while a function whose lines moved keeps its entries.
  const path = location ? definitionPath(location, source) : [];
  let codeId = hash(path.length === 0 ? source : [source, path]);
  const folder = rawName === undefined ? `anonymous-${codeId.slice(0, 12)}` : safeSegment(rawName);

  const key = `${cacheLocation}\0${module}\0${folder}`;
  let functions = live.get(key);
  if (!functions) live.set(key, (functions = new Map()));
  const sites = functions.get(codeId);
  if (sites && site !== '' && !sites.has(site)) {
    // The same source in the same place twice (two blocks, two copies of a file): closures may differ.
    warnCollision(`two functions with the same source are cached as ${module}.${name} (defined at ${[...sites][0]} and ` +
      `${site}); each keeps its own entries. Pass a distinct { name } to make this explicit.`);
    codeId = hash([source, path, site]);
  } else if (!sites && functions.size > 0) {
    warnCollision(`two different functions are cached as ${module}.${name}; their entries are kept apart by their ` +
      'source, but share one folder (clear() removes both). Pass a distinct { name } to one of them.');
  }
  if (sites) sites.add(site);
  else functions.set(codeId, new Set([site]));
  return {
    name, module, folder, source, codeId, target, bound, location,
    shared: () => (live.get(key)?.size ?? 0) > 1,
  };
}

function definitionPath(location: FunctionLocation, source: string): string[] {
  try {
    const script = analyzeScript(location.url, location.source);
    const node = findFunctionNode(script, offsetOf(location.source, location.line, location.column), source);
    return node ? enclosingNames(script, node) : [];
  } catch {
    return []; // a script acorn cannot parse: the source alone identifies the function
  }
}

function warnCollision(message: string): void {
  emitJoblibWarning('JoblibCollisionWarning', 'JOBLIB_CACHE_NAME_COLLISION', `memory.cache: ${message}`);
}

/** The module part of a function's cache folder: its file relative to cwd, `__main__` for eval and stdin. */
function moduleOf(location: FunctionLocation | undefined): string {
  if (!location) return '__native__';
  const { url } = location;
  if (url.includes('[eval') || url.includes('[stdin]')) return '__main__';
  if (url.startsWith('node:')) return safeSegment(url.replace(':', '.'));
  let path = url;
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    const fromCwd = relative(process.cwd(), file);
    path = fromCwd.startsWith('..') ? file : fromCwd;
  }
  return safeSegment(path.replace(/\.[cm]?[jt]sx?$/, '').split(sep).filter(Boolean).join('.') || '__main__');
}
