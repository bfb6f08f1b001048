// The walk behind summarizeStructure: the MessagePack reader with hooks that describe values
// instead of building them. It checks what the decoder checks, in the same order (so a corrupt
// structure fails with the decoder's message, byte position included), numbers objects in the
// same pre-order (so references resolve to what they name), and allocates a node only for the
// values it lists; the rest are counted and passed over.

import { FormatError } from '../../errors.js';
import { binaryKindByCode } from './binary-types.js';
import {
  EXT_BIGINT, EXT_BINARY, EXT_DATE, EXT_ERROR, EXT_MAP, EXT_NULL_PROTO_OBJECT, EXT_REF, EXT_REGEXP, EXT_REGISTERED,
  EXT_SET, EXT_SPARSE_ARRAY, EXT_UNDEFINED,
} from './builtin-types.js';
import { BINARY_BLOCK, BINARY_INLINE } from './ext-codes.js';
import { MessagePackReader } from './msgpack-reader.js';
import {
  BlockRanking, Children, cut, isArrayIndex, Node, PREVIEW_TEXT, type Read, scalarNode, scalarType, type Segment,
  segmentText, stringNode, UNLISTED, withPreview,
} from './structure-node.js';
import type { StructureKind, WalkOptions, WalkResult } from './structure-types.js';
import { keySegment } from './value-path.js';

/** One walk over one structure; `run` once. */
export class StructureWalk extends MessagePackReader {
  /** Whether the value being read gets a node. */
  private listing = true;
  /** The depth of the value being read (the root: 0). */
  private depth = 0;
  private readonly path: Segment[] = [];
  private readonly counts = new Map<string, number>();
  /** By object number: its type, and its path when it is listed. */
  private readonly objectTypes: string[] = [];
  private readonly objectPaths: (string | undefined)[] = [];
  /** Objects a reference may not name yet: the decoder builds them after (some of) their contents. */
  private readonly unfinished = new Set<number>();
  private references = 0;
  private readonly blocks: BlockRanking;

  constructor(buf: Buffer, private readonly options: WalkOptions) {
    super(buf);
    this.blocks = new BlockRanking(options.largestBlocks);
  }

  /** Walks the whole structure; its root node to the depth asked, and the tallies. */
  run(): WalkResult {
    const root = this.visit(true)!;
    this.finish();
    const { counts, references, blocks } = this;
    return { root, counts, objects: this.objectTypes.length, references, blocks };
  }

  /** Reads the next value; its node when `listed`. */
  private visit(listed: boolean): Node | undefined {
    const start = this.pos;
    const outer = this.listing;
    this.listing = listed;
    const read = this.readValue() as Read;
    this.listing = outer;
    let node: Node | undefined;
    if (read instanceof Node) node = read;
    else if (read !== UNLISTED) {
      this.count(scalarType(read));
      if (listed) node = scalarNode(read);
    }
    if (node) node.structureBytes = this.pos - start;
    return node;
  }

  /** Reads the next value as the child `segment` of the container being read. */
  private child(segment: Segment, listed: boolean): Node | undefined {
    this.path.push(segment);
    this.depth++;
    const node = this.visit(listed);
    this.depth--;
    this.path.pop();
    if (node) node.key = segmentText(segment);
    return node;
  }

