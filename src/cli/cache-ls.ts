// `joblib-ts cache ls DIR [FUNCTION…]`: one row per cached function (entries, size, last
// access, oldest entry) and a totals line; with --entries, each function's entries (key, size,
// last access, compute time, call). The listing itself is CacheLocation's (memory layer).

import { UsageError } from '../errors.js';
import type { CachedEntry, CachedFunction } from '../memory/cache-listing.js';
import { CacheLocation } from '../memory/cache-location.js';
import { type Command, HELP_OPTION, parseCommandLine } from './command.js';
import { selectFunctions } from './function-selection.js';
import { renderTable } from './table.js';
import { formatAgo, formatBytes, formatDuration, plural } from './units.js';

const OPTIONS = {
  ...HELP_OPTION,
  function: { type: 'string', short: 'f', multiple: true },
  entries: { type: 'boolean' },
  sort: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type SortKey = 'size' | 'access' | 'name';
const SORTS: readonly SortKey[] = ['size', 'access', 'name'];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sorted<T extends { readonly sizeBytes: number; readonly lastAccessMs: number }>(
  items: readonly T[], sort: SortKey, name: (item: T) => string,
): T[] {
  if (sort === 'size') return [...items].sort((a, b) => b.sizeBytes - a.sizeBytes || byName(name(a), name(b)));
  if (sort === 'access') return [...items].sort((a, b) => b.lastAccessMs - a.lastAccessMs || byName(name(a), name(b)));
  return [...items].sort((a, b) => byName(name(a), name(b)));
}

const fullName = (f: CachedFunction): string => `${f.module}/${f.functionName}`;

function entryJson(e: CachedEntry): Record<string, unknown> {
  return {
    key: e.key, sizeBytes: e.sizeBytes, lastAccess: iso(e.lastAccessMs), created: iso(e.createdMs),
    durationMs: e.durationMs, call: e.args,
  };
}

function entryTable(entries: readonly CachedEntry[], now: number): string {
  return renderTable(
    [{ heading: 'key' }, { heading: 'size', right: true }, { heading: 'last access' }, { heading: 'computed in', right: true },
      { heading: 'call' }],
    entries.map((e) => [e.key, formatBytes(e.sizeBytes), formatAgo(e.lastAccessMs, now),
      e.durationMs === null ? '-' : formatDuration(e.durationMs), e.args ?? '-']),
    '  ',
  );
}

/** `joblib-ts cache ls`. */
export const cacheLsCommand: Command = {
  name: 'ls',
  summary: 'the cached functions: entries, size, last access',
  synopsis: 'DIR [FUNCTION…]',
  help: (words) => `Usage: ${words.join(' ')} DIR [FUNCTION…] [--entries] [--sort size|access|name] [--json]

Lists the functions cached in the Memory location DIR, one row each: entries, total size,
last access (the last time an entry was read or written) and when its oldest entry was
computed, then a totals line. FUNCTION names one function, by its name or as module/name
(as the rows show it), to list only those.

Options:
  -f, --function NAME   the same as a FUNCTION argument (repeatable)
  --entries     also list each function's entries: key, size, last access, how long the
                call took to compute (from its metadata), and the call
  --sort KEY    size (largest first), access (most recent first) or name (default)
  --json        print one JSON document: {location, functions: [{module, function, entryCount,
                sizeBytes, lastAccess, oldestEntry, entries?: [{key, sizeBytes, lastAccess,
                created, durationMs, call}]}], totals: {functions, entries, sizeBytes}};
                times are ISO 8601, null when unknown
  -h, --help    show this help

Exit status: 0 ok, 1 DIR is not a cache location or FUNCTION names no cached function,
2 usage error.
`,
  async run(args, invocation) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) {
      invocation.stdout.write(cacheLsCommand.help(invocation.words));
      return 0;
    }
    const [dir, ...named] = positionals;
    const selectors = [...named, ...(values.function ?? [])];
    if (dir === undefined) throw new UsageError('a cache folder DIR is needed.');
    const sort = (values.sort ?? 'name') as SortKey;
    if (!SORTS.includes(sort)) throw new UsageError(`--sort takes size, access or name; got '${values.sort}'.`);
    const location = CacheLocation.open(dir);
    const functions = sorted(selectFunctions(location, selectors, { ambiguous: 'all' }), sort, fullName);
    const entries = functions.reduce((sum, f) => sum + f.entries.length, 0);
    const sizeBytes = functions.reduce((sum, f) => sum + f.sizeBytes, 0);
    const name = (e: CachedEntry): string => e.key;
    if (values.json) {
      const document = {
        location: dir,
        functions: functions.map((f) => ({
          module: f.module, function: f.functionName, entryCount: f.entries.length, sizeBytes: f.sizeBytes,
          lastAccess: iso(f.lastAccessMs), oldestEntry: iso(f.oldestCreatedMs),
          ...(values.entries && { entries: sorted(f.entries, sort, name).map(entryJson) }),
        })),
        totals: { functions: functions.length, entries, sizeBytes },
      };
      invocation.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    const now = Date.now();
    const columns = [{ heading: 'function' }, { heading: 'entries', right: true }, { heading: 'size', right: true },
      { heading: 'last access' }, { heading: 'oldest entry' }];
    const row = (f: CachedFunction): string[] => [fullName(f), String(f.entries.length), formatBytes(f.sizeBytes),
      formatAgo(f.lastAccessMs, now), f.oldestCreatedMs === null ? '-' : formatAgo(f.oldestCreatedMs, now)];
    let out = '';
    if (values.entries) {
      for (const f of functions) {
        const oldest = f.oldestCreatedMs === null ? '' : `, oldest entry ${formatAgo(f.oldestCreatedMs, now)}`;
        out += `${fullName(f)}: ${plural(f.entries.length, 'entry', 'entries')}, ${formatBytes(f.sizeBytes)}, ` +
          `last access ${formatAgo(f.lastAccessMs, now)}${oldest}\n${entryTable(sorted(f.entries, sort, name), now)}\n`;
      }
    } else if (functions.length > 0) {
      out += renderTable(columns, functions.map(row));
    }
    out += `total: ${plural(functions.length, 'function')}, ${plural(entries, 'entry', 'entries')}, ${formatBytes(sizeBytes)} in ${dir}\n`;
    invocation.stdout.write(out);
    return 0;
  },
};
