// What a dump's structure holds, as data for `joblib-ts inspect`: a depth-limited tree of
// nodes (type, shape, sizes, a short preview), counts by type and the largest blocks. The walk
// that makes it (structure-walk.ts) reads the MessagePack bytes and never rebuilds a value.
// The field names are part of `inspect --json`'s output: keep them stable.

import { asNestingError } from './msgpack-reader.js';
import { StructureWalk } from './structure-walk.js';
import type { StructureSummary, SummaryOptions, WalkResult } from './structure-types.js';

export type {
  BlockSummary, StructureKind, StructureNode, StructureSummary, SummaryOptions, TypeCount,
} from './structure-types.js';

/**
 * Summarizes the structure section of a container (FORMAT.md) by walking its MessagePack
 * bytes: no value is rebuilt, no typed array made, no registered type's decode run, so any
 * file can be summarized whatever types it names. A structure `load` would refuse as corrupt
 * is refused with the same FormatError (decode functions of registered types aside, which
 * only `load` runs).
 *
 * @throws FormatError when the structure is malformed or nested too deeply.
 */
export function summarizeStructure(structure: Uint8Array, options: SummaryOptions): StructureSummary {
  const buf = Buffer.isBuffer(structure)
    ? structure
    : Buffer.from(structure.buffer, structure.byteOffset, structure.byteLength);
  const walk = new StructureWalk(buf, {
    hasReferences: options.hasReferences,
    dataLength: options.dataLength,
    depth: options.depth ?? 3,
    maxChildren: options.maxChildren ?? 20,
    largestBlocks: options.largestBlocks ?? 10,
  });
  let found: WalkResult;
  try {
    found = walk.run();
  } catch (error) {
    throw asNestingError(error);
  }
  const typeCounts = [...found.counts]
    .map(([type, count]) => ({ type, count }))
    .sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1));
  return {
    root: found.root,
    typeCounts,
    values: typeCounts.reduce((sum, { count }) => sum + count, 0),
    objects: found.objects,
    references: found.references,
    blocks: found.blocks.count,
    blockBytes: found.blocks.bytes,
    largestBlocks: found.blocks.largest,
  };
}
