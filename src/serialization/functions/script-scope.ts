// Static scope analysis of a function inside its defining script (acorn): which names the
// function uses without declaring them, and what each resolves to in the script: an import, a
// `require`, a top-level helper function, some other top-level variable, a local variable of
// an enclosing function, or a global. This is what decides whether a function can be rebuilt
// from its source in a worker, and what the refusal says when it cannot.

import { type Node, type Program, parse } from 'acorn';
import findGlobals from 'acorn-globals';
import * as walk from 'acorn-walk';

/** What a free name of a function is bound to in its script. */
export type Binding =
  | { readonly kind: 'import'; readonly specifier: string; readonly imported: string }
  | { readonly kind: 'require'; readonly specifier: string; readonly member: string | null }
  | { readonly kind: 'helper'; readonly node: Node; readonly source: string }
  | { readonly kind: 'variable'; readonly declaration: string; readonly line: number }
  | { readonly kind: 'local'; readonly line: number }
  | { readonly kind: 'global' }
  | { readonly kind: 'cjs'; readonly name: 'require' | '__filename' | '__dirname' | 'module' | 'exports' };

export interface AnalyzedScript {
  readonly source: string;
  readonly program: Program;
  readonly isModule: boolean;
  readonly topLevel: ReadonlyMap<string, Binding>;
}

type AnyNode = Node & Record<string, unknown> & { locals?: Record<string, true> };

const CJS_NAMES = new Set(['require', '__filename', '__dirname', 'module', 'exports']);
const scripts = new Map<string, AnalyzedScript>();

/** Parses a script once (per URL and source) and indexes its top-level bindings. */
export function analyzeScript(url: string, source: string): AnalyzedScript {
  const cached = scripts.get(url);
  if (cached?.source === source) return cached;
  const options = { ecmaVersion: 'latest', allowHashBang: true, locations: true } as const;
  let program: Program;
  let isModule = true;
  try {
    program = parse(source, { ...options, sourceType: 'module' });
  } catch {
    isModule = false;
    program = parse(source, { ...options, sourceType: 'script', allowReturnOutsideFunction: true });
  }
  findGlobals(program); // marks every scope node with its `locals`
  const analyzed: AnalyzedScript = { source, program, isModule, topLevel: topLevelBindings(program, source) };
  scripts.set(url, analyzed);
  return analyzed;
}

function topLevelBindings(program: Program, source: string): Map<string, Binding> {
  const bindings = new Map<string, Binding>();
  const reassigned = assignedNames(program);
  for (const item of program.body) {
    const statement = ((item.type === 'ExportNamedDeclaration' || item.type === 'ExportDefaultDeclaration')
      && item.declaration ? item.declaration : item) as typeof item;
    const line = statement.loc?.start.line ?? 0;
    if (statement.type === 'ImportDeclaration') {
      const specifier = String(statement.source.value);
      for (const spec of statement.specifiers) {
        const imported = spec.type === 'ImportDefaultSpecifier' ? 'default'
          : spec.type === 'ImportNamespaceSpecifier' ? '*'
            : spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value);
        bindings.set(spec.local.name, { kind: 'import', specifier, imported });
      }
    } else if (statement.type === 'FunctionDeclaration' && statement.id) {
      bindings.set(statement.id.name, { kind: 'helper', node: statement, source: slice(source, statement) });
    } else if (statement.type === 'ClassDeclaration' && statement.id) {
      bindings.set(statement.id.name, { kind: 'variable', declaration: 'class', line });
    } else if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const init = declarator.init as AnyNode | null;
        const required = init ? requiredSpecifier(init) : undefined;
        if (declarator.id.type === 'Identifier') {
          const name = declarator.id.name;
          if (required) {
            bindings.set(name, { kind: 'require', specifier: required.specifier, member: required.member });
          } else if ((statement.kind === 'const' || !reassigned.has(name)) && init && isStaticDefinition(init)) {
            // A `var` never assigned again is a constant too: transpilers declare their helpers so (tsx's `__name`).
            bindings.set(name, { kind: 'helper', node: declarator, source: `const ${slice(source, declarator)};` });
          } else {
            bindings.set(name, { kind: 'variable', declaration: statement.kind, line });
          }
        } else if (declarator.id.type === 'ObjectPattern' && required && required.member === null) {
          for (const property of declarator.id.properties) {
            if (property.type === 'Property' && property.key.type === 'Identifier'
              && property.value.type === 'Identifier') {
              const member = property.key.name;
              bindings.set(property.value.name, { kind: 'require', specifier: required.specifier, member });
            }
          }
        } else {
          for (const name of patternNames(declarator.id as unknown as AnyNode)) {
            bindings.set(name, { kind: 'variable', declaration: statement.kind, line });
          }
        }
      }
    }
  }
  return bindings;
}

/** Names assigned anywhere in the program (`x = …`, `x++`, `for (x of …)`), in any scope: conservative. */
function assignedNames(program: Program): Set<string> {
  const names = new Set<string>();
  walk.simple(program, {
    AssignmentExpression(node) {
      for (const name of patternNames(node.left as unknown as AnyNode)) names.add(name);
    },
    UpdateExpression(node) {
      if (node.argument.type === 'Identifier') names.add(node.argument.name);
    },
    ForInStatement: loopTarget,
    ForOfStatement: loopTarget,
  });
  function loopTarget(node: { left: Node }): void {
    if (node.left.type !== 'VariableDeclaration') for (const name of patternNames(node.left as AnyNode)) names.add(name);
  }
  return names;
}

