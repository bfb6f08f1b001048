// The encoding walk: one pass over a value that writes standard MessagePack with the
// project's extension types (ext-codes.ts), numbers every object in pre-order so shared and
// cyclic references become EXT_REF, and sets large binary blocks aside (not copied) for the
// file's aligned data section.
//
// Tracking identity (a Map insert per object) cost as much as the rest of the walk, and most
// values share nothing. So the walk first runs without it, only listing the objects it meets and
// bounding its depth; one Set built from that list at the end proves no object came twice.
// A value with a shared object (the Set is smaller than the list) or nesting deep enough to be a
// cycle is walked again with tracking, which writes the references. Getters, Proxy traps and
// registered types' `encode` then run twice for that value.

import { JoblibError, SerializationError } from '../../errors.js';
import { isStackOverflow } from '../../thrown.js';
import { type BinaryKind, type BinaryValue, binaryKindOf, bytesOf } from './binary-types.js';
import {
  EXT_BIGINT, EXT_BINARY, EXT_DATE, EXT_ERROR, EXT_MAP, EXT_NULL_PROTO_OBJECT, EXT_REF, EXT_REGEXP, EXT_REGISTERED,
  EXT_SET, EXT_SPARSE_ARRAY, EXT_UNDEFINED,
} from './builtin-types.js';
import { BINARY_BLOCK, BINARY_EXTERNAL, BINARY_INLINE, BLOCK_THRESHOLD } from './ext-codes.js';
import type { Block, EncodedValue, EncodeOptions, ExternalHook } from './encoded-value.js';
import { alignUp, BLOCK_ALIGNMENT } from './layout.js';
import { MessagePackWriter } from './msgpack-writer.js';
import { registeredTypeOf } from './type-registry.js';
import {
  asPathed, describeClass, keySegment, NeedsTracking, PathedError, unreadableBinary, withSegment,
} from './value-path.js';

/**
 * How deep an untracked walk goes before it assumes a cycle and starts again with tracking: far
 * deeper than data usually nests, far shallower than the stack allows.
 */
const UNTRACKED_DEPTH = 256;

export type { Block, EncodedValue, EncodeOptions, ExternalHook, ExternalPlace } from './encoded-value.js';

/** The shared buffer of `scratch` encodes, and whether one is running (a nested one gets its own). */
let scratchBuffer: Buffer | undefined;
let scratchInUse = false;

class Encoder extends MessagePackWriter {
  private readonly seen = new Map<object, number>();
  /** Every object met, in pre-order (its id): checked for repeats after an untracked walk; rewound by sparse arrays. */
  readonly numbered: object[] = [];
  /** Containers open in an untracked walk. */
  private depth = 0;
  readonly blocks: Block[] = [];
  dataLength = 0;
  hasReferences = false;
  /** Registered instances whose state is being written: a reference back to one could not be rebuilt. */
  private readonly openRegistered = new Set<object>();

  /** `track`: look every object up as it is met (and write EXT_REF for repeats), or only list them. */
  constructor(private readonly blockThreshold: number, private readonly external: ExternalHook | undefined,
    private readonly onRegisteredType: ((name: string) => void) | undefined, initial: Buffer | undefined,
    private readonly track: boolean) {
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

  /**
   * One frame per level of nesting (with writeValue and the container's own writer), as before
   * untracked walks existed: how deep a value may nest before the stack runs out is unchanged.
   */
  private writeObject(value: object): void {
    if (this.track) {
      const id = this.seen.get(value);
      if (id !== undefined) return this.writeReference(value, id);
      this.seen.set(value, this.numbered.length);
    } else if (++this.depth > UNTRACKED_DEPTH) throw new NeedsTracking();
    this.numbered.push(value);
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype) this.writeProperties(value as Record<string, unknown>);
    else if (proto === Array.prototype) this.writeArray(value as unknown[]);
    else if (proto === null) {
      const start = this.openExt(EXT_NULL_PROTO_OBJECT);
      this.writeProperties(value as Record<string, unknown>);
      this.closeExt(start);
    } else {
      const cls = (proto as { constructor?: unknown }).constructor;
      const registered = registeredTypeOf(cls);
      const kind = registered ? undefined : binaryKindOf(cls);
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
        this.closeExt(start);
      } else if (kind) this.writeBinary(value as BinaryValue, kind);
      else if (cls === Map) this.writeMap(value as Map<unknown, unknown>);
      else if (cls === Set) this.writeSet(value as Set<unknown>);
      else if (cls === Date) {
        this.writeExtHeader(EXT_DATE, 8);
        this.view.setFloat64(this.pos, (value as Date).getTime(), true);
        this.pos += 8;
      } else if (cls === RegExp) {
        const start = this.openExt(EXT_REGEXP);
        this.writeArrayHeader(2);
        this.writeString((value as RegExp).source);
        this.writeString((value as RegExp).flags);
        this.closeExt(start);
      } else if (value instanceof Error) this.writeError(value);
      else {
        throw new PathedError(
          `is ${describeClass(value)}, which joblib-ts cannot rebuild. ` +
            'Register the class with registerType(Class, { name, encode, decode }), or pass a plain object.',
        );
      }
    }
    this.depth--;
  }

  /** An object met before: EXT_REF to its number. */
  private writeReference(value: object, id: number): void {
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
    const numberedMark = this.numbered.length; // the array itself is the last one numbered
    const length = array.length;
    this.writeArrayHeader(length);
    let i = 0;
    try {
      for (; i < length; i++) {
        const item = array[i];
        if (item === undefined && !(i in array)) {
          this.rewind(start, numberedMark, dataMark);
          return this.writeSparseArray(array);
        }
        this.writeValue(item);
      }
    } catch (error) {
      throw withSegment(error, `[${i}]`);
    }
  }

  /** Forgets everything written since an array was numbered (`keep` objects stay), so it can be written again. */
  private rewind(position: number, keep: number, dataMark: number): void {
    this.pos = position;
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
  const threshold = options.blockThreshold ?? BLOCK_THRESHOLD;
  let encoder = new Encoder(threshold, options.external, options.onRegisteredType, scratch ? scratchBuffer : undefined,
    false);
  if (scratch) scratchInUse = true;
  try {
    try {
      encoder.writeValue(value);
      if (new Set(encoder.numbered).size !== encoder.numbered.length) throw new NeedsTracking();
    } catch (error) {
      if (!(error instanceof NeedsTracking)) throw error;
      encoder = new Encoder(threshold, options.external, options.onRegisteredType, encoder.buf, true);
      encoder.writeValue(value);
    }
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
