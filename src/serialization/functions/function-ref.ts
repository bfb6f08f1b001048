// How a function crosses to a worker: by reference when it has a public name (a global such as
// `Math.sqrt`, an export of a module or of a Node built-in), by source when it is defined in
// the entry script (or `node -e`, stdin) and uses nothing but globals, imports and top-level
// helper functions. Anything else (a captured local or module-level variable, a bound
// function) is refused here, in the parent, with the names and the fixes.

import { realpathSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { FunctionReferenceError } from '../../errors.js';
import { type FunctionLocation, locateFunction } from './locate.js';
import { analyzeScript, type AnalyzedScript, findFunctionNode, freeNames, offsetOf } from './script-scope.js';
import { planScope, refusedNames, type ShippedScope } from './source-plan.js';
import type { AnyFunction } from './any-function.js';

/** What a worker needs to get a function; plain data, sent once per worker. */
export type FunctionRef =
  | { readonly kind: 'global'; readonly name: string; readonly path: readonly string[] }
  | { readonly kind: 'module'; readonly name: string; readonly url: string; readonly path: readonly string[] }
  | ({ readonly kind: 'source'; readonly name: string; readonly source: string } & ShippedScope);

const resolved = new WeakMap<AnyFunction, Promise<FunctionRef>>();
const explicit = new WeakMap<AnyFunction, FunctionRef | 'source'>();

const nameOf = (fn: AnyFunction): string => fn.name || '<anonymous>';

/**
 * Marks `fn` to be sent by reference, as the export `exportName` of the module at
 * `moduleUrl` (usually `import.meta.url`): the bundler-proof form, loky's explicit wrapper.
 * Returns `fn` itself. Nothing is checked here: each worker imports `moduleUrl` and takes
 * `exportName` from it.
 *
 * @typeParam F - The function's type, kept: the result is `fn` itself.
 * @param fn - The function, as it is passed to `delayed`.
 * @param moduleUrl - The URL of the module that exports `fn` in the worker.
 * @param exportName - Its export name (default `fn.name`); dots reach into an exported
 *   object (`'ops.scale'`).
 * @category Parallel
 * @example
 * export const score = shipByReference((row: Row) => row.value * 2, import.meta.url, 'score');
 */
export function shipByReference<F extends AnyFunction>(
  fn: F, moduleUrl: string | URL, exportName: string = fn.name,
): F {
  const url = String(moduleUrl);
  explicit.set(fn, { kind: 'module', name: nameOf(fn), url, path: exportName.split('.') });
  return fn;
}

/**
 * Marks `fn` to be sent by source even when it is a module export, so workers rebuild it
 * without importing its module. Returns `fn` itself. Its source must still use only globals,
 * its module's imports and top-level functions, or `delayed` tasks of it are refused with a
 * {@link FunctionReferenceError} before dispatch.
 *
 * @typeParam F - The function's type, kept: the result is `fn` itself.
 * @category Parallel
 */
export function shipBySource<F extends AnyFunction>(fn: F): F {
  explicit.set(fn, 'source');
  return fn;
}

const wrapped = new WeakMap<AnyFunction, { url: string; what: string }>();

/**
 * For wrappers made by a library (e.g. `memory.cache(fn)`): the wrapper is defined inside the
 * library, but users export it from `url` (where the wrapped function is defined), so look for
 * it there; when it is not exported, the refusal says so in terms of `what` it is.
 */
export function markWrapper(wrapper: AnyFunction, url: string, what: string): void {
  wrapped.set(wrapper, { url, what });
}

/** The reference for `fn`, computed once per function and process. */
export function resolveFunctionRef(fn: AnyFunction): Promise<FunctionRef> {
  let ref = resolved.get(fn);
  if (!ref) {
    ref = computeRef(fn);
    resolved.set(fn, ref);
  }
  return ref;
}

async function computeRef(fn: AnyFunction): Promise<FunctionRef> {
  const marked = explicit.get(fn);
  if (marked && marked !== 'source') return marked;
  const wrapper = wrapped.get(fn);
  if (wrapper) {
    const exported = await findExport(fn, wrapper.url);
    if (exported) return exported;
    throw new FunctionReferenceError(nameOf(fn),
      `delayed(${nameOf(fn)}): ${wrapper.what} runs in a worker only when it is exported from a module, which the ` +
        `worker imports: \`export const ${fn.name || 'name'} = ...\` in a module other than the entry script.`);
  }
  const globalPath = globalFunctions().get(fn);
  if (globalPath && !marked) return { kind: 'global', name: nameOf(fn), path: globalPath };
  const location = locateFunction(fn);
  if (!location) {
    throw new FunctionReferenceError(nameOf(fn),
      `delayed(${nameOf(fn)}): a bound or native function cannot be sent to a worker, and it is not a global ` +
        'such as Math.sqrt. Pass the bound values as arguments instead, or wrap the call in a module-level function.');
  }
  if (!marked) {
    const exported = await findExport(fn, location.url);
    if (exported) return exported;
  }
  return sourceRef(fn, location);
}

async function findExport(fn: AnyFunction, url: string): Promise<FunctionRef | undefined> {
  if (url.startsWith('node:')) {
    const candidates = url.startsWith('node:internal') ? builtinModules.filter((m) => !m.startsWith('_')) : [url.slice(5)];
    const require = createRequire(import.meta.url);
    for (const name of candidates) {
      let exports: unknown;
      try {
        exports = require(`node:${name}`);
      } catch {
        continue;
      }
      const path = pathIn(exports, fn);
      if (path) return { kind: 'module', name: nameOf(fn), url: `node:${name}`, path: path[0] === 'default' ? path.slice(1) : path };
    }
    return undefined;
  }
  if (!url.startsWith('file:') || isEntryScript(url)) return undefined;
  let namespace: unknown;
  try {
    namespace = await import(url);
  } catch {
    return undefined;
  }
  const path = pathIn(namespace, fn);
  return path ? { kind: 'module', name: nameOf(fn), url, path } : undefined;
}

/** `['name']`, `['default']` or `['default', 'name']` (a CommonJS export). */
function pathIn(exports: unknown, fn: AnyFunction): string[] | undefined {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return undefined;
  const record = exports as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key !== 'default' && record[key] === fn) return [key];
  const fallback = record.default;
  if (fallback === fn) return ['default'];
  if (fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) {
    for (const key of Object.keys(fallback)) if ((fallback as Record<string, unknown>)[key] === fn) return ['default', key];
  }
  return undefined;
}

