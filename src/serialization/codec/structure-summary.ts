// What a dump's structure holds, as data for `joblib-ts inspect`: a depth-limited tree of
// nodes (type, shape, sizes, a short preview), counts by type and the largest blocks. The walk
// that makes it (structure-walk.ts) reads the MessagePack bytes and never rebuilds a value.
// The field names are part of `inspect --json`'s output: keep them stable.

import { asNestingError } from './msgpack-reader.js';
import { StructureWalk, type WalkResult } from './structure-walk.js';

/** What a node of the summary is: a built-in kind of FORMAT.md, or a scalar. */
export type StructureKind =
  | 'null' | 'boolean' | 'number' | 'string' | 'undefined' | 'bigint'
  | 'object' | 'nullProtoObject' | 'array' | 'sparseArray' | 'map' | 'set'
  | 'date' | 'regexp' | 'error' | 'binary' | 'reference' | 'registered';

/** One value of the structure. Fields that do not apply to its kind are absent. */
export interface StructureNode {
  /**
   * How its parent reaches it: `.weights`, `["a b"]`, `[3]` (arrays), `.get("k")` (a Map entry
   * with a scalar key; else `<key 0>` and `<value 0>`), `<item 2>` (Sets), `<state>` (the state
   * of a registered type), `.cause`. Empty for the root.
   */
  readonly key: string;
  readonly kind: StructureKind;
  /**
   * The type a reader gets: `Object`, `Array`, `Map`, `Set`, `Date`, `RegExp`, `BigInt`, a
   * typed array's class (`Float64Array`), an Error's name (`RangeError`), a registered type's
   * name (`joblib-ts/MemorizedResult`), `reference`, or for scalars `number`, `string`,
   * `boolean`, `null`, `undefined`.
   */
  readonly type: string;
  /** Bytes the value takes in the structure, nested values included (a block's bytes are in the data section). */
  readonly structureBytes: number;
  /** Its object number, which references name (files with references only; objects only). */
  readonly id?: number;
  /** Keys (objects), items (arrays, Sets), entries (Maps); a sparse array's length. */
  readonly size?: number;
  /** A sparse array: how many of its indices hold a value. */
  readonly present?: number;
  /** A binary value: its element type as FORMAT.md names it (`float64`, `uint8`, `arraybuffer`…). */
  readonly elementType?: string;
  /** A binary value: its length in elements. */
  readonly length?: number;
  /** A binary value: its bytes. A string: its UTF-8 bytes. */
  readonly byteLength?: number;
  /** A binary value: inline in the structure, or a block of the data section. */
  readonly storage?: 'inline' | 'block';
  /** A block: its offset in the data section. */
  readonly blockOffset?: number;
  /**
   * Scalars, strings (quoted, cut at 60 characters), Dates (ISO 8601), BigInts, RegExps and
   * Errors (`RangeError: message`): a short text of the value.
   */
  readonly preview?: string;
  /** A reference: the object it points to. `path` is null when that object is not listed. */
  readonly target?: { readonly id: number; readonly type: string; readonly path: string | null };
  /** The children listed; absent when the depth limit stops the listing here. */
  readonly children?: readonly StructureNode[];
  /** Children not listed: past `maxChildren`, or all of them at the depth limit. */
  readonly omitted?: number;
}

/** One block of the data section. */
export interface BlockSummary {
  /** Where it is in the value: `.weights`, `[2].data`; empty for the root. */
  readonly path: string;
  readonly type: string;
  /** Elements. */
  readonly length: number;
  readonly byteLength: number;
  /** Its offset in the data section. */
  readonly offset: number;
}

/** How many values of one type the structure holds. */
export interface TypeCount {
  readonly type: string;
  readonly count: number;
}

/** What `summarizeStructure` returns. */
export interface StructureSummary {
  /** The root value, with its children to the depth asked for. */
  readonly root: StructureNode;
  /** Every value, listed or not, by `type`; most frequent first. */
  readonly typeCounts: readonly TypeCount[];
  /** Values in the structure (map keys included, object keys not). */
  readonly values: number;
  /** Objects numbered for references (everything but scalars, strings and BigInts). */
  readonly objects: number;
  /** References (shared or cyclic values written once). */
  readonly references: number;
  /** Blocks in the data section, and their bytes (padding excluded). */
  readonly blocks: number;
  readonly blockBytes: number;
  /** The largest blocks, largest first. */
  readonly largestBlocks: readonly BlockSummary[];
}

/** Options of `summarizeStructure`. */
export interface SummaryOptions {
  /** Header flag bit 0: whether the structure may hold references. */
  readonly hasReferences: boolean;
  /** The data section's length: every block must lie inside it. */
  readonly dataLength: number;
  /** Levels listed below the root (0: the root alone). Default 3. */
  readonly depth?: number;
  /** Children listed per container; the others are counted in `omitted`. Default 20. */
  readonly maxChildren?: number;
  /** How many of the largest blocks to report. Default 10. */
  readonly largestBlocks?: number;
}

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
