// User classes that round-trip through the codec with their prototype (loky's `register(type,
// reducer)`): a class is stored as its registered name plus the state its `encode` returns,
// and rebuilt on load by the `decode` registered under that name. The registry also notes the
// module each registration ran in: a worker imports that module to register the type there too.

import { pathToFileURL } from 'node:url';
import { InvalidOptionError } from '../../errors.js';

/**
 * How instances of one class are turned into serializable state and back: what
 * {@link registerType} takes (loky's reducer, as a pair of functions).
 *
 * @typeParam T - The class's instances.
 * @typeParam S - The state `encode` returns and `decode` takes.
 * @category Serialization
 */
export interface TypeCodec<T, S = unknown> {
  /**
   * Stable name written into files; the loading process must register the same name. Use
   * something unique to your package, e.g. `'my-lib/Matrix'`.
   */
  name: string;
  /** Returns the state to store: any value the codec supports (it may hold typed arrays). */
  encode(instance: T): S;
  /** Rebuilds an instance from the state `encode` returned. */
  decode(state: S): T;
}

/**
 * Any class: `never[]` parameters accept every constructor signature.
 *
 * @inline
 */
type AnyConstructor = abstract new (...args: never[]) => unknown;

export interface RegisteredType {
  readonly name: string;
  readonly encode: (instance: unknown) => unknown;
  readonly decode: (state: unknown) => unknown;
}

/** A registration, as a worker needs to repeat it. */
export interface TypeRegistration {
  readonly entry: RegisteredType;
  readonly cls: AnyConstructor;
  /** URL of the script whose code called `registerType` (`file:///…`, `file:///cwd/[eval1]`), if known. */
  readonly registeredIn: string | undefined;
}

const byClass = new Map<unknown, RegisteredType>();
const byName = new Map<string, TypeRegistration>();

/**
 * Registers a class so that its instances survive `dump`/`load` and the trip to a worker with
 * their prototype. Without registration a class instance is refused, because silently storing
 * it as a plain object would lose its methods.
 *
 * Workers register the type too, by importing the module that called `registerType`: call it
 * at the top level of a module, next to the class. Workers never import the entry script (that
 * would run the program again): a type registered there is rebuilt in workers from its source
 * when the class, its encode and its decode use only imports, globals and top-level functions,
 * and refused before anything is sent otherwise.
 *
 * Registering the same class again under the same name replaces its codec; a name already
 * taken by a different class is an error.
 *
 * @throws {@link InvalidOptionError} when `cls` is not a class, the codec lacks a name, `encode` or
 *   `decode`, or the name is already registered for another class.
 * @category Serialization
 * @example
 * class Point { constructor(public x: number, public y: number) {} }
 * registerType(Point, {
 *   name: 'geometry/Point',
 *   encode: (p) => [p.x, p.y],
 *   decode: ([x, y]) => new Point(x, y),
 * });
 */
export function registerType<C extends AnyConstructor, S>(
  cls: C,
  codec: TypeCodec<InstanceType<C>, S>,
): void {
  if (typeof cls !== 'function') {
    throw new InvalidOptionError(`registerType expects a class as its first argument, got ${typeof cls}.`);
  }
  const { name, encode, decode } = codec;
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError('registerType needs a non-empty string `name`, written into files.');
  }
  if (typeof encode !== 'function' || typeof decode !== 'function') {
    throw new InvalidOptionError(
      `registerType("${name}") needs both an \`encode\` and a \`decode\` function.`,
    );
  }
  const taken = byName.get(name);
  if (taken && taken.cls !== cls) {
    throw new InvalidOptionError(
      `The type name "${name}" is already registered for another class; choose a unique name.`,
    );
  }
  const previous = byClass.get(cls);
  if (previous && previous.name !== name) byName.delete(previous.name);
  const entry: RegisteredType = {
    name,
    encode: encode as (instance: unknown) => unknown,
    decode: decode as (state: unknown) => unknown,
  };
  byClass.set(cls, entry);
  byName.set(name, { entry, cls, registeredIn: callerUrl(registerType) });
}

export function registeredTypeOf(cls: unknown): RegisteredType | undefined {
  return byClass.get(cls);
}

export function registeredTypeByName(name: string): RegisteredType | undefined {
  return byName.get(name)?.entry;
}

/** The registration of `name`, with the class, its codec as given and where it was registered. */
export function typeRegistration(name: string): TypeRegistration | undefined {
  return byName.get(name);
}

/** The URL of the script that called `fn`: V8's structured call sites, asked for one frame. */
function callerUrl(fn: AnyConstructor | ((...args: never[]) => unknown)): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, fn);
    const file = holder.stack?.[0]?.getFileName();
    if (!file) return undefined;
    return /^[a-z][\w+.-]+:/i.test(file) ? file : pathToFileURL(file).href; // CommonJS gives a path
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
