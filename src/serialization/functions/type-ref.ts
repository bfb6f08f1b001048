// How a registered type reaches a worker, decided in the parent the first time a message holds
// an instance of it (the encoder names the types it writes), like a function reference: the
// library's own types by the worker's own copy of their module (library-types.ts); a user's
// type by the module that registered it, which the worker imports so that its top-level
// `registerType` runs there too; a type registered in the entry script, which workers never
// import, from its source when it is self-contained (type-source.ts). Anything else is refused
// here, before the batch holding it is sent, with the reason and the fix.

import { TypeReferenceError } from '../../errors.js';
import { isEntryScript } from './function-ref.js';
import { LIBRARY_TYPES } from './library-types.js';
import { type SourceTypeRef, sourceTypeRef } from './type-source.js';
import { type RegisteredType, type TypeRegistration, typeRegistration } from '../codec/type-registry.js';

/** What a worker needs to register a type; plain data, sent once per worker. */
export type TypeRef =
  /** A type of joblib-ts itself: the worker imports its own copy of the module that registers it. */
  | { readonly kind: 'library'; readonly name: string }
  /** The worker imports the module at `url`, whose top level registers the type. */
  | { readonly kind: 'module'; readonly name: string; readonly url: string }
  /** The worker rebuilds the class and its codec from their source, and registers them. */
  | SourceTypeRef;

const resolved = new WeakMap<RegisteredType, TypeRef>();

/** The reference for the type registered as `name`, computed once per registration; throws TypeReferenceError. */
export function resolveTypeRef(name: string): TypeRef {
  const registration = typeRegistration(name);
  if (!registration) {
    throw new TypeReferenceError(name, `The type "${name}" is not registered in this process, so it cannot be sent.`);
  }
  let ref = resolved.get(registration.entry);
  if (!ref) {
    ref = computeTypeRef(name, registration);
    resolved.set(registration.entry, ref);
  }
  return ref;
}

function computeTypeRef(name: string, registration: TypeRegistration): TypeRef {
  const { registeredIn } = registration;
  if (Object.hasOwn(LIBRARY_TYPES, name)) return { kind: 'library', name };
  if (registeredIn?.startsWith('file:') && !isEntryScript(registeredIn)) return { kind: 'module', name, url: registeredIn };
  const bySource = registeredIn ? sourceTypeRef(name, registeredIn, registration) : { refusal: 'it has no source file' };
  if ('kind' in bySource) return bySource;
  const where = registeredIn ? `the entry script (${registeredIn})` : 'code that has no module (new Function, vm)';
  const cls = registration.cls.name || 'YourClass';
  throw new TypeReferenceError(name,
    `The registered type "${name}" cannot be sent to a worker: it is registered in ${where}, which workers do not ` +
      `import (that would run the program again), and it cannot be rebuilt there from its source: ${bySource.refusal}. ` +
      `Register it in a module the worker can import: move registerType(${cls}, …) next to \`export class ${cls}\` in ` +
      'a module other than the entry script, and import that module here; or make the class, its encode and its ' +
      'decode use only imports, globals and top-level functions of the script.');
}
