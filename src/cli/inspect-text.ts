// `joblib-ts inspect` as text: a few lines on the file, the wrapper and the container, the
// structure as an indented tree (`.weights  Float64Array(25000000)  200.0 MB (block @0)`),
// then counts by type and the largest blocks.

import type { StreamLevel } from '../serialization/compression/compressor.js';
import type { StructureNode, StructureSummary } from '../serialization/codec/structure-summary.js';
import { formatBytes, plural } from './units.js';

/**
 * What `joblib-ts inspect --json` prints: one JSON document. Its field names are stable; new
 * fields may be added.
 */
export interface InspectReport {
  /** The path given. */
  readonly file: string;
  /** How the container is stored in the file. */
  readonly wrapper: {
    /** `'none'`, `'zlib'`, `'gzip'`, `'lz4'`, `'zstd'` or a registered compressor's name (from the magic number). */
    readonly method: string;
    /** What the stream's header says of its compression level (zlib FLEVEL, gzip XFL); null when nothing. */
    readonly level: StreamLevel | null;
    readonly fileBytes: number;
    /** The container's size, uncompressed. */
    readonly containerBytes: number;
    /** `containerBytes / fileBytes`. */
    readonly ratio: number;
    /** Whether the compression stream's own checksum covered the whole container. */
    readonly streamVerified: boolean;
  };
  /** The container header (FORMAT.md, "Container"). */
  readonly container: {
    readonly version: number;
    readonly flags: number;
    /** Flag bit 0: the structure holds references. */
    readonly hasReferences: boolean;
    /** The writer's tag, 16 hex digits; null when zero (unused). */
    readonly tag: string | null;
    readonly headerBytes: number;
    readonly structureLength: number;
    readonly dataOffset: number;
    readonly dataLength: number;
    /** The XXH3-64 checksums the header records, 16 hex digits. */
    readonly structureChecksum: string;
    readonly dataChecksum: string;
    /** Whether both were computed and matched (false with --no-verify; a mismatch is an error). */
    readonly checksumsVerified: boolean;
  };
  /** The structure: a tree to `depth` levels below the root, type counts and the largest blocks. */
  readonly structure: StructureSummary & { readonly depth: number; readonly maxChildren: number };
}

const LABEL_WIDTH = 11;
const line = (label: string, text: string): string => `${label.padEnd(LABEL_WIDTH)} ${text}\n`;

/** Built-in methods whose frames never record a level, and what their frames are called. */
const FRAMES_WITHOUT_LEVEL: Readonly<Record<string, string>> = { lz4: 'LZ4 frames', zstd: 'zstd frames' };

function wrapperText({ wrapper }: InspectReport): string {
  if (wrapper.method === 'none') return 'none (uncompressed)';
  const { level } = wrapper;
  let levelText: string;
  if (level === null) {
    const frames = FRAMES_WITHOUT_LEVEL[wrapper.method];
    levelText = frames ? `no level recorded (${frames} carry none)` : 'no level recorded';
  } else {
    const [low, high] = level.levels ?? [null, null];
    const range = low === null ? 'level unknown' : low === high ? `level ${low}` : `level ${low}–${high}`;
    levelText = `${range} (${level.field} ${level.value}: ${level.meaning})`;
  }
  return `${wrapper.method}, ${levelText}; ${formatBytes(wrapper.containerBytes)} uncompressed, ratio ${wrapper.ratio.toFixed(2)}`;
}

function headerLines(report: InspectReport): string {
  const { wrapper, container } = report;
  const flags = `flags 0x${container.flags.toString(16).padStart(4, '0')}${container.hasReferences ? ' (references)' : ''}`;
  const checks: string[] = [];
  checks.push(container.checksumsVerified ? 'XXH3 of structure and data verified' : 'XXH3 not verified (--no-verify)');
  if (wrapper.streamVerified) checks.push(`the ${wrapper.method} stream's own checksum verified`);
  return line('file', `${report.file}, ${formatBytes(wrapper.fileBytes)}`) +
    line('wrapper', wrapperText(report)) +
    line('container', `format ${container.version}, ${flags}${container.tag === null ? '' : `, tag ${container.tag}`}`) +
    line('', `structure ${formatBytes(container.structureLength)} at byte ${container.headerBytes}, ` +
      `data section ${formatBytes(container.dataLength)} at byte ${container.dataOffset}`) +
    line('checksums', checks.join('; '));
}

