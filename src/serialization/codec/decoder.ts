// The decoding walk, the inverse of encoder.ts. It trusts nothing: every length is checked
// against the bytes that remain before anything is allocated, `__proto__` keys stay plain
// data, and no code from the input ever runs (only decoders the process itself registered).
// Blocks of the data section become typed-array views into the caller's buffer (no copy).

import { FormatError, UnregisteredTypeError } from '../../errors.js';
import { describeThrown } from '../../thrown.js';
import { binaryKindByCode } from './binary-types.js';
import {
  EXT_BIGINT, EXT_BINARY, EXT_DATE, EXT_ERROR, EXT_MAP, EXT_NULL_PROTO_OBJECT, EXT_REF, EXT_REGEXP, EXT_REGISTERED,
  EXT_SET, EXT_SPARSE_ARRAY, EXT_UNDEFINED,
} from './builtin-types.js';
import { BINARY_BLOCK, BINARY_EXTERNAL, BINARY_INLINE } from './ext-codes.js';
import { defineData, newError, setErrorField } from './error-values.js';
import { asNestingError, MessagePackReader } from './msgpack-reader.js';
import { KeyCache, MAX_CACHED_KEY } from './short-strings.js';
import { type RegisteredType, registeredTypeByName } from './type-registry.js';

const PENDING = Symbol('pending');

/** A whole number in [0, end): a sparse array's length or index (a fraction would be a property). */
const isArrayIndex = (n: unknown, end: number): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) < end;

class Decoder extends MessagePackReader {
  private readonly refs: unknown[] = [];
  private readonly keyCache: KeyCache;

  /** `track` is false when the writer emitted no EXT_REF: then nothing needs numbering. */
  constructor(
    buf: Buffer,
    private readonly data: Uint8Array | null,
    private readonly track: boolean,
    private readonly external: ExternalResolver | undefined,
    private readonly undecodable: UndecodableHook | undefined,
  ) {
    super(buf);
    this.keyCache = new KeyCache(buf.byteLength);
  }

  private readKey(): string {
    const b = this.buf[this.pos]!;
    if (b >= 0xa0 && b < 0xa0 + MAX_CACHED_KEY + 1) {
      this.pos++;
      const length = b & 0x1f;
      const start = this.take(length);
      const cache = this.keyCache;
      return (
        cache.find(this.buf, start, length) ??
        cache.remember(this.buf, start, length, this.stringAt(start, length))
      );
    }
    const key = this.readValue();
    if (typeof key !== 'string') this.fail('an object key is not a string');
    return key;
  }

  /** Numbers a rebuilt object for EXT_REF, when the input has references at all. */
  private register(value: unknown): void {
    if (this.track) this.refs.push(value);
  }

  protected readMap(size: number): Record<string, unknown> {
    return this.readObjectBody(size, {});
  }

  private readObjectBody(size: number, target: Record<string, unknown>): Record<string, unknown> {
    this.checkCount(size);
    this.register(target);
    for (let i = 0; i < size; i++) {
      const key = this.readKey();
      const value = this.readValue();
      if (key === '__proto__') defineData(target, key, value);
      else target[key] = value;
    }
    return target;
  }

  protected readArray(length: number): unknown[] {
    const array = new Array<unknown>(this.checkCount(length));
    this.register(array);
    for (let i = 0; i < length; i++) array[i] = this.readValue();
    return array;
  }

  protected readBin(length: number): Uint8Array {
    const start = this.take(length);
    const copy = new Uint8Array(this.buf.subarray(start, start + length));
    this.register(copy);
    return copy;
  }

  protected readExt(length: number): unknown {
    const type = this.buf[this.take(1)]!;
    const start = this.pos;
    const end = start + length;
    if (length > this.end - start) this.fail(`an extension claims ${length} bytes, more than remain`);
    const value = this.readExtPayload(type, length);
    if (this.pos !== end) this.fail(`extension ${type} payload length does not match its content`);
    return value;
  }

