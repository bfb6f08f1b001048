// The layout's rules (ARCHITECTURE.md), checked on the source: imports flow one way between the
// parts, no file imports another in a loop (type-only imports included: each loop says a type
// lives in the wrong file), nothing is imported only for its side effects (the package says
// "sideEffects": false), and no file grows past ~400 lines.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '..', 'src');
const files = (fs.readdirSync(SRC, { recursive: true }) as string[])
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.split(path.sep).join('/'));
const sources = new Map(files.map((file) => [file, fs.readFileSync(path.join(SRC, file), 'utf8')]));

/** Every relative import of each file (static, re-export, dynamic), resolved to a file under src/. */
const imports = new Map(files.map((file) => {
  const targets = new Set<string>();
  for (const [, specifier] of sources.get(file)!.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier!)).replace(/\.js$/, '.ts');
    targets.add(resolved);
  }
  return [file, targets] as const;
}));

const importers = (rule: (from: string, to: string) => boolean): string[] => {
  const broken: string[] = [];
  for (const [from, targets] of imports) for (const to of targets) if (rule(from, to)) broken.push(`${from} -> ${to}`);
  return broken;
};
const under = (file: string, ...folders: string[]): boolean => folders.some((folder) => file.startsWith(folder));

describe('the layout', () => {
  it('resolves every relative import to a source file', () => {
    expect(importers((_, to) => !sources.has(to))).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of imports.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('imports nothing for its side effects only', () => {
    const bare = files.filter((file) => /^import\s+['"]/m.test(sources.get(file)!));
    expect(bare).toEqual([]);
  });

  it('keeps imports flowing down: cli -> {parallel, memory, persistence} -> serialization -> errors', () => {
    expect(importers((_, to) => to === 'index.ts')).toEqual([]);
    expect(importers((from, to) => !under(from, 'cli/') && under(to, 'cli/'))).toEqual([]);
    expect(importers((from, to) => under(from, 'parallel/') && under(to, 'memory/'))).toEqual([]);
    expect(importers((from, to) => under(from, 'memory/') && under(to, 'parallel/'))).toEqual([]);
    expect(importers((from, to) => under(from, 'persistence/') && under(to, 'parallel/', 'memory/'))).toEqual([]);
    expect(importers((from, to) => under(from, 'serialization/') && under(to, 'parallel/', 'memory/', 'persistence/')))
      .toEqual([]);
    expect(importers((from) => from === 'errors.ts' || from === 'warnings.ts')).toEqual([]);
  });

  it('keeps the backends layered: process|threads -> pool|worker -> wire, and the interface imports no implementation', () => {
    const backends = 'parallel/backends/';
    const runtimes = [`${backends}process/`, `${backends}threads/`, `${backends}bullmq/`];
    expect(importers((from, to) => under(from, `${backends}wire/`)
      && under(to, `${backends}pool/`, `${backends}worker/`, ...runtimes))).toEqual([]);
    expect(importers((from, to) => under(from, `${backends}worker/`, `${backends}pool/`) && under(to, ...runtimes)))
      .toEqual([]);
    expect(importers((from, to) => under(from, `${backends}worker/`) && under(to, `${backends}pool/`))).toEqual([]);
    expect(importers((from, to) => from === `${backends}backend.ts` && under(to, backends))).toEqual([]);
  });

  it('keeps every file under about 400 lines', () => {
    const long = files.filter((file) => sources.get(file)!.split('\n').length > 410);
    expect(long).toEqual([]);
  });
});
