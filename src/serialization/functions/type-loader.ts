// The worker side of type references: import the module that registers a type (the worker's
// own copy, for the library's types) and check that it did, or rebuild the class and its codec
// from their source and register them.

import { fileURLToPath } from 'node:url';
import { asExpression, evaluateInScope } from './load.js';
import { LIBRARY_TYPES } from './library-types.js';
import type { TypeRef } from './type-ref.js';
import type { SourceTypeRef } from './type-source.js';
import { registeredTypeByName, registerType } from '../codec/type-registry.js';

/** Registers in this process the type a reference names; throws (with the reason) if it cannot. */
export async function loadType(ref: TypeRef): Promise<void> {
  if (ref.kind === 'source') return rebuildType(ref);
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

async function rebuildType(ref: SourceTypeRef): Promise<void> {
  const { name, className, classSource } = ref;
  const body = `${classSource ? `const ${className} = (${classSource});\n` : ''}` +
    `return [${className}, (${asExpression(ref.encode)}), (${asExpression(ref.decode)})];`;
  let parts: unknown;
  try {
    parts = await evaluateInScope(ref, body);
  } catch (error) {
    throw new Error(`The worker could not rebuild "${name}" from its source: ${String(error)}`, { cause: error });
  }
  const [cls, encode, decode] = parts as [unknown, unknown, unknown];
  if (typeof cls !== 'function' || typeof encode !== 'function' || typeof decode !== 'function') {
    throw new Error(`The worker rebuilt "${name}" from its source, but ${className} is not a class there.`);
  }
  registerType(cls as abstract new () => unknown, {
    name, encode: encode as (instance: unknown) => unknown, decode: decode as (state: unknown) => unknown,
  });
}
