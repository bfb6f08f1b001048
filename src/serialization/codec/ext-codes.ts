// The bytes inside an extension payload that FORMAT.md fixes besides the type codes (which
// are in builtin-types.ts): how a binary value is stored, and when it goes to the data section.

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
