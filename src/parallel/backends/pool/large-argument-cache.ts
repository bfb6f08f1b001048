// Large arguments kept across Parallel calls, as joblib names its memmaps by content and never
// writes one twice. For processes, a file per distinct content (XXH3 hash and length): a later
// call with equal bytes reuses it, and the workers their copies of it. Bytes are hashed only
// when a kept file has their length (only then can they be a duplicate): the first call of a
// process writes without hashing, and a file's own key is read from it when first needed. For
// threads, the SharedArrayBuffer copy of a plain array: a later call given the same array reuses
// it if the array still holds the copy's bytes (compared in full: faster than hashing here, and
// exact). An array changed in place between calls (an iteration's weights) supersedes what it
// crossed in before: that is dropped at once, so memory is recycled rather than piled up. The
// rest no running call uses is bounded by JOBLIB_TS_LARGE_ARGUMENT_CACHE bytes (least recently
// used dropped first), dropped after EXPIRY_MS unused, and removed at exit (temp-files.ts).

import { contentKey, contentKeyOfFile, largeArgumentCacheBytes } from '../wire/large-argument-files.js';
import { chooseFolder, isLiveTempFile, removeTempFile, writeTempFile } from './temp-files.js';

/** Kept arguments unused this long are dropped (loky's idle workers exit after as long). */
const EXPIRY_MS = 300_000;

/** One kept large argument: in use by `pins` running calls; droppable when none. */
abstract class Kept {
  pins = 0;
  lastUsed = 0;
  /** The array it came from crossed with other bytes since: dropped once no call uses it. */
  superseded = false;
  constructor(readonly size: number) {}
  /** Forgets it: later calls make it again. */
  abstract drop(): void;
}

/** A file holding a large argument. */
export class KeptFile extends Kept {
  /**
   * @param group its folder asked for and length: the key of the kept files it could equal
   * @param key its content key, if computed already
   */
  constructor(private readonly group: string, readonly path: string, size: number, private key: string | undefined) {
    super(size);
    let sameLength = files.get(group);
    if (!sameLength) {
      sameLength = new Set();
      files.set(group, sameLength);
    }
    sameLength.add(this);
  }

  /** Its content key: computed from the file the first time it is needed. */
  contentKey(): string {
    return this.key ??= contentKeyOfFile(this.path);
  }

  drop(): void {
    const sameLength = files.get(this.group);
    if (sameLength?.delete(this) && sameLength.size === 0) files.delete(this.group);
    removeTempFile(this.path);
    for (const listener of removalListeners) listener([this.path]);
  }
}

/** A SharedArrayBuffer copy of a region of a plain ArrayBuffer. */
export class KeptCopy extends Kept {
  constructor(private readonly source: WeakRef<ArrayBufferLike>, private readonly region: string,
    readonly copy: SharedArrayBuffer) {
    super(copy.byteLength);
  }

  drop(): void {
    finalization.unregister(this);
    const source = this.source.deref();
    const regions = source && lastCrossing.get(source);
    if (regions?.get(this.region) === this) regions.delete(this.region);
  }
}

/** Kept files by the folder asked for and length: only bytes of the same length can be one of them. */
const files = new Map<string, Set<KeptFile>>();
/** Per array (its buffer), per region of it: what it crossed in last. Finds a thread's copy again. */
const lastCrossing = new WeakMap<ArrayBufferLike, Map<string, Kept>>();
/** Every kept argument, least recently used first. */
const recency = new Set<Kept>();
let keptBytes = 0;
let expiryTimer: NodeJS.Timeout | undefined;
const removalListeners = new Set<(paths: readonly string[]) => void>();
/** A copy whose source array was collected can never be reused. */
const finalization = new FinalizationRegistry<KeptCopy>((kept) => {
  if (kept.pins === 0) forget(kept);
});

/**
 * Calls `listener` with the paths of kept files that are removed (so that pools tell their
 * workers to drop their copies). Returns a function that stops it.
 */
export function onKeptFilesRemoved(listener: (paths: readonly string[]) => void): () => void {
  removalListeners.add(listener);
  return () => removalListeners.delete(listener);
}

/**
 * The file holding `bytes` (region `region` of their buffer) for worker processes, for one call
 * (`release` it when the call ends): the kept one if a file with these bytes exists for
 * `tempFolder`, else a new one. Throws TempFolderError when it cannot be written, and
 * InvalidOptionError when JOBLIB_TS_LARGE_ARGUMENT_CACHE is not a size.
 */
