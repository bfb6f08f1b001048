// A Memory location opened to be administered (the `joblib-ts cache` commands). Only a folder
// holding the marker Memory writes at the root of every location is accepted, so nothing
// outside a real cache is ever listed or removed. Pruning applies Memory.reduceSize's rule
// (the same plan, optionally without removing anything); clearing removes function folders,
// or everything as Memory.clear() does, keeping the location marked.

import fs from 'node:fs';
import path from 'node:path';
import { CacheLocationError } from '../errors.js';
import { CacheEntries, LOCATION_MARKER } from './cache-entries.js';
import { type CachedFunction, type CacheItem, cacheItemOf, listFunctions } from './cache-listing.js';
import { type Program, runSync } from './cache-program.js';
import { type SizeLimits, sizeLimitsInBytes } from './memory.js';
import { registerBuiltinStores } from './stores/builtins.js';
import { createStore } from './stores/store.js';

/** What a prune removed (or, dry, would remove) and kept, each least recently used first. */
export interface Pruning {
  readonly removed: readonly CacheItem[];
  readonly kept: readonly CacheItem[];
}

/** The nearest folder above `dir` that is a cache location, if any (for a message). */
function enclosingLocation(dir: string): string | undefined {
  for (let folder = path.dirname(dir); folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (fs.existsSync(path.join(folder, LOCATION_MARKER))) return folder;
  }
  return undefined;
}

/** A local Memory location, checked to be one. */
export class CacheLocation {
  private constructor(
    /** The folder, as given. */
    readonly location: string,
    private readonly entries: CacheEntries,
  ) {}

  /**
   * Opens the folder `dir` (a `new Memory(dir)` location on the local store).
   *
   * @throws CacheLocationError when `dir` is missing, not a folder, or holds no marker of a
   *   Memory having written there.
   */
  static open(dir: string): CacheLocation {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch (error) {
      throw new CacheLocationError(`${dir} cannot be read as a cache location: ${(error as Error).message}.`, dir);
    }
    if (!stat.isDirectory()) throw new CacheLocationError(`${dir} is not a folder, so not a joblib-ts cache location.`, dir);
    registerBuiltinStores();
    const location = new CacheLocation(dir, new CacheEntries(createStore('local', dir, {}), 'local', false));
    if (!location.run(location.entries.isCacheLocation())) {
      const above = enclosingLocation(path.resolve(dir));
      const advice = above === undefined
        ? 'Give the folder passed to new Memory(folder).'
        : `It is inside the cache location ${above}: give that folder.`;
      throw new CacheLocationError(
        `${dir} is not a joblib-ts cache location: it has no ${LOCATION_MARKER} file, which Memory writes at the root of ` +
          `every location it stores results in. Nothing was changed. ${advice}`,
        dir,
      );
    }
    return location;
  }

  /** The cached functions, sorted by module and name, each with its entries most recently used first. */
  functions(): CachedFunction[] {
    return this.run(listFunctions(this.entries));
  }

  /**
   * The cached functions `selector` names: `name` (in any module) or `module/name`.
   * Empty when none matches.
   */
  find(selector: string, functions: readonly CachedFunction[] = this.functions()): CachedFunction[] {
    return functions.filter((f) => f.functionName === selector || `${f.module}/${f.functionName}` === selector);
  }

  /**
   * Removes entries as `Memory.reduceSize(limits)` does: those unused for longer than
   * `ageLimit`, then the least recently used until the limits hold. With `dryRun`, removes
   * nothing and says what it would remove.
   *
   * @throws InvalidOptionError for limits `reduceSize` refuses.
   */
  prune(limits: SizeLimits, { dryRun = false }: { dryRun?: boolean } = {}): Pruning {
    const resolved = sizeLimitsInBytes(limits);
    const plan = this.run(dryRun ? this.entries.planReduction(resolved) : this.entries.reduce(resolved));
    return { removed: plan.removed.map(cacheItemOf), kept: plan.kept.map(cacheItemOf) };
  }

  /** Removes these functions' folders: their entries and their stored code. */
  clear(functions: readonly CachedFunction[]): void {
    const { entries } = this;
    this.run((function* (): Program<void> {
      for (const f of functions) yield* entries.removeFolder(f.folder);
    })());
  }

  /** Removes everything in the location, as `Memory.clear()` does, and marks it again as a cache location. */
  clearAll(): void {
    const { entries } = this;
    this.run((function* (): Program<void> {
      yield* entries.clearAll();
      yield* entries.markLocation();
    })());
  }

  private run<T>(program: Program<T>): T {
    // The local store has sync primitives, and no step of these programs returns a promise.
    return runSync(program, this.entries.syncIO(), () => this.entries.asyncIO()) as T;
  }
}