  private readExtPayload(type: number, length: number): unknown {
    switch (type) {
      case EXT_UNDEFINED:
        return undefined;
      case EXT_REF: {
        const id = this.readValue();
        if (!this.track) this.fail('a reference appears in data written without references');
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.refs.length) {
          this.fail('a reference points past the values read');
        }
        const target = this.refs[id];
        if (target === PENDING) this.fail('a reference points into a value still being rebuilt');
        return target;
      }
      case EXT_BIGINT: {
        const digits = this.buf.toString('latin1', this.take(length), this.pos);
        if (!/^-?[0-9a-f]+$/.test(digits)) this.fail('a BigInt is not a hexadecimal integer');
        return digits.startsWith('-') ? -BigInt(`0x${digits.slice(1)}`) : BigInt(`0x${digits}`);
      }
      case EXT_DATE: {
        if (length !== 8) this.fail('a Date payload is not 8 bytes');
        const date = new Date(this.view.getFloat64(this.take(8), true));
        this.register(date);
        return date;
      }
      case EXT_BINARY:
        return this.readBinary(length);
      case EXT_MAP: {
        const map = new Map<unknown, unknown>();
        this.register(map);
        const count = this.readArrayHeader();
        if (count % 2 !== 0) this.fail('a Map payload has an odd number of items');
        for (let i = 0; i < count; i += 2) {
          const key = this.readValue();
          map.set(key, this.readValue());
        }
        return map;
      }
      case EXT_SET: {
        const set = new Set<unknown>();
        this.register(set);
        const count = this.readArrayHeader();
        for (let i = 0; i < count; i++) set.add(this.readValue());
        return set;
      }
      case EXT_REGEXP: {
        const slot = this.reserve();
        if (this.readArrayHeader() !== 2) this.fail('a RegExp payload is not [source, flags]');
        const source = this.readValue();
        const flags = this.readValue();
        if (typeof source !== 'string' || typeof flags !== 'string')
          this.fail('a RegExp payload is not strings');
        let regexp: RegExp;
        try {
          regexp = new RegExp(source, flags);
        } catch (error) {
          throw new FormatError(`A stored RegExp is invalid: ${(error as Error).message}`, { cause: error });
        }
        this.fill(slot, regexp);
        return regexp;
      }
      case EXT_ERROR:
        return this.readError();
      case EXT_SPARSE_ARRAY: {
        const slot = this.reserve();
        const count = this.readArrayHeader();
        const length = this.readValue();
        if (!isArrayIndex(length, 2 ** 32) || count % 2 !== 1) this.fail('a sparse array payload is malformed');
        const array = new Array<unknown>(length);
        this.fill(slot, array);
        for (let i = 1; i < count; i += 2) {
          const index = this.readValue();
          if (!isArrayIndex(index, length)) this.fail('a sparse index is not an index below the array length');
          array[index] = this.readValue();
        }
        return array;
      }
      case EXT_NULL_PROTO_OBJECT: {
        return this.readObjectBody(this.readMapHeader(), Object.create(null) as Record<string, unknown>);
      }
      case EXT_REGISTERED: {
        const slot = this.reserve();
        if (this.readArrayHeader() !== 2) this.fail('a registered-type payload is not [name, state]');
        const name = this.readValue();
        if (typeof name !== 'string') this.fail('a registered-type name is not a string');
        const entry = registeredTypeByName(name);
        if (!entry && !this.undecodable) throw new UnregisteredTypeError(name);
        const state = this.readValue();
        let instance: unknown;
        if (!entry) instance = this.undecodable!(name, state, undefined);
        else if (!this.undecodable) instance = this.rebuild(entry, state);
        else {
          // Between workers: a value that cannot be rebuilt fails its task, not the whole frame.
          try {
            instance = entry.decode(state);
          } catch (error) {
            instance = this.undecodable(name, state, error);
          }
        }
        this.fill(slot, instance);
        return instance;
      }
      default:
        return this.fail(`unknown extension type ${type}`);
    }
  }

  /**
   * Runs a registered type's decode on the state read. A file can put any state under a
   * registered name, and a decode that trusts its shape throws (`[a, b] = 5`): that is a
   * corrupt file, so a FormatError naming the type, never the decode's own TypeError.
   */
  private rebuild(entry: RegisteredType, state: unknown): unknown {
    try {
      return entry.decode(state);
    } catch (error) {
      throw new FormatError(
        `Corrupt structure before byte ${this.pos}: a value of registered type "${entry.name}" could not be rebuilt: ` +
          `its decode threw ${describeThrown(error)}. The file is damaged, or was written by a version of that type ` +
          'whose state this decode does not accept.',
        { cause: error },
      );
    }
  }

  /** Holds a place in the numbering for a value built after its children; -1 when not tracking. */
  private reserve(): number {
    if (!this.track) return -1;
    this.refs.push(PENDING);
    return this.refs.length - 1;
  }

  private fill(slot: number, value: unknown): void {
    if (slot >= 0) this.refs[slot] = value;
  }

  private readBinary(length: number): unknown {
    if (length < 2) this.fail('a binary payload is shorter than its 2-byte prefix');
    const at = this.take(2);
    const kind = binaryKindByCode(this.buf[at]!);
    if (!kind) this.fail(`unknown binary kind ${this.buf[at]}`);
    const storage = this.buf[at + 1];
    let source: Uint8Array;
    let zeroCopy = false;
    if (storage === BINARY_INLINE) {
      const start = this.take(length - 2);
      source = this.buf.subarray(start, start + length - 2);
    } else if (storage === BINARY_BLOCK) {
      if (length !== 18) this.fail('a block reference is not 16 bytes');
      const p = this.take(16);
      const offset = this.view.getBigUint64(p, true);
      const byteLength = this.view.getBigUint64(p + 8, true);
      const data = this.data;
      if (!data || offset + byteLength > BigInt(data.byteLength)) {
        this.fail('a block lies outside the data section');
      }
      source = data.subarray(Number(offset), Number(offset + byteLength));
      zeroCopy = true;
    } else if (storage === BINARY_EXTERNAL && this.external) {
      if (length < 18) this.fail('an external block reference is shorter than 16 bytes');
      const p = this.take(length - 2);
      const offset = Number(this.view.getBigUint64(p, true));
      const byteLength = Number(this.view.getBigUint64(p + 8, true));
      const region = this.external(this.buf.toString('utf8', p + 16, p + length - 2));
      if (offset + byteLength > region.byteLength) this.fail('an external block lies outside its region');
      source = region.subarray(offset, offset + byteLength);
      // A SharedArrayBuffer sent whole arrives as itself: shared, not copied.
      if (kind.code === 15 && source.buffer instanceof SharedArrayBuffer && source.byteOffset === 0 &&
        byteLength === source.buffer.byteLength) {
        this.register(source.buffer);
        return source.buffer;
      }
      zeroCopy = true;
    } else return this.fail(`unknown binary storage ${storage}`);
    const size = kind.bytesPerElement;
    if (source.byteLength % size !== 0) this.fail(`a ${kind.name} block is not a whole number of elements`);
    let value: unknown;
    if (!kind.view) {
      // ArrayBuffer and SharedArrayBuffer own their memory: always a copy.
      const owned =
        kind.code === 15 ? new SharedArrayBuffer(source.byteLength) : new ArrayBuffer(source.byteLength);
      new Uint8Array(owned).set(source);
      value = owned;
    } else {
      if (!zeroCopy || source.byteOffset % size !== 0) {
        const copy = new Uint8Array(source.byteLength);
        copy.set(source);
        source = copy;
      }
      value = kind.view(source.buffer, source.byteOffset, source.byteLength / size);
    }
    this.register(value);
    return value;
  }

  /**
   * Builds the Error as soon as `name` and `message` (which the writer puts first) are read, so
   * that a `cause` or property referring back to the error (a cycle) finds it.
   */
  private readError(): Error {
    const slot = this.reserve();
    const size = this.readMapHeader();
    let name: unknown;
    let message: unknown;
    let error: Error | null = null;
    const early: [string, unknown][] = [];
    for (let i = 0; i < size; i++) {
      const key = this.readKey();
      if (error === null && key === 'name') name = this.readValue();
      else if (error === null && key === 'message') message = this.readValue();
      else if (error === null) early.push([key, this.readValue()]);
      else setErrorField(error, key, this.readValue());
      if (error === null && name !== undefined && message !== undefined) {
        error = this.createError(slot, name, message);
      }
    }
    error ??= this.createError(slot, name, message);
    for (const [key, value] of early) setErrorField(error, key, value);
    return error;
  }

  private createError(slot: number, name: unknown, message: unknown): Error {
    const error = newError(name, message);
    this.fill(slot, error);
    return error;
  }
}

/** The bytes of the region an external block names (messages only; files have none). */
export type ExternalResolver = (key: string) => Uint8Array;

/**
 * What stands for a registered-type value that cannot be rebuilt here (messages only): its type
 * is not registered (`error` undefined) or its decode threw `error`. Without it, decoding throws.
 */
export type UndecodableHook = (typeName: string, state: unknown, error: unknown) => unknown;

/**
 * Decodes a structure written by `encodeValue`. `data` is the data section its blocks point
 * into; typed arrays in the result are views of it. `hasReferences: false` (the writer emitted
 * no EXT_REF) skips numbering objects. Throws `FormatError` on any inconsistency.
 */
export function decodeValue(
  structure: Uint8Array, data: Uint8Array | null, hasReferences = true, external?: ExternalResolver,
  undecodable?: UndecodableHook,
): unknown {
  const buf = Buffer.isBuffer(structure)
    ? structure
    : Buffer.from(structure.buffer, structure.byteOffset, structure.byteLength);
  const decoder = new Decoder(buf, data, hasReferences, external, undecodable);
  let value: unknown;
  try {
    value = decoder.readValue();
  } catch (error) {
    throw asNestingError(error);
  }
  decoder.finish();
  return value;
}
