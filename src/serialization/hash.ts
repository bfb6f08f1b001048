// The canonical hash: its own walk, not a hash of codec output, so that equal values hash
// equal whatever their key order, Set/Map insertion order or object sharing, in any process on
// any machine. Every value is written as a type tag plus canonical bytes (little-endian) into a
// scratch buffer that feeds two XXH3-64 streams with different seeds: 128 bits in all.
// Large binary blocks are fed to the hash in place, never copied.

import { xxh3 } from '@node-rs/xxhash';
import { SerializationError } from '../errors.js';
import { isStackOverflow } from '../thrown.js';
import { type BinaryValue, binaryKindOf, bytesOf } from './codec/binary-types.js';
import { BUILTIN_TYPES } from './codec/builtin-types.js';
import { registeredTypeOf } from './codec/type-registry.js';

const SEED_A = 0n;
const SEED_B = 0x9e37_79b9_7f4a_7c15n;
const SCRATCH_BYTES = 64 * 1024;
/** Blocks bigger than this bypass the scratch buffer and go to the hash in chunks of this size. */
const CHUNK_BYTES = 8 * 1024 * 1024;

// Type tags (builtin-types.ts): part of the hash's definition; changing one changes every digest.
const T_UNDEFINED = BUILTIN_TYPES.undefined.hashTag;
const T_NULL = BUILTIN_TYPES.null.hashTag;
const T_FALSE = BUILTIN_TYPES.false.hashTag;
const T_TRUE = BUILTIN_TYPES.true.hashTag;
const T_NUMBER = BUILTIN_TYPES.number.hashTag;
const T_STRING = BUILTIN_TYPES.string.hashTag;
const T_BIGINT = BUILTIN_TYPES.bigint.hashTag;
const T_ARRAY = BUILTIN_TYPES.array.hashTag;
/** A run of holes in an array, followed by its length. */
const T_HOLE = BUILTIN_TYPES.sparseArray.hashTag;
const T_OBJECT = BUILTIN_TYPES.object.hashTag;
const T_MAP = BUILTIN_TYPES.map.hashTag;
const T_SET = BUILTIN_TYPES.set.hashTag;
const T_DATE = BUILTIN_TYPES.date.hashTag;
const T_REGEXP = BUILTIN_TYPES.regexp.hashTag;
const T_ERROR = BUILTIN_TYPES.error.hashTag;
const T_BINARY = BUILTIN_TYPES.binary.hashTag;
const T_BACKREF = BUILTIN_TYPES.reference.hashTag;
const T_REGISTERED = BUILTIN_TYPES.registered.hashTag;
const T_FUNCTION = BUILTIN_TYPES.function.hashTag;
const T_SYMBOL = BUILTIN_TYPES.symbol.hashTag;
const T_INSTANCE = BUILTIN_TYPES.instance.hashTag;
const T_NULL_PROTO = BUILTIN_TYPES.nullProtoObject.hashTag;

type Xxh3 = ReturnType<typeof xxh3.Xxh3.withSeed>;

/** Two seeded XXH3 streams behind a scratch buffer that batches small writes into one call. */
class HashSink {
  private readonly a: Xxh3 = xxh3.Xxh3.withSeed(SEED_A);
  private readonly b: Xxh3 = xxh3.Xxh3.withSeed(SEED_B);
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private readonly view = new DataView(this.scratch.buffer, this.scratch.byteOffset, SCRATCH_BYTES);
  private pos = 0;
  /** Whether bytes went to the streams; if not, digest hashes the scratch in one call each. */
  private streamed = false;

  private room(n: number): void {
    if (this.pos + n > SCRATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pos === 0) return;
    const filled = this.scratch.subarray(0, this.pos);
    this.a.update(filled);
    this.b.update(filled);
    this.streamed = true;
    this.pos = 0;
  }

  tag(t: number): void {
    this.room(1);
    this.scratch[this.pos++] = t;
  }

