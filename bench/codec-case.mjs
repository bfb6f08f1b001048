// One codec measurement in its own process: encode or decode N small objects in memory with
// joblib-ts's codec or msgpackr (default `pack`, and `structuredClone: true`, which tracks
// shared references and cycles as ours does). Prints one JSON line of samples.
// Usage: node bench/codec-case.mjs <encode|decode> <ours|msgpackr|msgpackr-clone> [--repeat K]
import { decodeValue } from '../dist/serialization/codec/decoder.js';
import { encodeValue } from '../dist/serialization/codec/encoder.js';

// The codec walk alone, as msgpackr's pack/unpack are: the MessagePack structure, no file header.
let references = true;
const dumps = (value) => {
  const encoded = encodeValue(value);
  references = encoded.hasReferences;
  return encoded.structure;
};
const loads = (bytes) => decodeValue(bytes, null, references);

const [op, codec, flag, count] = process.argv.slice(2);
const repeat = flag === '--repeat' ? Number(count) : 1;
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 200_000);

const value = Array.from({ length: OBJECTS }, (_, i) => ({
  id: i,
  name: `name-${i}`,
  score: Math.round(Math.random() * 1e4) / 100,
}));
const { encode, decode } = await (codec === 'ours' ? { encode: dumps, decode: loads } : msgpackr(codec));
const bytes = op === 'decode' ? Buffer.from(encode(value)) : undefined;

const runs = [];
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  const out = op === 'encode' ? encode(value) : decode(bytes);
  const seconds = (performance.now() - t0) / 1000;
  runs.push({ seconds, bytes: op === 'encode' ? out.byteLength : bytes.byteLength });
}
console.log(JSON.stringify({ runs }));

/** msgpackr from this project's devDependencies, or from BENCH_MSGPACKR (a path to its index.js). */
async function msgpackr(which) {
  const { Packr, pack, unpack } = await import(process.env.BENCH_MSGPACKR ?? 'msgpackr');
  if (which === 'msgpackr') return { encode: pack, decode: unpack };
  const packr = new Packr({ structuredClone: true });
  return { encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) };
}
