// The worker side of function references: import a module and walk to the export, walk
// `globalThis` to a built-in, or rebuild a source-shipped function with its imports and
// helpers in scope.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FunctionRef, ImportSpec } from './function-ref.js';
import type { AnyFunction } from './function-ref.js';

/** The function a reference names, loaded in this process. */
export async function loadFunction(ref: FunctionRef): Promise<AnyFunction> {
  switch (ref.kind) {
    case 'global':
      return walkTo(globalThis, ref.path, ref.name);
    case 'module':
      return walkTo(await import(ref.url), ref.path, ref.name);
    case 'source':
      return rebuild(ref);
  }
}

function walkTo(root: unknown, path: readonly string[], name: string): AnyFunction {
  let value = root;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'function') {
    throw new TypeError(`The worker could not find ${name} at ${path.join('.')}: it is ${typeof value}.`);
  }
  return value as AnyFunction;
}

async function rebuild(ref: Extract<FunctionRef, { kind: 'source' }>): Promise<AnyFunction> {
  const names: string[] = [];
  const values: unknown[] = [];
  const isFile = ref.baseUrl.startsWith('file:') && !ref.baseUrl.includes('[eval');
  const basePath = isFile ? fileURLToPath(ref.baseUrl) : `${process.cwd()}/[eval]`;
  const require = createRequire(basePath);
  for (const spec of ref.imports) {
    names.push(spec.local);
    values.push(await importBinding(spec, require, basePath));
  }
  for (const cjs of ref.cjsNames) {
    names.push(cjs);
    values.push(cjs === 'require' ? require : cjs === '__filename' ? basePath : dirname(basePath));
  }
  const body = `${ref.strict ? '"use strict";\n' : ''}${ref.helpers.join('\n')}\nreturn (${asExpression(ref.source)});`;
  const factory = new Function(...names, body) as (...args: unknown[]) => unknown;
  const fn = factory(...values);
  if (typeof fn !== 'function') throw new TypeError(`The source of ${ref.name} did not evaluate to a function.`);
  return fn as AnyFunction;
}

/** Method shorthand (`name(x) { … }`) is not an expression; wrap it in an object literal. */
function asExpression(source: string): string {
  try {
    new Function(`return (${source});`);
    return source;
  } catch {
    return `{ ${source} }[${JSON.stringify(source.match(/^(?:async\s+)?\*?\s*([\w$]+)/)?.[1] ?? '')}]`;
  }
}

async function importBinding(spec: ImportSpec, require: NodeJS.Require, basePath: string): Promise<unknown> {
  if (spec.style === 'require') {
    const exports: unknown = require(spec.specifier);
    return spec.imported === null ? exports : (exports as Record<string, unknown>)[spec.imported];
  }
  const namespace = (await import(resolveSpecifier(spec.specifier, require, basePath))) as Record<string, unknown>;
  if (spec.imported === '*') return namespace;
  return namespace[spec.imported ?? 'default'];
}

/** Relative and absolute specifiers against the defining script; bare ones from its folder. */
function resolveSpecifier(specifier: string, require: NodeJS.Require, basePath: string): string {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
    return new URL(specifier, pathToFileURL(basePath)).href;
  }
  if (specifier.includes(':')) return specifier;
  try {
    return pathToFileURL(require.resolve(specifier)).href;
  } catch {
    return specifier; // ESM-only package without a require condition: resolve from here
  }
}