  u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.pos, n, true);
    this.pos += 4;
  }

  f64(n: number): void {
    this.room(8);
    // One NaN bit pattern, so every NaN hashes alike.
    if (Number.isNaN(n)) this.view.setFloat64(this.pos, Number.NaN, true);
    else this.view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }

  string(s: string): void {
    const length = s.length;
    if (length < 64) {
      this.room(length * 3 + 4);
      const scratch = this.scratch;
      const start = this.pos + 4;
      let p = start;
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = start + scratch.write(s, start);
          break;
        }
        scratch[p++] = c;
      }
      this.view.setUint32(this.pos, p - start, true);
      this.pos = p;
    } else if (length * 3 + 4 <= SCRATCH_BYTES) {
      this.room(length * 3 + 4);
      const written = this.scratch.write(s, this.pos + 4);
      this.view.setUint32(this.pos, written, true);
      this.pos += 4 + written;
    } else {
      const bytes = Buffer.from(s);
      this.u32(bytes.byteLength);
      this.bytes(bytes);
    }
  }

  bytes(bytes: Uint8Array): void {
    if (bytes.byteLength <= SCRATCH_BYTES / 4) {
      this.room(bytes.byteLength);
      this.scratch.set(bytes, this.pos);
      this.pos += bytes.byteLength;
      return;
    }
    this.flush();
    this.streamed = true;
    for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + CHUNK_BYTES);
      this.a.update(chunk);
      this.b.update(chunk);
    }
  }

  /** 128 bits as 32 lowercase hex digits; the sink is reset for reuse. */
  digest(): string {
    if (!this.streamed) {
      // A small value fits the scratch: XXH3's one-shot gives the same digest as the stream,
      // in 2 native calls instead of 6 (a third of a small Memory hit's hashing).
      const filled = this.scratch.subarray(0, this.pos);
      this.pos = 0;
      return xxh3.xxh64(filled, SEED_A).toString(16).padStart(16, '0') + xxh3.xxh64(filled, SEED_B).toString(16).padStart(16, '0');
    }
    this.flush();
    const hex =
      this.a.digest().toString(16).padStart(16, '0') + this.b.digest().toString(16).padStart(16, '0');
    this.a.reset();
    this.b.reset();
    this.streamed = false;
    return hex;
  }
}

const IS_STRING = (x: unknown): x is string => typeof x === 'string';

/** Whether an own key is an array index (a canonical integer below 2^32 - 1), not a property. */
const isArrayIndexKey = (key: string, index: number): boolean =>
  index >= 0 && index < 2 ** 32 - 1 && Number.isInteger(index) && String(index) === key;

/** The walk; `ancestors` makes cycles hash as back-references by depth (identity-free). */
class CanonicalWalk {
  private readonly ancestors: object[] = [];
  private spare: HashSink[] = [];

  write(sink: HashSink, value: unknown): void {
    switch (typeof value) {
      case 'undefined':
        return sink.tag(T_UNDEFINED);
      case 'boolean':
        return sink.tag(value ? T_TRUE : T_FALSE);
      case 'number':
        sink.tag(T_NUMBER);
        return sink.f64(value);
      case 'string':
        sink.tag(T_STRING);
        return sink.string(value);
      case 'bigint':
        sink.tag(T_BIGINT);
        return sink.string(value.toString(16));
      case 'symbol':
        sink.tag(T_SYMBOL);
        return sink.string(Symbol.keyFor(value) ?? value.description ?? '');
      case 'function':
        sink.tag(T_FUNCTION);
        sink.string(value.name);
        return sink.string(Function.prototype.toString.call(value));
      default:
        if (value === null) return sink.tag(T_NULL);
        return this.writeObject(sink, value as object);
    }
  }

  private writeObject(sink: HashSink, value: object): void {
    // Ancestors are few (the nesting depth), so a scan beats a Set's upkeep.
    const at = this.ancestors.lastIndexOf(value);
    if (at >= 0) {
      sink.tag(T_BACKREF);
      sink.u32(this.ancestors.length - at);
      return;
    }
    this.ancestors.push(value);
    this.writeContent(sink, value);
    this.ancestors.pop();
  }

