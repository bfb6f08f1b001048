// A registered type rebuilt in a worker from its source, when it is registered in the entry
// script (which workers never import): the class, its encode and its decode are evaluated
// together in one scope, with the script's imports and top-level helper functions they use,
// and registered there under the same name; instances a task makes with the class (through its
// methods) go back like any other. Not possible when one of them captures a variable of the
// script, or is not written in it: the refusal says which.

import type { Node } from 'acorn';
import { type FunctionLocation, locateFunction } from './locate.js';
import { analyzeScript, type AnalyzedScript, type Binding, findFunctionNode, freeNames, offsetOf } from './script-scope.js';
import { planScope, type ShippedScope } from './source-plan.js';
import type { TypeRegistration } from '../codec/type-registry.js';
import type { AnyFunction } from './any-function.js';

/** What a worker needs to rebuild and register a type from its source; plain data. */
export interface SourceTypeRef extends ShippedScope {
  readonly kind: 'source';
  readonly name: string;
  /** The class's name in the scope: its declaration's, or that of the script's import of it. */
  readonly className: string;
  /** The class's source, evaluated in the scope; null when one of the scope's imports is the class. */
  readonly classSource: string | null;
  readonly encode: string;
  readonly decode: string;
}

/** The source reference of a type registered in script `url`, or why it cannot be rebuilt from its source. */
export function sourceTypeRef(
  name: string, url: string, { cls, entry }: TypeRegistration,
): SourceTypeRef | { refusal: string } {
  const codec = { encode: entry.encode, decode: entry.decode };
  const located = { encode: locateFunction(codec.encode), decode: locateFunction(codec.decode) };
  if (located.encode?.url !== url || located.decode?.url !== url) {
    return { refusal: 'its encode and decode are not both functions written in that script' };
  }
  let script: AnalyzedScript;
  try {
    script = analyzeScript(url, located.encode.source);
  } catch (error) {
    return { refusal: `the script could not be parsed (${String(error)})` };
  }
  const encodeNode = functionNode(script, codec.encode, located.encode);
  const decodeNode = functionNode(script, codec.decode, located.decode);
  if (!encodeNode || !decodeNode) return { refusal: 'its encode or decode could not be found in the script' };
  const classSource = Function.prototype.toString.call(cls);
  const declared = declaredClass(script, classSource);
  const nodes = declared ? [declared.node, encodeNode, decodeNode] : [encodeNode, decodeNode];
  const names = new Map<string, Binding>();
  const className = declared?.name ?? cls.name;
  if (!declared) {
    const imported = script.topLevel.get(className);
    if (!className || (imported?.kind !== 'import' && imported?.kind !== 'require')) {
      return { refusal: `the class ${className || '(anonymous)'} is neither declared at the top level of the script nor ` +
        'imported there under its own name' };
    }
    names.set(className, imported);
  }
  for (const node of nodes) {
    for (const [local, binding] of freeNames(script, node)) names.set(local, binding);
  }
  // The class's own name is bound by the shipped code; nothing is `shipped` as a helper would be (a codec
  // function declared at the top level may also be a helper of the other).
  const bound = new Set(declared ? [className] : []);
  const { scope, refused } = planScope(script, url, names, { shipped: [], bound });
  if (refused.length > 0) return { refusal: `it uses ${refused.join(', ')}, which a worker cannot see` };
  return {
    kind: 'source', name, className, classSource: declared ? classSource : null,
    encode: Function.prototype.toString.call(codec.encode), decode: Function.prototype.toString.call(codec.decode),
    ...scope,
  };
}

function functionNode(script: AnalyzedScript, fn: AnyFunction, at: FunctionLocation): Node | undefined {
  return findFunctionNode(script, offsetOf(at.source, at.line, at.column), Function.prototype.toString.call(fn));
}

/** The top-level declaration of the class whose source is `classSource`: `class X {}` or `const X = class {}`. */
function declaredClass(script: AnalyzedScript, classSource: string): { name: string; node: Node } | undefined {
  const text = (node: Node): string => script.source.slice(node.start, node.end);
  for (const item of script.program.body) {
    const statement = (item.type === 'ExportNamedDeclaration' || item.type === 'ExportDefaultDeclaration')
      && item.declaration ? item.declaration : item;
    if (statement.type === 'ClassDeclaration' && statement.id && text(statement) === classSource) {
      return { name: statement.id.name, node: statement };
    }
    if (statement.type !== 'VariableDeclaration') continue;
    for (const { id, init } of statement.declarations) {
      if (id.type === 'Identifier' && init?.type === 'ClassExpression' && text(init) === classSource) {
        return { name: id.name, node: init };
      }
    }
  }
  return undefined;
}
