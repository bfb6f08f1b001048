// The encoding walk: one pass over a value that writes standard MessagePack with the
// project's extension types (ext-codes.ts), numbers every object in pre-order so shared and
// cyclic references become EXT_REF, and sets large binary blocks aside (not copied) for the
// file's aligned data section.

import { JoblibError, SerializationError } from '../../errors.js';
import { type BinaryKind, type BinaryValue, binaryKindOf, bytesOf } from './binary-types.js';
import {
  EXT_BIGINT, EXT_BINARY, EXT_DATE, EXT_ERROR, EXT_MAP, EXT_NULL_PROTO_OBJECT, EXT_REF, EXT_REGEXP, EXT_REGISTERED,
  EXT_SET, EXT_SPARSE_ARRAY, EXT_UNDEFINED,
} from './builtin-types.js';
import { BINARY_BLOCK, BINARY_EXTERNAL, BINARY_INLINE, BLOCK_THRESHOLD } from './ext-codes.js';
import { alignUp, BLOCK_ALIGNMENT } from './layout.js';
import { MessagePackWriter } from './msgpack-writer.js';
import { registeredTypeOf } from './type-registry.js';
import {
  asPathed, describeClass, isStackOverflow, keySegment, PathedError, unreadableBinary, withSegment,
} from './value-path.js';

/** A binary block of the data section: the caller's bytes (not copied) and where they go. */
export interface Block {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

export interface EncodedValue {
  /** The MessagePack structure; a view into the encoder's buffer. */
  readonly structure: Uint8Array;
  /** Whether any EXT_REF was written (a shared or cyclic reference); decoding can skip numbering if not. */
  readonly hasReferences: boolean;
  readonly blocks: readonly Block[];
  /** Length of the data section: blocks at 64-byte aligned offsets, the last one padded. */
  readonly dataLength: number;
}

/** Where an external binary value's bytes are: `offset` bytes into the region named `key`. */
export interface ExternalPlace {
  readonly key: string;
  readonly offset: number;
}

/**
 * Chooses, for each binary value, whether its bytes travel by reference (a place both sides can
 * reach) instead of inside the message; `undefined` keeps them in the message.
 */
export type ExternalHook = (bytes: Uint8Array) => ExternalPlace | undefined;

export interface EncodeOptions {
  /** Binary values of at least this many bytes become blocks; `Infinity` keeps all inline. */
  readonly blockThreshold?: number;
  /** Messages between processes and threads only (never files): binary values sent by reference. */
  readonly external?: ExternalHook | undefined;
  /**
   * Called with the name of each registered type as an instance of it is written (a message
   * learns which types its reader must have); throwing aborts the encoding with that error.
   */
  readonly onRegisteredType?: ((name: string) => void) | undefined;
  /**
   * Write the structure into a buffer shared by such calls: no allocation per message, but the
   * returned `structure` is only valid until the next scratch encode; the caller copies it first.
   */
  readonly scratch?: boolean;
}

/** The shared buffer of `scratch` encodes, and whether one is running (a nested one gets its own). */
let scratchBuffer: Buffer | undefined;
let scratchInUse = false;

class Encoder extends MessagePackWriter {
  private readonly seen = new Map<object, number>();
  /** The objects of `seen` in id order, so a rewound array can forget what it numbered. */
  private readonly numbered: object[] = [];
  readonly blocks: Block[] = [];
  dataLength = 0;
  hasReferences = false;
  /** Registered instances whose state is being written: a reference back to one could not be rebuilt. */
  private readonly openRegistered = new Set<object>();

  constructor(private readonly blockThreshold: number, private readonly external: ExternalHook | undefined,
    private readonly onRegisteredType: ((name: string) => void) | undefined, initial: Buffer | undefined) {
    super(initial);
  }

  writeValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return this.writeString(value);
      case 'number':
        return this.writeNumber(value);
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.ensure(3);
        this.buf[this.pos++] = 0xc7;
        this.buf[this.pos++] = 0;
        this.buf[this.pos++] = EXT_UNDEFINED;
        return;
      case 'bigint':
        return this.writeBigInt(value);
      case 'object':
        if (value === null) {
          this.ensure(1);
          this.buf[this.pos++] = 0xc0;
          return;
        }
        return this.writeObject(value);
      case 'function':
        throw new PathedError(
          `is a function (${value.name || 'anonymous'}); functions are code, not data, and cannot be dumped. ` +
            'Store its result, or the data it needs, instead.',
        );
      default:
        throw new PathedError(`is a ${typeof value}, which cannot be serialized.`);
    }
  }

  /** Hex, not decimal: converting a power-of-two base is linear (16M digits: 69 ms vs minutes). */
  private writeBigInt(n: bigint): void {
    const digits = n < 0n ? `-${(-n).toString(16)}` : n.toString(16);
    this.writeExtHeader(EXT_BIGINT, digits.length);
    this.pos += this.buf.write(digits, this.pos, 'latin1');
  }

  private writeObject(value: object): void {
    const id = this.seen.get(value);
    if (id !== undefined) {
      if (this.openRegistered.has(value)) {
        throw new PathedError(
          `refers back to the ${registeredTypeOf(Object.getPrototypeOf(value)?.constructor)?.name} instance whose ` +
            'state is being written; its decode could not rebuild that cycle. Break the cycle in encode.',
        );
      }
      this.hasReferences = true;
      this.writeExtHeader(EXT_REF, 5);
      this.buf[this.pos++] = 0xce;
      this.view.setUint32(this.pos, id);
      this.pos += 4;
      return;
    }
    this.seen.set(value, this.numbered.length);
    this.numbered.push(value);
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype) return this.writeProperties(value as Record<string, unknown>);
    if (proto === Array.prototype) return this.writeArray(value as unknown[]);
    if (proto === null) {
      const start = this.openExt(EXT_NULL_PROTO_OBJECT);
      this.writeProperties(value as Record<string, unknown>);
      return this.closeExt(start);
    }
    const cls = (proto as { constructor?: unknown }).constructor;
    const registered = registeredTypeOf(cls);
    if (registered) {
      this.onRegisteredType?.(registered.name);
      const start = this.openExt(EXT_REGISTERED);
      this.writeArrayHeader(2);
      this.writeString(registered.name);
      this.openRegistered.add(value);
      try {
        this.writeValue(registered.encode(value));
      } catch (error) {
        throw withSegment(error, `<${registered.name} state>`);
      } finally {
        this.openRegistered.delete(value);
      }
      return this.closeExt(start);
    }
    const kind = binaryKindOf(cls);
    if (kind) return this.writeBinary(value as BinaryValue, kind);
    if (cls === Map) return this.writeMap(value as Map<unknown, unknown>);
    if (cls === Set) return this.writeSet(value as Set<unknown>);
    if (cls === Date) {
      this.writeExtHeader(EXT_DATE, 8);
      this.view.setFloat64(this.pos, (value as Date).getTime(), true);
      this.pos += 8;
      return;
    }
    if (cls === RegExp) {
      const start = this.openExt(EXT_REGEXP);
      this.writeArrayHeader(2);
      this.writeString((value as RegExp).source);
      this.writeString((value as RegExp).flags);
      return this.closeExt(start);
    }
    if (value instanceof Error) return this.writeError(value);
    throw new PathedError(
      `is ${describeClass(value)}, which joblib-ts cannot rebuild. ` +
        'Register the class with registerType(Class, { name, encode, decode }), or pass a plain object.',
    );
  }

  private writeProperties(object: Record<string, unknown>): void {
    const keys = Object.keys(object);
    this.writeMapHeader(keys.length);
    let key = '';
    try {
      for (let i = 0; i < keys.length; i++) {
        key = keys[i]!;
        this.writeString(key);
        this.writeValue(object[key]);
      }
    } catch (error) {
      throw withSegment(error, keySegment(key));
    }
  }

  private writeArray(array: unknown[]): void {
    const start = this.pos;
    const dataMark = this.dataLength;
    const length = array.length;
    this.writeArrayHeader(length);
    let i = 0;
    try {
      for (; i < length; i++) {
        const item = array[i];
        if (item === undefined && !(i in array)) {
          this.rewind(start, array, dataMark);
          return this.writeSparseArray(array);
        }
        this.writeValue(item);
      }
    } catch (error) {
      throw withSegment(error, `[${i}]`);
    }
  }

  /** Forgets everything written since `array` was numbered, so it can be written again. */
  private rewind(position: number, array: unknown[], dataMark: number): void {
    this.pos = position;
    const keep = this.seen.get(array)! + 1;
    while (this.numbered.length > keep) this.seen.delete(this.numbered.pop()!);
    while (this.blocks.length > 0 && this.blocks[this.blocks.length - 1]!.offset >= dataMark)
      this.blocks.pop();
    this.dataLength = dataMark;
  }

  private writeSparseArray(array: unknown[]): void {
    const indices = Object.keys(array).filter((k) => String(Number(k) >>> 0) === k);
    const start = this.openExt(EXT_SPARSE_ARRAY);
    this.writeArrayHeader(1 + 2 * indices.length);
    this.writeNumber(array.length);
    let index = 0;
    try {
      for (const k of indices) {
        index = Number(k);
        this.writeNumber(index);
        this.writeValue(array[index]);
      }
    } catch (error) {
      throw withSegment(error, `[${index}]`);
    }
    this.closeExt(start);
  }

  private writeMap(map: Map<unknown, unknown>): void {
    const start = this.openExt(EXT_MAP);
    this.writeArrayHeader(map.size * 2);
    let i = 0;
    try {
      for (const [key, item] of map) {
        this.writeValue(key);
        this.writeValue(item);
        i++;
      }
    } catch (error) {
      throw withSegment(error, `<Map entry ${i}>`);
    }
    this.closeExt(start);
  }

  private writeSet(set: Set<unknown>): void {
    const start = this.openExt(EXT_SET);
    this.writeArrayHeader(set.size);
    let i = 0;
    try {
      for (const item of set) {
        this.writeValue(item);
        i++;
      }
    } catch (error) {
      throw withSegment(error, `<Set item ${i}>`);
    }
    this.closeExt(start);
  }

  private writeError(error: Error): void {
    const start = this.openExt(EXT_ERROR);
    const extra = Object.keys(error).filter(
      (k) => k !== 'name' && k !== 'message' && k !== 'stack' && k !== 'cause',
    );
    if (error instanceof AggregateError && !extra.includes('errors')) extra.push('errors');
    const hasCause = 'cause' in error;
    const hasStack = typeof error.stack === 'string';
    this.writeMapHeader(2 + (hasStack ? 1 : 0) + (hasCause ? 1 : 0) + extra.length);
    this.writeString('name');
    this.writeString(String(error.name));
    this.writeString('message');
    this.writeString(String(error.message));
    if (hasStack) {
      this.writeString('stack');
      this.writeString(error.stack as string);
    }
    let key = 'cause';
    try {
      if (hasCause) {
        this.writeString('cause');
        this.writeValue(error.cause);
      }
      for (key of extra) {
        this.writeString(key);
        this.writeValue((error as unknown as Record<string, unknown>)[key]);
      }
    } catch (e) {
      throw withSegment(e, keySegment(key));
    }
    this.closeExt(start);
  }

  private writeBinary(value: BinaryValue, kind: BinaryKind): void {
    let bytes: Uint8Array;
    try {
      bytes = bytesOf(value);
    } catch (error) {
      throw unreadableBinary(value, error);
    }
    const length = bytes.byteLength;
    const place = this.external?.(bytes);
    if (place) {
      const key = Buffer.from(place.key);
      this.writeExtHeader(EXT_BINARY, 18 + key.byteLength);
      this.buf[this.pos++] = kind.code;
      this.buf[this.pos++] = BINARY_EXTERNAL;
      this.view.setBigUint64(this.pos, BigInt(place.offset), true);
      this.view.setBigUint64(this.pos + 8, BigInt(length), true);
      this.pos += 16;
      this.buf.set(key, this.pos);
      this.pos += key.byteLength;
      return;
    }
    if (length < this.blockThreshold) {
      this.writeExtHeader(EXT_BINARY, 2 + length);
      this.buf[this.pos++] = kind.code;
      this.buf[this.pos++] = BINARY_INLINE;
      this.buf.set(bytes, this.pos);
      this.pos += length;
      return;
    }
    const offset = this.dataLength;
    this.blocks.push({ bytes, offset });
    this.dataLength = alignUp(offset + length, BLOCK_ALIGNMENT);
    this.writeExtHeader(EXT_BINARY, 18);
    this.buf[this.pos++] = kind.code;
    this.buf[this.pos++] = BINARY_BLOCK;
    this.view.setBigUint64(this.pos, BigInt(offset), true);
    this.view.setBigUint64(this.pos + 8, BigInt(length), true);
    this.pos += 16;
  }
}