  private writeContent(sink: HashSink, value: object): void {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype) {
      sink.tag(T_OBJECT);
      return this.writeProperties(sink, value as Record<string, unknown>);
    }
    if (proto === Array.prototype) return this.writeArray(sink, value as unknown[]);
    if (proto === null) {
      sink.tag(T_NULL_PROTO);
      return this.writeProperties(sink, value as Record<string, unknown>);
    }
    const cls = (proto as { constructor?: unknown }).constructor;
    const registered = registeredTypeOf(cls);
    if (registered) {
      sink.tag(T_REGISTERED);
      sink.string(registered.name);
      return this.write(sink, registered.encode(value));
    }
    const kind = binaryKindOf(cls);
    if (kind) {
      const bytes = bytesOf(value as BinaryValue);
      sink.tag(T_BINARY);
      sink.tag(kind.code);
      sink.f64(bytes.byteLength);
      return sink.bytes(bytes);
    }
    if (cls === Map) return this.writeMap(sink, value as Map<unknown, unknown>);
    if (cls === Set) return this.writeSet(sink, value as Set<unknown>);
    if (cls === Date) {
      sink.tag(T_DATE);
      return sink.f64((value as Date).getTime());
    }
    if (cls === RegExp) {
      sink.tag(T_REGEXP);
      sink.string((value as RegExp).source);
      return sink.string((value as RegExp).flags);
    }
    if (value instanceof Error) {
      sink.tag(T_ERROR);
      sink.string(String(value.name));
      sink.string(String(value.message));
      this.write(sink, 'cause' in value ? value.cause : undefined);
      return this.writeProperties(sink, value as unknown as Record<string, unknown>);
    }
    // Any other class instance: its class name and own enumerable data. (The codec refuses
    // these; a hash only has to tell values apart, so it can be more lenient.)
    sink.tag(T_INSTANCE);
    sink.string(typeof cls === 'function' ? cls.name : '');
    this.writeProperties(sink, value as Record<string, unknown>);
  }

  private writeProperties(sink: HashSink, object: Record<string, unknown>): void {
    const keys = Object.keys(object).sort();
    sink.u32(keys.length);
    for (const key of keys) {
      sink.string(key);
      this.write(sink, object[key]);
    }
  }

  private writeArray(sink: HashSink, array: unknown[]): void {
    sink.tag(T_ARRAY);
    const length = array.length;
    sink.f64(length);
    for (let i = 0; i < length; i++) {
      const item = array[i];
      if (item === undefined && !(i in array)) return this.writeSparseRest(sink, array, i);
      this.write(sink, item);
    }
  }

  /**
   * The rest of an array from its first hole, by the entries present (as the codec stores
   * sparse arrays): each run of holes is T_HOLE and its length, so an array of length 2^31
   * costs its entries, not its length. Dense arrays never come here: their digests stay.
   */
  private writeSparseRest(sink: HashSink, array: unknown[], firstHole: number): void {
    let next = firstHole;
    // Own keys list array indices first, in ascending order, then any other property.
    for (const key of Object.keys(array)) {
      const index = Number(key);
      if (!isArrayIndexKey(key, index)) break;
      if (index < firstHole) continue;
      if (index > next) {
        sink.tag(T_HOLE);
        sink.f64(index - next);
      }
      this.write(sink, array[index]);
      next = index + 1;
    }
    if (next < array.length) {
      sink.tag(T_HOLE);
      sink.f64(array.length - next);
    }
  }

  private writeMap(sink: HashSink, map: Map<unknown, unknown>): void {
    sink.tag(T_MAP);
    sink.u32(map.size);
    const keys = [...map.keys()];
    if (keys.every(IS_STRING)) {
      // Fast path: string keys have a total order of their own.
      sink.tag(1);
      for (const key of keys.sort()) {
        sink.string(key);
        this.write(sink, map.get(key));
      }
      return;
    }
    sink.tag(0);
    this.writeDigests(sink, map.size, map.entries(), (entrySink, [key, item]) => {
      this.write(entrySink, key);
      this.write(entrySink, item);
    });
  }

  private writeSet(sink: HashSink, set: Set<unknown>): void {
    sink.tag(T_SET);
    sink.u32(set.size);
    const items = [...set];
    if (items.every(IS_STRING)) {
      sink.tag(1);
      for (const item of items.sort()) sink.string(item);
      return;
    }
    sink.tag(0);
    this.writeDigests(sink, set.size, items.values(), (entrySink, item) => this.write(entrySink, item));
  }

  /** Hashes each entry on its own, then feeds the sorted digests: order-insensitive. */
  private writeDigests<T>(
    sink: HashSink,
    size: number,
    entries: Iterable<T>,
    writeEntry: (entrySink: HashSink, entry: T) => void,
  ): void {
    const entrySink = this.spare.pop() ?? new HashSink();
    const digests = new Array<string>(size);
    let i = 0;
    for (const entry of entries) {
      writeEntry(entrySink, entry);
      digests[i++] = entrySink.digest();
    }
    this.spare.push(entrySink);
    digests.sort();
    for (const digest of digests) sink.bytes(Buffer.from(digest, 'hex'));
  }
}

let idleSink: HashSink | null = null;

/**
 * A 128-bit canonical hash of any value, as 32 hex digits. Equal values hash equal across
 * processes, runs and machines: object keys, Map entries and Set items in any order; typed
 * arrays by element type, length and bytes (hashed in place, so 100 MB take milliseconds);
 * sparse arrays by the entries present, not every index up to their length; cycles by their
 * shape. Different values hash differently (two XXH3-64 streams, 128 bits). Unlike `dump`, it
 * takes any value: functions hash by name and source, unregistered class instances by class
 * name and own enumerable properties. joblib's `hash`, by another algorithm (digests differ).
 *
 * @throws {@link SerializationError} for a value nested too deeply to walk, as in `dump`.
 * @category Serialization
 * @example
 * hash({ b: 2, a: [1, 2] }) === hash({ a: [1, 2], b: 2 }); // true
 */
export function hash(value: unknown): string {
  // Reuse one sink (and its scratch buffer) across calls; a nested call made from a registered
  // type's `encode` finds it taken and makes its own.
  const sink = idleSink ?? new HashSink();
  idleSink = null;
  try {
    new CanonicalWalk().write(sink, value);
    return sink.digest();
  } catch (error) {
    sink.digest(); // reset the streams so the sink is clean for the next call
    if (isStackOverflow(error)) {
      throw new SerializationError(
        'Cannot hash value: it is nested too deeply (the walk exceeded the call stack). ' +
          'Flatten long linked structures into arrays.',
        'value',
        { cause: error },
      );
    }
    throw error;
  } finally {
    idleSink = sink;
  }
}
