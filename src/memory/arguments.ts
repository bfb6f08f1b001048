// A cache key needs the arguments by parameter name, defaults applied and ignored parameters
// dropped, so that f(1), f(1, undefined) and f(1, 0) with `b = 0` share an entry. Parameters
// are read from the function's source with acorn; default values that are literals are
// evaluated here (without running code), others are keyed by their source text. Whether the
// function reads `this` is read from the same parse: its receiver is then part of the key.

import { type Node, parseExpressionAt } from 'acorn';
import { InvalidOptionError } from '../errors.js';

/** One parameter of a cached function. */
export interface Parameter {
  /** Its name, or `$0`, `$1`… for a destructured parameter. */
  readonly name: string;
  readonly rest: boolean;
  /** Whether it has a default; `defaultValue` is set when that default is a literal. */
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  /** The default's source, keyed when it is not a literal. */
  readonly defaultSource?: string;
}

type AnyNode = Node & Record<string, unknown>;

/** What a cache key needs to know of a function's signature. */
export interface Signature {
  readonly parameters: readonly Parameter[];
  /** Whether the function reads `this` (a non-arrow function with `this` outside nested functions). */
  readonly usesThis: boolean;
}

/** The parameters of `fn`, parsed from its source, and whether it uses `this`. */
export function signatureOf(fn: (...args: never[]) => unknown): Signature {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(source)) return { parameters: nativeParameters(fn), usesThis: false };
  const node = parseFunction(source);
  return {
    parameters: (node.params as AnyNode[]).map((param, index) => describeParameter(param, index, source)),
    usesThis: node.type !== 'ArrowFunctionExpression' && readsThis(node.body as AnyNode),
  };
}

/** Whether `this` occurs under `node` outside nested non-arrow functions (which have their own). */
function readsThis(node: AnyNode): boolean {
  if (node.type === 'ThisExpression') return true;
  if (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration') return false;
  for (const [key, child] of Object.entries(node)) {
    if (key === 'type' || child === null || typeof child !== 'object') continue;
    for (const item of Array.isArray(child) ? child as unknown[] : [child]) {
      if (item !== null && typeof item === 'object' && typeof (item as AnyNode).type === 'string' && readsThis(item as AnyNode)) {
        return true;
      }
    }
  }
  return false;
}

function parseFunction(source: string): AnyNode {
  const options = { ecmaVersion: 'latest' as const };
  for (const candidate of [source, `({ ${source} })`]) {
    try {
      let node = parseExpressionAt(candidate, 0, options) as AnyNode;
      if (node.type === 'ObjectExpression') node = ((node.properties as AnyNode[])[0]!).value as AnyNode;
      if (node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression') return node;
    } catch {
      // try the next form
    }
  }
  throw new InvalidOptionError('memory.cache could not read the parameters of this function from its source.');
}

function nativeParameters(fn: (...args: never[]) => unknown): Parameter[] {
  return Array.from({ length: fn.length }, (_, i) => ({ name: `$${i}`, rest: false, hasDefault: false }));
}

function describeParameter(param: AnyNode, index: number, source: string): Parameter {
  if (param.type === 'RestElement') {
    const argument = param.argument as AnyNode;
    return { name: argument.type === 'Identifier' ? String(argument.name) : `$${index}`, rest: true, hasDefault: false };
  }
  if (param.type === 'AssignmentPattern') {
    const left = param.left as AnyNode;
    const right = param.right as AnyNode;
    const name = left.type === 'Identifier' ? String(left.name) : `$${index}`;
    const literal = literalValue(right);
    return literal.ok
      ? { name, rest: false, hasDefault: true, defaultValue: literal.value }
      : { name, rest: false, hasDefault: true, defaultSource: source.slice(right.start, right.end) };
  }
  return { name: param.type === 'Identifier' ? String(param.name) : `$${index}`, rest: false, hasDefault: false };
}

/** The value of a literal expression (numbers, strings, booleans, null, arrays and objects of them). */
function literalValue(node: AnyNode): { ok: true; value: unknown } | { ok: false } {
  switch (node.type) {
    case 'Literal':
      return node.regex ? { ok: false } : { ok: true, value: node.value };
    case 'Identifier':
      return node.name === 'undefined' ? { ok: true, value: undefined } : { ok: false };
    case 'UnaryExpression': {
      const inner = literalValue(node.argument as AnyNode);
      return node.operator === '-' && inner.ok && typeof inner.value === 'number' ? { ok: true, value: -inner.value } : { ok: false };
    }
    case 'ArrayExpression': {
      const values: unknown[] = [];
      for (const element of node.elements as (AnyNode | null)[]) {
        if (!element) return { ok: false };
        const inner = literalValue(element);
        if (!inner.ok) return { ok: false };
        values.push(inner.value);
      }
      return { ok: true, value: values };
    }
    case 'ObjectExpression': {
      const value: Record<string, unknown> = {};
      for (const property of node.properties as AnyNode[]) {
        const key = property.key as AnyNode | undefined;
        if (property.type !== 'Property' || property.computed || !key) return { ok: false };
        const inner = literalValue(property.value as AnyNode);
        if (!inner.ok) return { ok: false };
        value[key.type === 'Identifier' ? String(key.name) : String(key.value)] = inner.value;
      }
      return { ok: true, value };
    }
    default:
      return { ok: false };
  }
}

/** Checks `ignore` against the parameter names (and `'this'`, for a function that reads it). */
export function checkIgnore(signature: Signature, ignore: unknown, functionName: string): ReadonlySet<string> {
  if (ignore === undefined) return new Set();
  if (!Array.isArray(ignore) || ignore.some((name) => typeof name !== 'string')) {
    throw new InvalidOptionError(`ignore must be an array of parameter names, got ${JSON.stringify(ignore)}.`);
  }
  const names = new Set(signature.parameters.map((p) => p.name));
  if (signature.usesThis) names.add('this');
  const unknown = ignore.filter((name: string) => !names.has(name));
  if (unknown.length > 0) {
    throw new InvalidOptionError(`ignore names ${unknown.map((n: string) => `'${n}'`).join(', ')}, which ${functionName} does ` +
      `not have; its parameters are ${[...names].map((n) => `'${n}'`).join(', ') || 'none'}.`);
  }
  return new Set(ignore as string[]);
}

/** The keyed form of a call: parameter name → argument, defaults applied, ignored ones removed. */
export function normalizeArguments(
  parameters: readonly Parameter[], ignore: ReadonlySet<string>, args: readonly unknown[],
): Record<string, unknown> {
  const keyed: Record<string, unknown> = {};
  parameters.forEach((parameter, index) => {
    if (ignore.has(parameter.name)) return;
    if (parameter.rest) {
      keyed[parameter.name] = args.slice(index);
      return;
    }
    let value = args[index];
    if (value === undefined && parameter.hasDefault) {
      value = parameter.defaultSource === undefined ? parameter.defaultValue : { $default: parameter.defaultSource };
    }
    keyed[parameter.name] = value;
  });
  // Extra arguments beyond the declared parameters still change the call (arguments object).
  const last = parameters.at(-1);
  if (!last?.rest && args.length > parameters.length) keyed.$extra = args.slice(parameters.length);
  return keyed;
}
