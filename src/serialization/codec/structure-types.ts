// The shapes of a structure summary (`joblib-ts inspect`): types only, shared by the summary,
// the walk that makes it and the nodes it allocates. The field names are part of
// `inspect --json`'s output: keep them stable.

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

/** What a walk found: the tree, and tallies of the whole structure. */
export interface WalkResult {
  readonly root: StructureNode;
  /** Values by type. */
  readonly counts: ReadonlyMap<string, number>;
  readonly objects: number;
  readonly references: number;
  readonly blocks: { readonly count: number; readonly bytes: number; readonly largest: readonly BlockSummary[] };
}

/** The resolved options of a walk. */
export interface WalkOptions {
  readonly hasReferences: boolean;
  readonly dataLength: number;
  readonly depth: number;
  readonly maxChildren: number;
  readonly largestBlocks: number;
}