/** What a node is, after its key: `Object {4 keys}`, `Float64Array(1000) 8.0 kB (block @0)`, `number 3`. */
function describe(node: StructureNode): string {
  switch (node.kind) {
    case 'object':
      return `Object {${plural(node.size!, 'key')}}`;
    case 'nullProtoObject':
      return `Object (null prototype) {${plural(node.size!, 'key')}}`;
    case 'array':
      return `Array(${node.size})`;
    case 'sparseArray':
      return `Array(${node.size}) sparse, ${node.present} present`;
    case 'map':
    case 'set':
      return `${node.type}(${node.size})`;
    case 'binary': {
      const where = node.storage === 'block' ? `block @${node.blockOffset}` : 'inline';
      const length = node.elementType === 'arraybuffer' || node.elementType === 'sharedarraybuffer' ? '' : `(${node.length})`;
      return `${node.type}${length}  ${formatBytes(node.byteLength!)} (${where})`;
    }
    case 'error':
      return `Error ${node.preview}`;
    case 'registered':
      return node.type;
    case 'reference': {
      const target = node.target!;
      return `reference → ${target.path === null ? `#${target.id}` : target.path || '(root)'} (${target.type})`;
    }
    case 'string':
      return `string ${node.preview}${node.byteLength! > 60 ? ` (${formatBytes(node.byteLength!)})` : ''}`;
    case 'null':
    case 'undefined':
      return node.type;
    default:
      return `${node.type} ${node.preview}`;
  }
}

/** The tree, two spaces per level; an object some reference names is marked with its number. */
function treeLines(root: StructureNode): string {
  const targets = new Set<number>();
  const collect = (node: StructureNode): void => {
    if (node.target) targets.add(node.target.id);
    node.children?.forEach(collect);
  };
  collect(root);
  let out = '';
  const walk = (node: StructureNode, indent: string): void => {
    const mark = node.id !== undefined && targets.has(node.id) ? `  #${node.id}` : '';
    out += `${indent}${node.key === '' ? '' : `${node.key}  `}${describe(node)}${mark}\n`;
    node.children?.forEach((child) => walk(child, `${indent}  `));
    if (node.children && node.omitted) out += `${indent}  … ${node.omitted} more\n`;
  };
  walk(root, '');
  return out;
}

/** The whole report as text. */
export function renderInspectReport(report: InspectReport): string {
  const { structure } = report;
  let out = headerLines(report);
  out += line('structure', `${formatBytes(report.container.structureLength)}, ${plural(structure.values, 'value')} ` +
    `(depth ${structure.depth} listed; --depth N for more or less)`);
  out += treeLines(structure.root);
  out += line('types', structure.typeCounts.map(({ type, count }) => `${count} ${type}`).join(', '));
  if (structure.references > 0) out += line('references', String(structure.references));
  out += line('blocks', `${structure.blocks}, ${formatBytes(structure.blockBytes)}`);
  if (structure.largestBlocks.length > 0) {
    out += 'largest blocks\n';
    const sizes = structure.largestBlocks.map((b) => formatBytes(b.byteLength));
    const paths = structure.largestBlocks.map((b) => b.path || '(root)');
    const sizeWidth = Math.max(...sizes.map((s) => s.length));
    const pathWidth = Math.max(...paths.map((p) => p.length));
    structure.largestBlocks.forEach((block, i) => {
      out += `  ${sizes[i]!.padStart(sizeWidth)}  ${paths[i]!.padEnd(pathWidth)}  ${block.type}(${block.length}) @${block.offset}\n`;
    });
  }
  return out;
}