export function acquireFile(bytes: Uint8Array, region: string, tempFolder: string | undefined): KeptFile {
  largeArgumentCacheBytes(); // a wrong JOBLIB_TS_LARGE_ARGUMENT_CACHE fails the call before anything is written
  // By the folder asked for, not the one chosen: a file stays valid when /dev/shm fills up.
  const group = `${tempFolder ?? process.env.JOBLIB_TEMP_FOLDER ?? ''}\0${bytes.byteLength}`;
  let kept: KeptFile | undefined;
  let key: string | undefined;
  for (const candidate of files.get(group) ?? []) {
    key ??= contentKey(bytes);
    if (keyOf(candidate) === key) {
      kept = candidate;
      break;
    }
  }
  if (!kept) {
    const path = writeTempFile(bytes, chooseFolder(bytes.byteLength, tempFolder));
    kept = add(new KeptFile(group, path, bytes.byteLength, key));
  }
  crossed(bytes.buffer, region, kept);
  return pin(kept);
}

/** A kept file's content key; undefined (and the file forgotten) when it is gone (a signal's cleanup). */
function keyOf(kept: KeptFile): string | undefined {
  try {
    if (isLiveTempFile(kept.path)) return kept.contentKey();
  } catch {
    // removed by someone else
  }
  forget(kept);
  return undefined;
}

/**
 * A SharedArrayBuffer holding `bytes` (region `region` of their buffer), for one call (`release`
 * it when the call ends): the kept copy if `bytes` still equal it, else a new copy. The old one
 * is not overwritten: results of earlier calls may view it. Throws InvalidOptionError when
 * JOBLIB_TS_LARGE_ARGUMENT_CACHE is not a size.
 */
export function acquireCopy(bytes: Uint8Array, region: string): KeptCopy {
  largeArgumentCacheBytes();
  const known = lastCrossing.get(bytes.buffer)?.get(region);
  if (known instanceof KeptCopy && Buffer.compare(bytes, new Uint8Array(known.copy)) === 0) return pin(known);
  // Changed, by the caller or by a task writing into the copy.
  const copy = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  const kept = add(new KeptCopy(new WeakRef(bytes.buffer), region, copy));
  finalization.register(bytes.buffer, kept, kept);
  crossed(bytes.buffer, region, kept);
  return pin(kept);
}

/** Region `region` of `source` crosses in `kept`: what it crossed in before, if other, is superseded. */
function crossed(source: ArrayBufferLike, region: string, kept: Kept): void {
  let regions = lastCrossing.get(source);
  if (!regions) {
    regions = new Map();
    lastCrossing.set(source, regions);
  }
  const before = regions.get(region);
  regions.set(region, kept);
  if (!before || before === kept) return;
  before.superseded = true;
  if (before.pins === 0) forget(before); // else when the call using it releases it
}

function add<T extends Kept>(kept: T): T {
  keptBytes += kept.size;
  recency.add(kept);
  return kept;
}

function pin<T extends Kept>(kept: T): T {
  kept.pins += 1;
  kept.superseded = false; // wanted again
  recency.delete(kept);
  recency.add(kept);
  return kept;
}

/**
 * A call is done with `kept`: dropped if its array crossed with other bytes since, and past the
 * budget, the least recently used of those no call uses are dropped.
 */
export function release(kept: Kept): void {
  kept.pins -= 1;
  kept.lastUsed = performance.now();
  if (kept.pins === 0 && kept.superseded) forget(kept);
  trim(largeArgumentCacheBytes());
}

function trim(limit: number): void {
  for (const kept of recency) {
    if (keptBytes <= limit) break;
    if (kept.pins === 0) forget(kept);
  }
  if (!expiryTimer && recency.size > 0) armExpiry();
}

function forget(kept: Kept): void {
  if (!recency.delete(kept)) return;
  keptBytes -= kept.size;
  kept.drop();
}

function armExpiry(): void {
  expiryTimer = setTimeout(() => {
    expiryTimer = undefined;
    const now = performance.now();
    for (const kept of recency) if (kept.pins === 0 && now - kept.lastUsed >= EXPIRY_MS) forget(kept);
    if (recency.size > 0) armExpiry();
  }, EXPIRY_MS);
  expiryTimer.unref();
}