/** `require('x')` or `require('x').y` → the specifier and member. */
function requiredSpecifier(node: AnyNode): { specifier: string; member: string | null } | undefined {
  if (node.type === 'MemberExpression' && !node.computed) {
    const inner = requiredSpecifier(node.object as AnyNode);
    const property = node.property as AnyNode;
    if (inner && inner.member === null && property.type === 'Identifier') {
      return { specifier: inner.specifier, member: String(property.name) };
    }
    return undefined;
  }
  if (node.type !== 'CallExpression') return undefined;
  const callee = node.callee as AnyNode;
  const args = node.arguments as AnyNode[];
  if (callee.type === 'Identifier' && callee.name === 'require' && args.length === 1
    && args[0]!.type === 'Literal' && typeof args[0]!.value === 'string') {
    return { specifier: args[0]!.value, member: null };
  }
  return undefined;
}

/**
 * A `const` initializer that defines rather than computes: a function, or a property path
 * on a global (`Object.defineProperty`). Transpiler helpers such as esbuild's `__name` have
 * this shape, and re-evaluating them in a worker gives the same thing.
 */
function isStaticDefinition(node: AnyNode): boolean {
  if (node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression') return true;
  let current = node;
  while (current.type === 'MemberExpression' && !current.computed) current = current.object as AnyNode;
  return current !== node && current.type === 'Identifier' && String(current.name) in globalThis;
}

function patternNames(node: AnyNode): string[] {
  switch (node.type) {
    case 'Identifier': return [String(node.name)];
    case 'ObjectPattern':
      return (node.properties as AnyNode[]).flatMap((p) => patternNames((p.value ?? p.argument) as AnyNode));
    case 'ArrayPattern': return (node.elements as (AnyNode | null)[]).flatMap((e) => (e ? patternNames(e) : []));
    case 'RestElement': return patternNames(node.argument as AnyNode);
    case 'AssignmentPattern': return patternNames(node.left as AnyNode);
    default: return [];
  }
}

const slice = (source: string, node: Node): string => source.slice(node.start, node.end);

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** The innermost function node of `script` around `offset` whose source is `fnSource`. */
export function findFunctionNode(script: AnalyzedScript, offset: number, fnSource: string): Node | undefined {
  let found: Node | undefined;
  walk.fullAncestor(script.program, (node) => {
    if (!FUNCTION_TYPES.has(node.type) || node.start > offset || node.end <= offset) return;
    if (!fnSource.endsWith(slice(script.source, node))) return;
    if (!found || node.start >= found.start) found = node;
  });
  return found;
}

/** The free names of `fnNode` and what each resolves to in its script. */
export function freeNames(script: AnalyzedScript, fnNode: Node): Map<string, Binding> {
  const outer = ancestorsOf(script.program, fnNode);
  const result = new Map<string, Binding>();
  const visit = (node: AnyNode, _state: unknown, inner: AnyNode[]): void => {
    const name = String(node.name);
    if (name === 'undefined' || result.has(name)) return;
    for (const scope of inner) {
      if (scope.locals && name in scope.locals) return;
      if (name === 'arguments' && (scope.type === 'FunctionExpression' || scope.type === 'FunctionDeclaration')) return;
    }
    result.set(name, resolveOuter(script, outer, name));
  };
  walk.ancestor(fnNode, { Identifier: visit, VariablePattern: visit } as unknown as walk.AncestorVisitors<unknown>);
  return result;
}

function resolveOuter(script: AnalyzedScript, outer: AnyNode[], name: string): Binding {
  for (let i = outer.length - 1; i >= 1; i -= 1) {
    const scope = outer[i]!;
    if (scope.locals && name in scope.locals) return { kind: 'local', line: scope.loc?.start.line ?? 0 };
  }
  const top = script.topLevel.get(name);
  if (top) return top;
  const programLocals = (outer[0] as AnyNode | undefined)?.locals;
  if (programLocals && name in programLocals) return { kind: 'variable', declaration: 'top-level', line: 0 };
  if (!script.isModule && CJS_NAMES.has(name)) {
    return { kind: 'cjs', name: name as 'require' | '__filename' | '__dirname' | 'module' | 'exports' };
  }
  if (name in globalThis) return { kind: 'global' };
  return { kind: 'variable', declaration: 'undeclared', line: 0 };
}

function ancestorsOf(program: Program, target: Node): AnyNode[] {
  let path: AnyNode[] = [];
  walk.fullAncestor(program, (node, _state, ancestors) => {
    if (node === target) path = (ancestors as AnyNode[]).slice(0, -1);
  });
  return path;
}

/** Character offset of a 0-based line and column. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let i = 0; i < line; i += 1) {
    const next = source.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return offset + column;
}

/**
 * Where `fnNode` sits in its script, by name rather than by line: the names of the functions,
 * classes, methods and variables that enclose it, outermost first (`['Model', 'fit',
 * 'loss']`); an unnamed function counts as `'<fn>'`. It stays the same when lines move.
 */
export function enclosingNames(script: AnalyzedScript, fnNode: Node): string[] {
  const names: string[] = [];
  const NAMING_PARENTS = ['VariableDeclarator', 'Property', 'MethodDefinition', 'PropertyDefinition'];
  let parentType = '';
  for (const node of ancestorsOf(script.program, fnNode)) {
    const id = (node.id ?? node.key) as AnyNode | null | undefined;
    const named = id?.type === 'Identifier' ? String(id.name) : id?.type === 'Literal' ? String(id.value) : undefined;
    switch (node.type) {
      case 'VariableDeclarator':
      case 'FunctionDeclaration':
      case 'ClassDeclaration':
      case 'ClassExpression':
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'Property':
        if (named !== undefined) names.push(named);
        break;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        // Named by its declarator or property already, or by its own id; else a placeholder.
        if (named !== undefined) names.push(named);
        else if (!NAMING_PARENTS.includes(parentType)) names.push('<fn>');
        break;
    }
    parentType = node.type;
  }
  return names;
}
