// User classes that round-trip through the codec with their prototype (loky's `register(type,
// reducer)`): a class is stored as its registered name plus the state its `encode` returns,
// and rebuilt on load by the `decode` registered under that name.

import { InvalidOptionError } from '../errors.js';

/** How instances of one class are turned into serializable state and back. */
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

/** Any class: `never[]` parameters accept every constructor signature. */
type AnyConstructor = abstract new (...args: never[]) => unknown;

export interface RegisteredType {
  readonly name: string;
  readonly encode: (instance: unknown) => unknown;
  readonly decode: (state: unknown) => unknown;
}

const byClass = new Map<unknown, RegisteredType>();
const byName = new Map<string, { entry: RegisteredType; cls: unknown }>();

/**
 * Registers a class so that its instances survive `dump`/`load` (and, later, the trip to a
 * worker) with their prototype. Without registration a class instance is refused, because
 * silently storing it as a plain object would lose its methods.
 *
 * Registering the same class again under the same name replaces its codec; a name already
 * taken by a different class is an error.
 *
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
  byName.set(name, { entry, cls });
}

export function registeredTypeOf(cls: unknown): RegisteredType | undefined {
  return byClass.get(cls);
}

export function registeredTypeByName(name: string): RegisteredType | undefined {
  return byName.get(name)?.entry;
}
