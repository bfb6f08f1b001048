// `joblib-ts cache`: the commands on a Memory cache location (a folder given to new Memory),
// modelled on `pip cache` and `hf cache`: ls, prune, clear. Each opens the folder through
// CacheLocation, which refuses any folder that is not a cache, so nothing else is touched.

import { cacheClearCommand } from './cache-clear.js';
import { cacheLsCommand } from './cache-ls.js';
import { cachePruneCommand } from './cache-prune.js';
import { commandGroup } from './command.js';

/** `joblib-ts cache`: its subcommands, one entry each. */
export const cacheCommand = commandGroup({
  name: 'cache',
  summary: 'list, prune or clear a Memory cache folder',
  synopsis: 'ls|prune|clear DIR …',
  description: 'Commands on a Memory cache location: the folder given to new Memory(folder). A folder that is not\n' +
    'one (it has no .joblib-ts-cache marker) is refused, and nothing in it is changed.',
  commands: [cacheLsCommand, cachePruneCommand, cacheClearCommand],
});