let entryUrl: string | null | undefined;

/** The entry script and eval/stdin code: never imported again (that would rerun the script). */
export function isEntryScript(url: string): boolean {
  if (url.includes('[eval') || url.includes('[stdin]')) return true;
  if (entryUrl === undefined) {
    const main = process.argv[1];
    try {
      entryUrl = main ? pathToFileURL(realpathSync(main)).href : null;
    } catch {
      entryUrl = null;
    }
  }
  return url === entryUrl;
}

function sourceRef(fn: AnyFunction, location: FunctionLocation): FunctionRef {
  const name = nameOf(fn);
  const fnSource = Function.prototype.toString.call(fn);
  let script: AnalyzedScript;
  try {
    script = analyzeScript(location.url, location.source);
  } catch (error) {
    throw new FunctionReferenceError(name,
      `delayed(${name}): its defining script (${location.url}) could not be parsed to check what it uses. ` +
        'Export the function from a module so workers can import it.', [], { cause: error });
  }
  const node = findFunctionNode(script, offsetOf(location.source, location.line, location.column), fnSource);
  if (!node || (/\bsuper\b/.test(fnSource) && !/^(async\s+)?(function|\()/.test(fnSource))) {
    throw new FunctionReferenceError(name,
      `delayed(${name}): a method cannot be sent to a worker by source. Use a plain function, or export it from a module.`);
  }
  const { scope, refused } = planScope(script, location.url, freeNames(script, node), { shipped: [node] });
  if (refused.length > 0) {
    const names = refusedNames(refused);
    throw new FunctionReferenceError(name,
      `delayed(${name}): ${name} uses ${refused.join(', ')}, which a worker process cannot see: ` +
        `a worker rebuilds ${name} from its source, with the script's imports but not its variables. Fixes: pass ` +
        `${names.length > 1 ? 'them' : 'it'} as an argument (delayed(${name})(x, ${names.join(', ')})), or move ${name} ` +
        'into a module and export it (workers import that module), or mark it with shipByReference(fn, import.meta.url).',
      names);
  }
  return { kind: 'source', name, source: fnSource, ...scope };
}

let globalsIndex: Map<AnyFunction, string[]> | undefined;

/** Functions reachable from `globalThis` in one or two steps: `parseInt`, `Math.sqrt`, `JSON.parse`. */
function globalFunctions(): Map<AnyFunction, string[]> {
  if (globalsIndex) return globalsIndex;
  globalsIndex = new Map();
  const add = (fn: unknown, path: string[]): void => {
    if (typeof fn === 'function' && !globalsIndex!.has(fn as AnyFunction)) globalsIndex!.set(fn as AnyFunction, path);
  };
  for (const key of Object.getOwnPropertyNames(globalThis)) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, key);
    if (!descriptor || !('value' in descriptor)) continue;
    const value: unknown = descriptor.value;
    add(value, [key]);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || key === 'globalThis') continue;
    for (const member of Object.getOwnPropertyNames(value)) {
      const inner = Object.getOwnPropertyDescriptor(value, member);
      if (inner && 'value' in inner) add(inner.value, [key, member]);
    }
  }
  return globalsIndex;
}
