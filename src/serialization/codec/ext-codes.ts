// MessagePack extension type codes of the joblib-ts codec (FORMAT.md, "Extension types").
// Written into files: a code never changes meaning. Codes 0–15 are used, the rest reserved.

export const EXT_BINARY = 1;
export const EXT_MAP = 2;
export const EXT_SET = 3;
export const EXT_DATE = 4;
export const EXT_BIGINT = 5;
export const EXT_REGEXP = 6;
export const EXT_ERROR = 7;
export const EXT_UNDEFINED = 8;
export const EXT_REF = 9;
export const EXT_REGISTERED = 10;
export const EXT_SPARSE_ARRAY = 11;
export const EXT_NULL_PROTO_OBJECT = 12;

/** Storage byte of an EXT_BINARY payload. */
export const BINARY_INLINE = 0;
export const BINARY_BLOCK = 1;
/**
 * Wire only, never in files: the bytes live in memory both sides reach (a SharedArrayBuffer, a
 * file a worker reads once), named by a key the sender's `external` hook chose.
 */
export const BINARY_EXTERNAL = 2;

/** Binary values at least this long go to the aligned data section instead of inline. */
export const BLOCK_THRESHOLD = 512;
/** Alignment of the data section and of every block in it. */
export const BLOCK_ALIGNMENT = 64;

export const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;
