// The nodes of a structure summary while the walk builds them (structure-walk.ts): a node's
// mutable form, the list of a container's children (the first few listed, the rest counted),
// and the previews of scalars.

import type { BlockSummary, StructureKind, StructureNode } from './structure-types.js';

/** Characters of a string shown in a preview; other texts (messages, patterns) are cut at PREVIEW_TEXT. */
export const PREVIEW_STRING = 60;
export const PREVIEW_TEXT = 80;

/** What a hook returns for a value it was not asked to list. */
export const UNLISTED = Symbol('unlisted');

/** A node under construction; its key and size are set by whoever read it. */
export class Node {
  // Assigned in the constructor, in this order: the order of `inspect --json`'s fields.
  declare key: string;
  declare readonly kind: StructureKind;
  declare type: string;
  declare structureBytes: number;
  declare id?: number;
  declare size?: number;
  declare present?: number;
  declare elementType?: string;
  declare length?: number;
  declare byteLength?: number;
  declare storage?: 'inline' | 'block';
  declare blockOffset?: number;
  declare preview?: string;
  declare target?: { readonly id: number; readonly type: string; readonly path: string | null };
  declare children?: StructureNode[];
  declare omitted?: number;

  constructor(kind: StructureKind, type: string) {
    this.key = '';
    this.kind = kind;
    this.type = type;
    this.structureBytes = 0;
  }
}

/** The children of one container as they are read: the first `max` listed, the others counted. */
export class Children {
  readonly nodes: StructureNode[] = [];
  private listed = 0;
  private seen = 0;

  constructor(private readonly list: boolean, private readonly max: number) {}

  /** Whether the next child (for a Map: the next entry) is listed; counts it. */
  next(): boolean {
    const show = this.list && this.seen < this.max;
    this.seen++;
    if (show) this.listed++;
    return show;
  }

  add(node: Node | undefined): void {
    if (node) this.nodes.push(node);
  }

  /** Sets the container's `children` (when it lists them) and `omitted`. */
  into(node: Node | undefined): void {
    if (!node) return;
    if (this.list) node.children = this.nodes;
    const omitted = this.seen - this.listed;
    if (omitted > 0) node.omitted = omitted;
  }
}

/** What reading one value gives the walk: its node, UNLISTED, or a scalar the base reader returned. */
export type Read = Node | typeof UNLISTED | number | bigint | boolean | null;
/** One step of a path: a key as it is shown (`.a`, `<item 0>`), or an array index. */
export type Segment = string | number;

/** A whole number in [0, end): a sparse array's length or index (the decoder's rule). */
export const isArrayIndex = (n: unknown, end: number): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) < end;

/** `text`, cut to `max` characters with an ellipsis. */
export const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** How a path segment is written: an index as `[3]`, a key as it is. */
export const segmentText = (segment: Segment): string => (typeof segment === 'number' ? `[${segment}]` : segment);

/** The scalars the base reader returns as values: their type and preview. */
export function scalarNode(value: number | bigint | boolean | null): Node {
  if (value === null) return withPreview(new Node('null', 'null'), 'null');
  if (typeof value === 'boolean') return withPreview(new Node('boolean', 'boolean'), String(value));
  if (typeof value === 'bigint') return withPreview(new Node('bigint', 'BigInt'), `${value}n`);
  return withPreview(new Node('number', 'number'), Object.is(value, -0) ? '-0' : String(value));
}

/** The `type` a scalar is counted under. */
export const scalarType = (value: number | bigint | boolean | null): string =>
  value === null ? 'null' : typeof value === 'bigint' ? 'BigInt' : typeof value;

/** Sets a node's preview, returning the node. */
export function withPreview(node: Node, preview: string): Node {
  node.preview = preview;
  return node;
}

/** A string's node: its UTF-8 length, and a preview decoded from no more bytes than it shows. */
export function stringNode(buf: Buffer, start: number, length: number): Node {
  const node = new Node('string', 'string');
  node.byteLength = length;
  // 4 UTF-8 bytes at most per character: this many bytes hold the characters shown.
  const chars = Array.from(buf.toString('utf8', start, start + Math.min(length, 4 * PREVIEW_STRING)));
  const cutShort = length > 4 * PREVIEW_STRING || chars.length > PREVIEW_STRING;
  node.preview = JSON.stringify(chars.slice(0, PREVIEW_STRING).join('')) + (cutShort ? '…' : '');
  return node;
}

/** The blocks of the data section: their count and bytes, and the largest few, largest first (ties: first met). */
export class BlockRanking {
  count = 0;
  bytes = 0;
  readonly largest: BlockSummary[] = [];

  constructor(private readonly max: number) {}

  add(block: BlockSummary): void {
    this.count++;
    this.bytes += block.byteLength;
    const { largest, max } = this;
    if (largest.length === max && (max === 0 || largest[max - 1]!.byteLength >= block.byteLength)) return;
    let i = largest.length;
    while (i > 0 && largest[i - 1]!.byteLength < block.byteLength) i--;
    largest.splice(i, 0, block);
    if (largest.length > max) largest.pop();
  }
}