  private count(type: string): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }

  private pathText(): string {
    let text = '';
    for (const segment of this.path) text += segmentText(segment);
    return text;
  }

  /**
   * Numbers an object (pre-order, as the decoder does), counts it, and makes its node when
   * listed. Errors and registered instances learn their type later: `named` sets it.
   */
  private open(kind: StructureKind, type: string): { id: number; node: Node | undefined } {
    const id = this.objectTypes.length;
    this.objectTypes.push(type);
    if (type !== '') this.count(type);
    if (!this.listing) return { id, node: undefined };
    this.objectPaths[id] = this.pathText();
    const node = new Node(kind, type);
    if (this.options.hasReferences) node.id = id;
    return { id, node };
  }

  /** Gives an object opened with type '' its type, once known. */
  private named(id: number, node: Node | undefined, type: string): void {
    this.objectTypes[id] = type;
    this.count(type);
    if (node) node.type = type;
  }

  /** The children of the container being read: listed up to the depth limit. */
  private childList(): Children {
    return new Children(this.listing && this.depth < this.options.depth, this.options.maxChildren);
  }

  /** A string value (not a key): counted, its preview read when listed. */
  protected override readString(length: number): Read {
    const start = this.take(length);
    this.count('string');
    return this.listing ? stringNode(this.buf, start, length) : UNLISTED;
  }

  /** A whole string (a key, a name, a pattern), or null after walking a value that is not one. */
  private readText(): string | null {
    const b = this.buf[this.pos];
    let length = -1;
    if (b !== undefined && b >= 0xa0 && b < 0xc0) {
      this.pos++;
      length = b & 0x1f;
    } else if (b === 0xd9) {
      this.pos++;
      length = this.buf[this.take(1)]!;
    } else if (b === 0xda) {
      this.pos++;
      length = this.view.getUint16(this.take(2));
    } else if (b === 0xdb) {
      this.pos++;
      length = this.view.getUint32(this.take(4));
    }
    if (length < 0) {
      this.visit(false);
      return null;
    }
    return this.stringAt(this.take(length), length);
  }

  /** Whether the next value is a scalar or a string (cheap to list: a Map key that labels its value). */
  private scalarNext(): boolean {
    const b = this.buf[this.pos];
    if (b === undefined) return false;
    return b < 0x80 || (b >= 0xa0 && b < 0xc4) || b >= 0xe0 || (b >= 0xca && b <= 0xd3) || (b >= 0xd9 && b <= 0xdb);
  }

  /** Whether the next value is the `undefined` extension. */
  private undefinedNext(): boolean {
    return this.buf[this.pos] === 0xc7 && this.buf[this.pos + 1] === 0 && this.buf[this.pos + 2] === EXT_UNDEFINED;
  }

  protected readMap(size: number): Read {
    return this.readObjectBody(size, 'object', 'Object');
  }

  private readObjectBody(size: number, kind: StructureKind, type: string): Read {
    this.checkCount(size);
    const { node } = this.open(kind, type);
    if (node) node.size = size;
    const children = this.childList();
    for (let i = 0; i < size; i++) {
      const key = this.readText();
      if (key === null) this.fail('an object key is not a string');
      const show = children.next();
      children.add(this.child(keySegment(key), show));
    }
    children.into(node);
    return node ?? UNLISTED;
  }

  protected readArray(length: number): Read {
    this.checkCount(length);
    const { node } = this.open('array', 'Array');
    if (node) node.size = length;
    const children = this.childList();
    for (let i = 0; i < length; i++) children.add(this.child(i, children.next()));
    children.into(node);
    return node ?? UNLISTED;
  }

  protected readBin(length: number): Read {
    this.take(length);
    const { node } = this.open('binary', 'Uint8Array');
    if (!node) return UNLISTED;
    Object.assign(node, { elementType: 'uint8', length, byteLength: length, storage: 'inline' });
    return node;
  }

  protected readExt(length: number): Read {
    const type = this.buf[this.take(1)]!;
    const end = this.pos + length;
    if (length > this.end - this.pos) this.fail(`an extension claims ${length} bytes, more than remain`);
    const read = this.readExtPayload(type, length);
    if (this.pos !== end) this.fail(`extension ${type} payload length does not match its content`);
    return read;
  }

  private readExtPayload(type: number, length: number): Read {
    switch (type) {
      case EXT_UNDEFINED:
        this.count('undefined');
        return this.listing ? withPreview(new Node('undefined', 'undefined'), 'undefined') : UNLISTED;
      case EXT_REF:
        return this.readReference();
      case EXT_BIGINT: {
        const digits = this.buf.toString('latin1', this.take(length), this.pos);
        if (!/^-?[0-9a-f]+$/.test(digits)) this.fail('a BigInt is not a hexadecimal integer');
        this.count('BigInt');
        if (!this.listing) return UNLISTED;
        const negative = digits.startsWith('-');
        const hex = negative ? digits.slice(1) : digits;
        const preview = hex.length <= 64
          ? `${negative ? '-' : ''}${BigInt(`0x${hex}`)}n`
          : `${negative ? '-' : ''}0x${hex.slice(0, 16)}…n (${hex.length * 4} bits)`;
        return withPreview(new Node('bigint', 'BigInt'), preview);
      }
      case EXT_DATE: {
        if (length !== 8) this.fail('a Date payload is not 8 bytes');
        const time = this.view.getFloat64(this.take(8), true);
        const { node } = this.open('date', 'Date');
        if (!node) return UNLISTED;
        const date = new Date(time);
        return withPreview(node, Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString());
      }
      case EXT_BINARY:
        return this.readBinary(length);
      case EXT_MAP:
        return this.readMapEntries();
      case EXT_SET: {
        const { node } = this.open('set', 'Set');
        const count = this.readArrayHeader();
        if (node) node.size = count;
        const children = this.childList();
        for (let i = 0; i < count; i++) children.add(this.child(`<item ${i}>`, children.next()));
        children.into(node);
        return node ?? UNLISTED;
      }
      case EXT_REGEXP:
        return this.readRegExp();
      case EXT_ERROR:
        return this.readError();
      case EXT_SPARSE_ARRAY:
        return this.readSparseArray();
      case EXT_NULL_PROTO_OBJECT:
        return this.readObjectBody(this.readMapHeader(), 'nullProtoObject', 'Object');
      case EXT_REGISTERED:
        return this.readRegistered();
      default:
        return this.fail(`unknown extension type ${type}`);
    }
  }

  private readReference(): Read {
    const id = this.readValue() as Read;
    if (!this.options.hasReferences) this.fail('a reference appears in data written without references');
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.objectTypes.length) {
      this.fail('a reference points past the values read');
    }
    if (this.unfinished.has(id)) this.fail('a reference points into a value still being rebuilt');
    this.references++;
    this.count('reference');
    if (!this.listing) return UNLISTED;
    const node = new Node('reference', 'reference');
    node.target = { id, type: this.objectTypes[id]!, path: this.objectPaths[id] ?? null };
    return node;
  }

  private readMapEntries(): Read {
    const { node } = this.open('map', 'Map');
    const count = this.readArrayHeader();
    if (count % 2 !== 0) this.fail('a Map payload has an odd number of items');
    if (node) node.size = count / 2;
    const children = this.childList();
    for (let i = 0; i < count / 2; i++) {
      const show = children.next();
      // A scalar key names its value (`.get("k")`), so it is read as a node even when unlisted.
      const scalar = this.scalarNext() || this.undefinedNext();
      const key = this.child(`<key ${i}>`, show || scalar);
      if (show && !scalar) children.add(key);
      const value = this.child(scalar ? `.get(${key!.preview})` : `<value ${i}>`, show);
      if (show) children.add(value);
    }
    children.into(node);
    return node ?? UNLISTED;
  }

  private readRegExp(): Read {
    const { id, node } = this.open('regexp', 'RegExp');
    this.unfinished.add(id);
    if (this.readArrayHeader() !== 2) this.fail('a RegExp payload is not [source, flags]');
    const source = this.readText();
    const flags = this.readText();
    if (source === null || flags === null) this.fail('a RegExp payload is not strings');
    try {
      void new RegExp(source, flags); // compiled, never run: what load checks
    } catch (error) {
      throw new FormatError(`A stored RegExp is invalid: ${(error as Error).message}`, { cause: error });
    }
    this.unfinished.delete(id);
    return node ? withPreview(node, cut(`/${source}/${flags}`, PREVIEW_TEXT)) : UNLISTED;
  }

  private readSparseArray(): Read {
    const { id, node } = this.open('sparseArray', 'Array');
    this.unfinished.add(id);
    const count = this.readArrayHeader();
    const length = this.readValue();
    if (!isArrayIndex(length, 2 ** 32) || count % 2 !== 1) this.fail('a sparse array payload is malformed');
    this.unfinished.delete(id);
    const present = (count - 1) / 2;
    if (node) Object.assign(node, { size: length, present });
    const children = this.childList();
    for (let i = 0; i < present; i++) {
      const index = this.readValue();
      if (!isArrayIndex(index, length)) this.fail('a sparse index is not an index below the array length');
      children.add(this.child(index, children.next()));
    }
    children.into(node);
    return node ?? UNLISTED;
  }

  private readRegistered(): Read {
    const { id, node } = this.open('registered', '');
    this.unfinished.add(id);
    if (this.readArrayHeader() !== 2) this.fail('a registered-type payload is not [name, state]');
    const name = this.readText();
    if (name === null) this.fail('a registered-type name is not a string');
    this.named(id, node, name);
    const children = this.childList();
    children.add(this.child('<state>', children.next()));
    children.into(node);
    this.unfinished.delete(id);
    return node ?? UNLISTED;
  }

  /** An Error: complete once its `name` and `message` (written first) are read, as the decoder has it. */
  private readError(): Read {
    const { id, node } = this.open('error', '');
    this.unfinished.add(id);
    const size = this.readMapHeader();
    let name: string | null = null;
    let message: string | null = null;
    let named = false;
    let messaged = false;
    const children = this.childList();
    for (let i = 0; i < size; i++) {
      const key = this.readText();
      if (key === null) this.fail('an object key is not a string');
      if (key === 'name' || key === 'message' || key === 'stack') {
        // Fields of the Error itself, not children; only the first name and message count.
        const open = !(named && messaged);
        const given = !this.undefinedNext();
        const text = this.readText();
        if (key === 'name' && open) [name, named] = [text, given];
        if (key === 'message' && open) [message, messaged] = [text, given];
        if (named && messaged) this.unfinished.delete(id);
        continue;
      }
      children.add(this.child(keySegment(key), children.next()));
    }
    this.unfinished.delete(id);
    const type = name ?? 'Error';
    this.named(id, node, type);
    children.into(node);
    return node ? withPreview(node, cut(`${type}: ${message ?? ''}`, PREVIEW_TEXT)) : UNLISTED;
  }

  private readBinary(length: number): Read {
    if (length < 2) this.fail('a binary payload is shorter than its 2-byte prefix');
    const at = this.take(2);
    const kind = binaryKindByCode(this.buf[at]!);
    if (!kind) this.fail(`unknown binary kind ${this.buf[at]}`);
    const storage = this.buf[at + 1];
    let byteLength: number;
    let offset = -1;
    if (storage === BINARY_INLINE) {
      byteLength = length - 2;
      this.take(byteLength);
    } else if (storage === BINARY_BLOCK) {
      if (length !== 18) this.fail('a block reference is not 16 bytes');
      const p = this.take(16);
      const blockOffset = this.view.getBigUint64(p, true);
      const blockLength = this.view.getBigUint64(p + 8, true);
      if (blockOffset + blockLength > BigInt(this.options.dataLength)) this.fail('a block lies outside the data section');
      offset = Number(blockOffset);
      byteLength = Number(blockLength);
    } else return this.fail(`unknown binary storage ${storage}`);
    if (byteLength % kind.bytesPerElement !== 0) this.fail(`a ${kind.name} block is not a whole number of elements`);
    const elements = byteLength / kind.bytesPerElement;
    if (offset >= 0) {
      this.blocks.add({ path: this.pathText(), type: kind.className, length: elements, byteLength, offset });
    }
    const { node } = this.open('binary', kind.className);
    if (!node) return UNLISTED;
    Object.assign(node, { elementType: kind.name, length: elements, byteLength, storage: offset >= 0 ? 'block' : 'inline' });
    if (offset >= 0) node.blockOffset = offset;
    return node;
  }
}
