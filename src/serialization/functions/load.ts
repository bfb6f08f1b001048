// The worker side of function references: import a module and walk to the export, walk
// `globalThis` to a built-in, or rebuild a source-shipped function with its imports and
// helpers in scope (as registered types shipped by source are, type-loader.ts).

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyFunction } from './any-function.js';
import type { FunctionRef } from './function-ref.js';
import type { ImportSpec, ShippedScope } from './source-plan.js';

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
  const fn = await evaluateInScope(ref, `return (${asExpression(ref.source)});`);
  if (typeof fn !== 'function') throw new TypeError(`The source of ${ref.name} did not evaluate to a function.`);
  return fn as AnyFunction;
}

/** Runs `body` (code that ends in a `return`) after the scope's helpers, with its imports and CommonJS names bound. */
export async function evaluateInScope(scope: ShippedScope, body: string): Promise<unknown> {
  const names: string[] = [];
  const values: unknown[] = [];
  const isFile = scope.baseUrl.startsWith('file:') && !scope.baseUrl.includes('[eval');
  const basePath = isFile ? fileURLToPath(scope.baseUrl) : `${process.cwd()}/[eval]`;
  const require = createRequire(basePath);
  for (const spec of scope.imports) {
    names.push(spec.local);
    values.push(await importBinding(spec, require, basePath));
  }
  for (const cjs of scope.cjsNames) {
    names.push(cjs);
    values.push(cjs === 'require' ? require : cjs === '__filename' ? basePath : dirname(basePath));
  }
  const factory = new Function(...names, `${scope.strict ? '"use strict";\n' : ''}${scope.helpers.join('\n')}\n${body}`);
  return (factory as (...args: unknown[]) => unknown)(...values);
}

/** Method shorthand (`name(x) { … }`) is not an expression; wrap it in an object literal. */
export function asExpression(source: string): string {
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
