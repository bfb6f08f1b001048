// What code from a script needs in order to be rebuilt elsewhere from its source (a shipped
// function, a registered type): the script's imports and `require`s it uses, the top-level
// helper functions it calls (as source, in dependency order), the CommonJS names it reads,
// and what it captures that cannot come along (its variables), for the refusal to name.

import type { Node } from 'acorn';
import { type AnalyzedScript, type Binding, freeNames } from './script-scope.js';

/** A module a source-shipped function imports, recreated in the worker. */
export interface ImportSpec {
  readonly local: string;
  readonly specifier: string;
  /** `'default'`, `'*'`, a named export; for `require`, a member or `null` for the whole module. */
  readonly imported: string | null;
  readonly style: 'import' | 'require';
}

/** The scope shipped code is evaluated in, in the worker: plain data. */
export interface ShippedScope {
  readonly strict: boolean;
  /** URL of the defining script: relative imports and `require` resolve against it. */
  readonly baseUrl: string;
  readonly imports: readonly ImportSpec[];
  /** Top-level helper functions and constants it uses, as source, in dependency order. */
  readonly helpers: readonly string[];
  readonly cjsNames: readonly string[];
}

/** The scope `names` (free names of code in `script`, with their bindings) need, and what cannot come along. */
export interface ScopePlan {
  readonly scope: ShippedScope;
  /** Each captured variable, described: `` `scale` (a module-level const, line 5) ``. */
  readonly refused: readonly string[];
}

/**
 * Plans the scope for the code `shipped` (nodes of `script`) that uses `names`. Names in `bound`
 * are defined by the shipped code itself (a shipped class's own name), wherever they are used.
 */
export function planScope(script: AnalyzedScript, baseUrl: string, names: Map<string, Binding>,
  { shipped, bound = new Set() }: { shipped: readonly Node[]; bound?: ReadonlySet<string> }): ScopePlan {
  const plan: Plan = {
    imports: new Map(), helpers: [], cjsNames: new Set(), refused: [], seen: new Set(shipped), bound,
  };
  collect(script, names, plan);
  const strict = script.isModule || /^\s*(['"])use strict\1/.test(script.source);
  return {
    scope: {
      strict, baseUrl, imports: [...plan.imports.values()], helpers: plan.helpers, cjsNames: [...plan.cjsNames],
    },
    refused: plan.refused,
  };
}

/** The names of refused captures (`threshold` from "`threshold` (a module-level const, line 3)"). */
export function refusedNames(refused: readonly string[]): string[] {
  return refused.map((r) => r.split(' ')[0]!.replaceAll('`', ''));
}

interface Plan {
  readonly imports: Map<string, ImportSpec>;
  readonly helpers: string[];
  readonly cjsNames: Set<string>;
  readonly refused: string[];
  readonly seen: Set<unknown>;
  readonly bound: ReadonlySet<string>;
}

function collect(script: AnalyzedScript, names: Map<string, Binding>, plan: Plan): void {
  for (const [local, binding] of names) {
    if (plan.bound.has(local)) continue;
    switch (binding.kind) {
      case 'global':
        break;
      case 'import':
        plan.imports.set(local, { local, specifier: binding.specifier, imported: binding.imported, style: 'import' });
        break;
      case 'require':
        plan.imports.set(local, { local, specifier: binding.specifier, imported: binding.member, style: 'require' });
        break;
      case 'cjs':
        if (binding.name === 'module' || binding.name === 'exports') plan.refused.push(`\`${local}\` (the script's CommonJS ${local})`);
        else plan.cjsNames.add(binding.name);
        break;
      case 'helper':
        if (!plan.seen.has(binding.node)) {
          plan.seen.add(binding.node);
          collect(script, freeNames(script, binding.node), plan);
          plan.helpers.push(binding.source);
        }
        break;
      case 'local':
        plan.refused.push(`\`${local}\` (a local variable of an enclosing function)`);
        break;
      case 'variable':
        plan.refused.push(binding.declaration === 'undeclared'
          ? `\`${local}\` (not declared in the script, and not a global)`
          : `\`${local}\` (a module-level ${binding.declaration}${binding.line ? `, line ${binding.line}` : ''})`);
        break;
    }
  }
}
