// `joblib-ts inspect FILE`: what a dump holds, without loading it and without running anything.
// The wrapper and the container come from readDumpInfo (load's checks and messages), the tree
// from summarizeStructure (a walk over the structure's bytes); this file turns them into one
// report, printed as text (inspect-text.ts) or as one JSON document.

import { readDumpInfo } from '../persistence/dump-info.js';
import { summarizeStructure } from '../serialization/codec/structure-summary.js';
import { JoblibError, UsageError } from '../errors.js';
import { type Command, HELP_OPTION, parseCommandLine } from './command.js';
import { type InspectReport, renderInspectReport } from './inspect-text.js';

export type { InspectReport } from './inspect-text.js';
import { parseCount } from './units.js';

/** Children listed per container. */
const MAX_CHILDREN = 20;
const DEFAULT_DEPTH = 3;

const OPTIONS = {
  ...HELP_OPTION,
  'json': { type: 'boolean' },
  'depth': { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

const hex = (n: bigint): string => n.toString(16).padStart(16, '0');

/** The report on the dump at `file`. Throws FormatError (load's message) for a file that is not a sound dump. */
export async function inspectFile(
  file: string, { depth, verify }: { depth: number; verify: boolean },
): Promise<InspectReport> {
  const { wrapper, header, structure, checksumsVerified } = await readDumpInfo(file, { verify });
  const summary = summarizeStructure(structure, {
    hasReferences: header.hasReferences, dataLength: header.dataLength, depth, maxChildren: MAX_CHILDREN,
  });
  return {
    file,
    wrapper: { ...wrapper, ratio: wrapper.fileBytes === 0 ? 1 : wrapper.containerBytes / wrapper.fileBytes },
    container: {
      version: header.version,
      flags: header.flags,
      hasReferences: header.hasReferences,
      tag: /^0+$/.test(header.tag) ? null : header.tag,
      headerBytes: header.headerBytes,
      structureLength: header.structureLength,
      dataOffset: header.dataOffset,
      dataLength: header.dataLength,
      structureChecksum: hex(header.structureChecksum),
      dataChecksum: hex(header.dataChecksum),
      checksumsVerified,
    },
    structure: { depth, maxChildren: MAX_CHILDREN, ...summary },
  };
}

/** `joblib-ts inspect`. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'what a dump holds, without loading it or running anything',
  synopsis: 'FILE',
  help: (words) => `Usage: ${words.join(' ')} FILE [--json] [--depth N] [--no-verify]

Shows what a joblib-ts dump holds without loading it: how it is compressed (method, sizes,
the level its stream records), its container (format version, flags, tag, sections,
checksums), and its structure as a tree with types, shapes and sizes, then counts by type and
the largest blocks. Typed arrays are not read into values and nothing in the file is run, so
any dump can be inspected, whatever types it names. A damaged file is reported with the
message load() would give, and exit status 1.

A file compressed with a method added by registerCompressor (zstd, …) is recognised when
that registration runs first, as Node's --import runs a module:
  node --import ./register-zstd.mjs node_modules/.bin/joblib-ts inspect FILE

Options:
  --depth N     levels of the tree below the root to list (default ${DEFAULT_DEPTH}; 0: the root only);
                containers list their first ${MAX_CHILDREN} children, and say how many more
  --no-verify   skip the XXH3 checksums (a compressed stream's own check still runs)
  --json        print one JSON document instead:
                  file
                  wrapper     method, level {field, value, meaning, levels} | null, fileBytes,
                              containerBytes, ratio, streamVerified
                  container   version, flags, hasReferences, tag (hex) | null, headerBytes,
                              structureLength, dataOffset, dataLength, structureChecksum,
                              dataChecksum (hex), checksumsVerified
                  structure   depth, maxChildren, root, typeCounts [{type, count}], values,
                              objects, references, blocks, blockBytes, largestBlocks
                              [{path, type, length, byteLength, offset}]
                a node: key, kind, type, structureBytes, and as they apply id, size, present,
                elementType, length, byteLength, storage, blockOffset, preview,
                target {id, type, path}, children, omitted
  -h, --help    show this help

Exit status: 0 ok, 1 the file cannot be read or is not a sound joblib-ts dump, 2 usage error.
`,
  async run(args, invocation) {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (values.help) {
      invocation.stdout.write(inspectCommand.help(invocation.words));
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'a FILE to inspect is needed.' : `one FILE at a time; got ${positionals.length}.`);
    }
    const depth = values.depth === undefined ? DEFAULT_DEPTH : parseCount(values.depth, '--depth');
    const file = positionals[0]!;
    let report: InspectReport;
    try {
      report = await inspectFile(file, { depth, verify: !values['no-verify'] });
    } catch (error) {
      // The file system's errors name no path when reading (EISDIR): say which file.
      const { code, path } = error as NodeJS.ErrnoException;
      if (!(error instanceof JoblibError) && typeof code === 'string' && path === undefined) {
        throw Object.assign(new Error(`Cannot inspect ${file}: ${(error as Error).message}`, { cause: error }), { code });
      }
      throw error;
    }
    invocation.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspectReport(report));
    return 0;
  },
};
