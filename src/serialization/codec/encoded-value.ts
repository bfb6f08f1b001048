// What an encode takes and gives: its options (block threshold, external places, scratch
// buffer) and its result (the MessagePack structure and the binary blocks set aside for the
// data section). Shared by the encoder and the frames and files built from its output.

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
