// `joblib-ts cache prune DIR --bytes-limit 1G --items-limit N --age-limit 30d [--dry-run]`:
// Memory.reduceSize from the command line (CacheLocation.prune applies its very rule), and a
// report of the entries removed (or, dry, that would be) and of what is kept.

import { UsageError } from '../errors.js';
import type { CacheItem } from '../memory/cache-listing.js';
import { CacheLocation } from '../memory/cache-location.js';
import type { SizeLimits } from '../memory/memory.js';
import { type Command, HELP_OPTION, parseCommandLine } from './command.js';
import { renderTable } from './table.js';
import { formatAgo, formatBytes, parseByteSize, parseCount, parseDuration, plural } from './units.js';

const OPTIONS = {
  ...HELP_OPTION,
  'bytes-limit': { type: 'string' },
  'items-limit': { type: 'string' },
  'age-limit': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'json': { type: 'boolean' },
} as const;

const bytesOf = (items: readonly CacheItem[]): number => items.reduce((sum, e) => sum + e.sizeBytes, 0);

const itemJson = (e: CacheItem): Record<string, unknown> => ({
  module: e.module, function: e.functionName, key: e.key, sizeBytes: e.sizeBytes,
  lastAccess: new Date(e.lastAccessMs).toISOString(),
});

/** `joblib-ts cache prune`. */
export const cachePruneCommand: Command = {
  name: 'prune',
  summary: 'remove entries until limits hold (Memory.reduceSize)',
  synopsis: 'DIR --bytes-limit|--items-limit|--age-limit …',
  help: (words) => `Usage: ${words.join(' ')} DIR [--bytes-limit SIZE] [--items-limit N] [--age-limit DURATION] [--dry-run] [--json]

Removes entries from the Memory location DIR as memory.reduceSize() does: first every entry
not used for longer than the age limit, then the least recently used until at most the items
limit of entries and the bytes limit of bytes remain. Prints the entries removed and what is
kept. At least one limit is needed.

Options:
  --bytes-limit SIZE       total size to keep: bytes, or 500K, 300M, 1G (units of 1024)
  --items-limit N          number of entries to keep
  --age-limit DURATION     remove entries unused for longer: 30d, 12h, 90m, 45s, 2w, or milliseconds
  --dry-run                remove nothing; print what would be removed
  --json                   print one JSON document: {location, dryRun, limits: {bytesLimit,
                           itemsLimit, ageLimitMs} (null when not given), removed: [{module,
                           function, key, sizeBytes, lastAccess}], removedBytes, kept: [same],
                           keptBytes}
  -h, --help               show this help

Exit status: 0 ok, 1 DIR is not a cache location, 2 usage error.
`,
  async run(args, invocation) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) {
      invocation.stdout.write(cachePruneCommand.help(invocation.words));
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'a cache folder DIR is needed.' : `one DIR only; got ${positionals.join(' ')}.`);
    }
    const dir = positionals[0]!;
    const bytesLimit = values['bytes-limit'] === undefined ? undefined : parseByteSize(values['bytes-limit'], '--bytes-limit');
    const itemsLimit = values['items-limit'] === undefined ? undefined : parseCount(values['items-limit'], '--items-limit');
    const ageLimit = values['age-limit'] === undefined ? undefined : parseDuration(values['age-limit'], '--age-limit');
    if (bytesLimit === undefined && itemsLimit === undefined && ageLimit === undefined) {
      throw new UsageError('give at least one limit: --bytes-limit, --items-limit or --age-limit.');
    }
    const limits: SizeLimits = {
      ...(bytesLimit !== undefined && { bytesLimit }),
      ...(itemsLimit !== undefined && { itemsLimit }),
      ...(ageLimit !== undefined && { ageLimit }),
    };
    const dryRun = values['dry-run'] === true;
    const { removed, kept } = CacheLocation.open(dir).prune(limits, { dryRun });
    if (values.json) {
      const document = {
        location: dir, dryRun,
        limits: { bytesLimit: bytesLimit ?? null, itemsLimit: itemsLimit ?? null, ageLimitMs: ageLimit ?? null },
        removed: removed.map(itemJson), removedBytes: bytesOf(removed),
        kept: kept.map(itemJson), keptBytes: bytesOf(kept),
      };
      invocation.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    const now = Date.now();
    let out = '';
    if (removed.length > 0) {
      out += renderTable(
        [{ heading: dryRun ? 'would remove' : 'removed' }, { heading: 'key' }, { heading: 'size', right: true },
          { heading: 'last access' }],
        removed.map((e) => [`${e.module}/${e.functionName}`, e.key, formatBytes(e.sizeBytes), formatAgo(e.lastAccessMs, now)]),
      );
    }
    out += `${dryRun ? 'would remove' : 'removed'} ${plural(removed.length, 'entry', 'entries')} (${formatBytes(bytesOf(removed))}), ` +
      `${dryRun ? 'would keep' : 'kept'} ${plural(kept.length, 'entry', 'entries')} (${formatBytes(bytesOf(kept))}) in ${dir}` +
      `${dryRun ? ' (dry run: nothing was removed)' : ''}\n`;
    invocation.stdout.write(out);
    return 0;
  },
};
