// The worker side of type references: import the module that registers a type (the worker's
// own copy, for the library's types), then check that it did.

import { fileURLToPath } from 'node:url';
import { LIBRARY_TYPES } from './library-types.js';
import type { TypeRef } from './type-ref.js';
import { registeredTypeByName } from './type-registry.js';

/** Registers in this process the type a reference names; throws (with the reason) if it cannot. */
export async function loadType(ref: TypeRef): Promise<void> {
  const url = ref.kind === 'library' ? new URL(LIBRARY_TYPES[ref.name]!, import.meta.url).href : ref.url;
  try {
    await import(url);
  } catch (error) {
    throw new Error(`The worker could not import ${shortName(url)} to register "${ref.name}": ${String(error)}`,
      { cause: error });
  }
  if (!registeredTypeByName(ref.name)) {
    throw new Error(`The worker imported ${shortName(url)}, where the parent registered "${ref.name}", but that did ` +
      'not register it: call registerType at the top level of that module, in every process (not behind a condition ' +
      'or inside a function).');
  }
}

const shortName = (url: string): string => (url.startsWith('file:') ? fileURLToPath(url) : url);
