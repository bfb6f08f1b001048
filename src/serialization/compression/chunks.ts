// Cuts a file's parts (header, structure, caller's blocks) into fixed-size chunks for block
// compressors, as views where a chunk lies inside one part and as a fresh copy only where a
// chunk straddles parts. A copied chunk is never reused, so it may be handed to another thread.

export function* chunksOf(parts: readonly Uint8Array[], chunkBytes: number): Generator<Buffer> {
  let staging: Buffer | null = null;
  let filled = 0;
  for (const part of parts) {
    let offset = 0;
    while (offset < part.byteLength) {
      const take = Math.min(chunkBytes - filled, part.byteLength - offset);
      if (filled === 0 && take === chunkBytes) {
        yield Buffer.from(part.buffer, part.byteOffset + offset, take);
      } else {
        staging ??= Buffer.allocUnsafe(chunkBytes);
        staging.set(part.subarray(offset, offset + take), filled);
        filled += take;
        if (filled === chunkBytes) {
          yield staging;
          staging = null;
          filled = 0;
        }
      }
      offset += take;
    }
  }
  if (filled > 0 && staging) yield staging.subarray(0, filled);
}

/** Total length of the parts. */
export function byteLengthOf(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  return total;
}
