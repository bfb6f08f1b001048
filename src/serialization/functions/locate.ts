// Where a function was defined, asked of V8 itself through an in-process inspector session:
// its `[[FunctionLocation]]` (script id, line, column), the script's URL and its source text.
// The session is synchronous on the main thread and opened only for the first sight of a
// function, so the debugger is never left enabled.

import { Session } from 'node:inspector';
import type { AnyFunction } from './any-function.js';

/** A function's defining script, as V8 knows it. */
export interface FunctionLocation {
  /** `file:///…`, `node:path`, `[stdin]`, `file:///cwd/[eval1]`, … */
  readonly url: string;
  readonly line: number;
  readonly column: number;
  /** The script's source as V8 compiled it (after any loader hook such as tsx). */
  readonly source: string;
}

interface RemoteObject {
  objectId?: string;
}
interface InternalProperty {
  name: string;
  value?: { value?: { scriptId: string; lineNumber: number; columnNumber: number } };
}

const PROBE = '__joblibTsLocateProbe' as const;

/** The script a function was defined in, or `undefined` for natives and bound functions. */
export function locateFunction(fn: AnyFunction): FunctionLocation | undefined {
  const session = new Session();
  session.connect();
  const urls = new Map<string, string>();
  session.on('Debugger.scriptParsed', (message) => {
    urls.set(message.params.scriptId, message.params.url);
  });
  const slot = globalThis as { [PROBE]?: unknown };
  slot[PROBE] = fn;
  try {
    let where: { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
    // Inspector calls on the main thread complete before `post` returns.
    session.post('Runtime.evaluate', { expression: `globalThis.${PROBE}` }, (error, result) => {
      const objectId = (result?.result as RemoteObject | undefined)?.objectId;
      if (error || !objectId) return;
      session.post('Runtime.getProperties', { objectId, ownProperties: true }, (_error, properties) => {
        const internal = properties?.internalProperties as InternalProperty[] | undefined;
        where = internal?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
      });
    });
    if (!where) return undefined;
    const { scriptId, lineNumber, columnNumber } = where;
    session.post('Debugger.enable', {}, () => undefined);
    let source: string | undefined;
    session.post('Debugger.getScriptSource', { scriptId }, (_error, result) => {
      source = result?.scriptSource;
    });
    session.post('Debugger.disable', {}, () => undefined);
    const url = urls.get(scriptId);
    if (url === undefined || source === undefined) return undefined;
    return { url, line: lineNumber, column: columnNumber, source };
  } finally {
    Reflect.deleteProperty(slot, PROBE);
    session.disconnect();
  }
}