/**
 * Encodes `value` into a MessagePack structure plus a list of binary blocks (the caller's
 * memory, not copied). Throws `SerializationError` naming where in the value the problem is.
 */
export function encodeValue(value: unknown, options: EncodeOptions = {}): EncodedValue {
  const scratch = options.scratch === true && !scratchInUse;
  const encoder = new Encoder(options.blockThreshold ?? BLOCK_THRESHOLD, options.external, options.onRegisteredType,
    scratch ? scratchBuffer : undefined);
  if (scratch) scratchInUse = true;
  try {
    encoder.writeValue(value);
  } catch (error) {
    if (error instanceof JoblibError) throw error;
    if (isStackOverflow(error)) {
      throw new SerializationError(
        'Cannot serialize value: it is nested too deeply (the walk exceeded the call stack). ' +
          'Flatten long linked structures into arrays.',
        'value',
        { cause: error },
      );
    }
    const pathed = asPathed(error);
    const path = `value${pathed.segments.reverse().join('')}`;
    throw new SerializationError(`Cannot serialize ${path}: it ${pathed.message}`, path, { cause: pathed.original });
  } finally {
    if (scratch) {
      scratchInUse = false;
      scratchBuffer = encoder.buf;
    }
  }
  return {
    structure: encoder.buf.subarray(0, encoder.pos),
    hasReferences: encoder.hasReferences,
    blocks: encoder.blocks,
    dataLength: encoder.dataLength,
  };
}
