// The default store: entries are folders under a local directory. Outputs are written with
// `dump` (temporary file, then rename), metadata likewise; an access is recorded by setting the
// times of metadata.json explicitly (atime alone is unreliable: noatime, relatime mounts).

import {
  mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync,
} from 'node:fs';
import { join, sep } from 'node:path';
import { dump, dumpSync } from '../../persistence/dump.js';
import { writeFileAtomicSync } from '../../persistence/atomic-file.js';
import { load, loadSync } from '../../persistence/load.js';
import type { CompressOption } from '../../serialization/compressors.js';
import type { StoreBackend, StoreItem } from './store.js';

const METADATA = 'metadata.json';

export class FileSystemStore implements StoreBackend {
  /** Nothing is created until the first entry is written. */
  private readonly prefix: string;

  constructor(readonly location: string) {
    this.prefix = location.endsWith(sep) ? location : location + sep;
  }

  /** Segments are names Memory made (module, function, key, file): concatenation is enough (join costs ~2 µs a hit). */
  private resolve(path: readonly string[]): string {
    return path.length === 0 ? this.location : this.prefix + path.join(sep);
  }

  itemExists(path: readonly string[]): boolean {
    try {
      statSync(this.resolve(path));
      return true;
    } catch {
      return false;
    }
  }

  dumpItem(path: readonly string[], value: unknown, compress: CompressOption): number {
    const file = this.resolve(path);
    mkdirSync(join(file, '..'), { recursive: true });
    dumpSync(value, file, { compress });
    return statSync(file).size;
  }

  async dumpItemAsync(path: readonly string[], value: unknown, compress: CompressOption): Promise<number> {
    const file = this.resolve(path);
    mkdirSync(join(file, '..'), { recursive: true });
    await dump(value, file, { compress });
    return statSync(file).size;
  }

  loadItem(path: readonly string[]): unknown {
    return loadSync(this.resolve(path));
  }

  loadItemAsync(path: readonly string[]): Promise<unknown> {
    return load(this.resolve(path));
  }

  readText(path: readonly string[]): string | undefined {
    try {
      return readFileSync(this.resolve(path), 'utf8');
    } catch {
      return undefined;
    }
  }

  writeText(path: readonly string[], text: string): void {
    const file = this.resolve(path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileAtomicSync(file, [Buffer.from(text)]);
  }

  touchItem(path: readonly string[]): void {
    try {
      const now = new Date();
      utimesSync(join(this.resolve(path), METADATA), now, now);
    } catch {
      // Evicted or cleared meanwhile: nothing to record.
    }
  }

  moveItem(from: readonly string[], to: readonly string[]): void {
    const target = this.resolve(to);
    mkdirSync(join(target, '..'), { recursive: true });
    renameSync(this.resolve(from), target);
  }

  removeItem(path: readonly string[]): void {
    rmSync(this.resolve(path), { recursive: true, force: true });
  }

  listItems(): StoreItem[] {
    const items: StoreItem[] = [];
    const walk = (segments: string[], depth: number): void => {
      let entries;
      try {
        entries = readdirSync(this.resolve(segments), { withFileTypes: true });
      } catch {
        return;
      }
      if (entries.some((e) => e.isFile() && e.name === METADATA)) {
        let size = 0;
        for (const entry of entries) {
          try {
            if (entry.isFile()) size += statSync(join(this.resolve(segments), entry.name)).size;
          } catch {
            // removed while we looked
          }
        }
        try {
          const meta = statSync(join(this.resolve(segments), METADATA));
          items.push({ path: segments, sizeBytes: size, lastAccessMs: Math.max(meta.atimeMs, meta.mtimeMs) });
        } catch {
          // removed while we looked
        }
        return;
      }
      if (depth >= 4) return;
      for (const entry of entries) if (entry.isDirectory()) walk([...segments, entry.name], depth + 1);
    };
    walk([], 0);
    return items;
  }
}
