// Whether this Node has zstd in node:zlib (22.15 and later, 23.8 and later), decided here rather
// than by the code under test: CI runs the suite on Node 20, 22 and 24, and tests branch on it.

import zlib from 'node:zlib';

/** node:zlib's zstd is there: zstd dumps work; without it, they are refused by name. */
export const hasZstd = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
