// The container layout both files and worker frames use: a structure, then one data section
// of 64-byte-aligned blocks, so a typed array arrives as an aligned view, never a copy.

/** Alignment of the data section and of every block in it. */
export const BLOCK_ALIGNMENT = 64;

/** `n` rounded up to a multiple of `alignment`. */
export const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;
