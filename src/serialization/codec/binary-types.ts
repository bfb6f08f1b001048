// The binary kinds the codec and the hash know: every typed array, DataView, Buffer,
// ArrayBuffer and SharedArrayBuffer, each with a stable one-byte code written into files and
// hashes. Codes never change meaning; new kinds get new codes.

/** Any binary value the codec stores as raw bytes. */
export type BinaryValue = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
/** Builds a view of `length` elements over `buffer` (no copy). */
export type ViewFactory = (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;

export interface BinaryKind {
  readonly code: number;
  /** The name written in FORMAT.md and shown to Python readers (numpy dtype where one exists). */
  readonly name: string;
  /** The JS class a value of this kind is rebuilt as: `Float64Array`, `Buffer`, `ArrayBuffer`… */
  readonly className: string;
  readonly bytesPerElement: number;
  /** Absent for ArrayBuffer and SharedArrayBuffer, which own their memory. */
  readonly view?: ViewFactory;
}

const kind = (
  code: number, name: string, className: string, bytesPerElement: number, View?: ViewConstructor,
): BinaryKind =>
  View
    ? { code, name, className, bytesPerElement, view: (b, o, l) => new View(b, o, l) }
    : { code, name, className, bytesPerElement };

export const BINARY_KINDS: readonly BinaryKind[] = [
  kind(1, 'int8', 'Int8Array', 1, Int8Array),
  kind(2, 'uint8', 'Uint8Array', 1, Uint8Array),
  kind(3, 'uint8clamped', 'Uint8ClampedArray', 1, Uint8ClampedArray),
  kind(4, 'int16', 'Int16Array', 2, Int16Array),
  kind(5, 'uint16', 'Uint16Array', 2, Uint16Array),
  kind(6, 'int32', 'Int32Array', 4, Int32Array),
  kind(7, 'uint32', 'Uint32Array', 4, Uint32Array),
  kind(8, 'float32', 'Float32Array', 4, Float32Array),
  kind(9, 'float64', 'Float64Array', 8, Float64Array),
  kind(10, 'int64', 'BigInt64Array', 8, BigInt64Array),
  kind(11, 'uint64', 'BigUint64Array', 8, BigUint64Array),
  kind(12, 'dataview', 'DataView', 1, DataView as unknown as ViewConstructor),
  { code: 13, name: 'buffer', className: 'Buffer', bytesPerElement: 1, view: (b, o, l) => Buffer.from(b as ArrayBuffer, o, l) },
  kind(14, 'arraybuffer', 'ArrayBuffer', 1),
  kind(15, 'sharedarraybuffer', 'SharedArrayBuffer', 1),
];

const byCode: (BinaryKind | undefined)[] = [];
for (const k of BINARY_KINDS) byCode[k.code] = k;

const byConstructor = new Map<unknown, BinaryKind>([
  [Int8Array, BINARY_KINDS[0]!],
  [Uint8Array, BINARY_KINDS[1]!],
  [Uint8ClampedArray, BINARY_KINDS[2]!],
  [Int16Array, BINARY_KINDS[3]!],
  [Uint16Array, BINARY_KINDS[4]!],
  [Int32Array, BINARY_KINDS[5]!],
  [Uint32Array, BINARY_KINDS[6]!],
  [Float32Array, BINARY_KINDS[7]!],
  [Float64Array, BINARY_KINDS[8]!],
  [BigInt64Array, BINARY_KINDS[9]!],
  [BigUint64Array, BINARY_KINDS[10]!],
  [DataView, BINARY_KINDS[11]!],
  [Buffer, BINARY_KINDS[12]!],
  [ArrayBuffer, BINARY_KINDS[13]!],
  [SharedArrayBuffer, BINARY_KINDS[14]!],
]);

/** The kind of a value whose constructor is exactly one of the binary classes, else undefined. */
export function binaryKindOf(cls: unknown): BinaryKind | undefined {
  return byConstructor.get(cls);
}

export function binaryKindByCode(code: number): BinaryKind | undefined {
  return byCode[code];
}

/** The bytes of a binary value, as a Uint8Array over the same memory (no copy). */
export function bytesOf(value: BinaryValue): Uint8Array {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}

/** The values are stored little-endian; a big-endian host would misread them, so refuse early. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
