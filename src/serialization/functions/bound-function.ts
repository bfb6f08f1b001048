// What `fn.bind(thisArg, ...args)` hides: its target function, bound `this` and bound
// arguments, asked of V8 through an in-process inspector session (`[[TargetFunction]]`,
// `[[BoundThis]]`, `[[BoundArgs]]`). Memory needs them: a bound method's cache key must
// follow the state of its receiver, as joblib hashes `self`.

import { Session } from 'node:inspector';
import type { AnyFunction } from './any-function.js';

/** The parts of a bound function; nested binds are unwrapped to the innermost target. */
export interface BoundParts {
  readonly target: AnyFunction;
  readonly thisArg: unknown;
  readonly args: readonly unknown[];
}

interface RemoteObject {
  readonly type?: string;
  readonly objectId?: string;
  readonly value?: unknown;
  readonly unserializableValue?: string;
}
interface InternalProperty {
  readonly name: string;
  readonly value?: RemoteObject;
}

const PROBE = '__joblibTsBoundProbe' as const;
const isBound = (fn: AnyFunction): boolean => fn.name.startsWith('bound ') && !('prototype' in fn);

/** The target, `this` and arguments of a bound function; `undefined` for any other function. */
export function boundParts(fn: AnyFunction): BoundParts | undefined {
  if (!isBound(fn)) return undefined;
  const session = new Session();
  session.connect();
  const slot = globalThis as { [PROBE]?: unknown };
  // Inspector calls on the main thread complete before `post` returns.
  const fetch = (remote: RemoteObject | undefined): unknown => {
    if (!remote || remote.type === 'undefined') return undefined;
    if (remote.objectId === undefined) {
      return remote.unserializableValue === undefined ? remote.value : evaluate(remote.unserializableValue);
    }
    session.post('Runtime.callFunctionOn', {
      objectId: remote.objectId, functionDeclaration: `function () { globalThis.${PROBE} = this; }`,
    }, () => undefined);
    const value = slot[PROBE];
    Reflect.deleteProperty(slot, PROBE);
    return value;
  };
  try {
    let target: AnyFunction = fn;
    let thisArg: unknown;
    const args: unknown[] = [];
    while (isBound(target)) {
      slot[PROBE] = target;
      let internal: readonly InternalProperty[] = [];
      session.post('Runtime.evaluate', { expression: `globalThis.${PROBE}` }, (error, result) => {
        const objectId = (result?.result as RemoteObject | undefined)?.objectId;
        if (error || !objectId) return;
        session.post('Runtime.getProperties', { objectId, ownProperties: true }, (_error, properties) => {
          internal = (properties?.internalProperties as InternalProperty[] | undefined) ?? [];
        });
      });
      Reflect.deleteProperty(slot, PROBE);
      const part = (name: string): RemoteObject | undefined => internal.find((p) => p.name === name)?.value;
      const inner = fetch(part('[[TargetFunction]]'));
      if (typeof inner !== 'function') return undefined;
      // The innermost bind's `this` is the one the call sees; bound arguments go innermost first.
      thisArg = fetch(part('[[BoundThis]]'));
      args.unshift(...((fetch(part('[[BoundArgs]]')) as unknown[] | undefined) ?? []));
      target = inner as AnyFunction;
    }
    return { target, thisArg, args };
  } finally {
    session.disconnect();
  }
}

/** `NaN`, `Infinity`, `-0`, `1n`: the values the inspector cannot send as JSON. */
function evaluate(unserializable: string): unknown {
  if (unserializable.endsWith('n')) return BigInt(unserializable.slice(0, -1));
  return Number(unserializable);
}
