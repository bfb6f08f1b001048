// `joblib-ts cache clear DIR [FUNCTION…] --yes`: removes the named functions' folders, or
// everything in the location as Memory.clear() does (the location stays marked as one). It
// removes only with --yes, or after a yes typed at a terminal; `npm cache clean` wants --force.

import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import type { CachedFunction } from '../memory/cache-listing.js';
import { CacheLocation } from '../memory/cache-location.js';
import { type Command, HELP_OPTION, type Invocation, parseCommandLine } from './command.js';
import { selectFunctions } from './function-selection.js';
import { renderTable } from './table.js';
import { formatBytes, plural } from './units.js';

const OPTIONS = {
  ...HELP_OPTION,
  function: { type: 'string', short: 'f', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
} as const;

/** Asks on the terminal; true for `y` or `yes`. */
async function confirmed(question: string, invocation: Invocation): Promise<boolean> {
  const prompt = createInterface({ input: invocation.stdin, output: invocation.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await prompt.question(question));
  } finally {
    prompt.close();
  }
}

const summary = (functions: readonly CachedFunction[]): string => {
  const entries = functions.reduce((sum, f) => sum + f.entries.length, 0);
  const bytes = functions.reduce((sum, f) => sum + f.sizeBytes, 0);
  return `${plural(entries, 'entry', 'entries')} (${formatBytes(bytes)}) of ${plural(functions.length, 'function')}`;
};

/** `joblib-ts cache clear`. */
export const cacheClearCommand: Command = {
  name: 'clear',
  summary: 'remove cached functions, or everything (--yes)',
  synopsis: 'DIR [FUNCTION…] --yes',
  help: (words) => `Usage: ${words.join(' ')} DIR [FUNCTION…] --yes [--json]

Removes from the Memory location DIR the cached functions named (by name, or module/name as
'cache ls' shows them): their entries and stored code. Without FUNCTION, removes everything
in DIR, as memory.clear() does; DIR stays a cache location. Nothing is removed without --yes;
at a terminal, clear asks instead.

Options:
  -f, --function NAME   the same as a FUNCTION argument (repeatable)
  -y, --yes     remove without asking
  --json        print one JSON document: {location, all, removed: [{module, function,
                entryCount, sizeBytes}], entryCount, sizeBytes}
  -h, --help    show this help

Exit status: 0 ok, 1 DIR is not a cache location, a FUNCTION names none, or the question was
answered no; 2 usage error (also: no --yes and no terminal to ask at).
`,
  async run(args, invocation) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) {
      invocation.stdout.write(cacheClearCommand.help(invocation.words));
      return 0;
    }
    const [dir, ...named] = positionals;
    const selectors = [...named, ...(values.function ?? [])];
    if (dir === undefined) throw new UsageError('a cache folder DIR is needed.');
    const location = CacheLocation.open(dir);
    const all = selectors.length === 0;
    const functions = selectFunctions(location, selectors, { ambiguous: 'refuse' });
    if (!values.yes) {
      if (!invocation.stdin.isTTY) {
        throw new UsageError(`clear removes cached results: add --yes to remove ${summary(functions)} from ${dir}. Nothing was removed.`);
      }
      const what = all ? `everything in ${dir}: ${summary(functions)}` : `${summary(functions)} from ${dir}`;
      if (!(await confirmed(`Remove ${what}? [y/N] `, invocation))) {
        invocation.stderr.write('Nothing was removed.\n');
        return 1;
      }
    }
    if (all) location.clearAll();
    else location.clear(functions);
    if (values.json) {
      const document = {
        location: dir, all,
        removed: functions.map((f) => ({
          module: f.module, function: f.functionName, entryCount: f.entries.length, sizeBytes: f.sizeBytes,
        })),
        entryCount: functions.reduce((sum, f) => sum + f.entries.length, 0),
        sizeBytes: functions.reduce((sum, f) => sum + f.sizeBytes, 0),
      };
      invocation.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    let out = '';
    if (functions.length > 0) {
      out += renderTable([{ heading: 'removed' }, { heading: 'entries', right: true }, { heading: 'size', right: true }],
        functions.map((f) => [`${f.module}/${f.functionName}`, String(f.entries.length), formatBytes(f.sizeBytes)]));
    }
    out += `removed ${summary(functions)} from ${dir}${all ? ' (everything: it is now an empty cache location)' : ''}\n`;
    invocation.stdout.write(out);
    return 0;
  },
};
