// Every kind of value the codec stores and the hash tells apart, in one table: the MessagePack
// extension code written into files (FORMAT.md, "Extension types"; null where plain
// MessagePack holds it), the hash's type tag, and the FORMAT.md section that specifies it.
// Codes and tags are part of the file format and of every digest: they never change meaning.
// The encoder, decoder and hash keep their own switches (measured fast) and take their codes
// from here; test/serialization/codec/builtin-types.test.ts walks this table against all three
// and FORMAT.md, so a new kind is one row here plus a case in each walk.

/** One built-in kind. */
export interface BuiltinKind {
  /** The MessagePack extension code, or null when standard MessagePack stores it. */
  readonly ext: number | null;
  /** The hash's type tag, or null when the hash reads it as another kind (noted in `format`). */
  readonly hashTag: number | null;
  /** Where FORMAT.md specifies it: an extension table row, or the section that does. */
  readonly format: string;
}

export const BUILTIN_TYPES = {
  undefined: { ext: 8, hashTag: 0x01, format: '`undefined`' },
  null: { ext: null, hashTag: 0x02, format: 'Structure' },
  false: { ext: null, hashTag: 0x03, format: 'Structure' },
  true: { ext: null, hashTag: 0x04, format: 'Structure' },
  number: { ext: null, hashTag: 0x05, format: 'Structure' },
  string: { ext: null, hashTag: 0x06, format: 'Structure' },
  bigint: { ext: 5, hashTag: 0x07, format: '`BigInt`' },
  array: { ext: null, hashTag: 0x08, format: 'Structure' },
  /** In the hash, a run of holes inside an array (a sparse array hashes as an array). */
  sparseArray: { ext: 11, hashTag: 0x09, format: 'sparse array' },
  object: { ext: null, hashTag: 0x0a, format: 'Structure' },
  map: { ext: 2, hashTag: 0x0b, format: '`Map`' },
  set: { ext: 3, hashTag: 0x0c, format: '`Set`' },
  date: { ext: 4, hashTag: 0x0d, format: '`Date`' },
  regexp: { ext: 6, hashTag: 0x0e, format: '`RegExp`' },
  error: { ext: 7, hashTag: 0x0f, format: '`Error`' },
  binary: { ext: 1, hashTag: 0x10, format: 'binary (typed array, DataView, Buffer, ArrayBuffer, SharedArrayBuffer)' },
  /** A shared or cyclic reference; the hash writes cycles as back-references and shared objects as copies. */
  reference: { ext: 9, hashTag: 0x11, format: 'reference' },
  registered: { ext: 10, hashTag: 0x12, format: 'registered class instance' },
  nullProtoObject: { ext: 12, hashTag: 0x16, format: 'object with a `null` prototype' },
  // Hash only: the codec refuses these.
  function: { ext: null, hashTag: 0x13, format: 'hash only: the codec refuses functions' },
  symbol: { ext: null, hashTag: 0x14, format: 'hash only: the codec refuses symbols' },
  instance: { ext: null, hashTag: 0x15, format: 'hash only: the codec refuses unregistered class instances' },
} as const satisfies Readonly<Record<string, BuiltinKind>>;

export const EXT_BINARY = BUILTIN_TYPES.binary.ext;
export const EXT_MAP = BUILTIN_TYPES.map.ext;
export const EXT_SET = BUILTIN_TYPES.set.ext;
export const EXT_DATE = BUILTIN_TYPES.date.ext;
export const EXT_BIGINT = BUILTIN_TYPES.bigint.ext;
export const EXT_REGEXP = BUILTIN_TYPES.regexp.ext;
export const EXT_ERROR = BUILTIN_TYPES.error.ext;
export const EXT_UNDEFINED = BUILTIN_TYPES.undefined.ext;
export const EXT_REF = BUILTIN_TYPES.reference.ext;
export const EXT_REGISTERED = BUILTIN_TYPES.registered.ext;
export const EXT_SPARSE_ARRAY = BUILTIN_TYPES.sparseArray.ext;
export const EXT_NULL_PROTO_OBJECT = BUILTIN_TYPES.nullProtoObject.ext;
