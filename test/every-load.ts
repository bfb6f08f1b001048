// A file loaded every way `load` takes one, for tests that the ways agree.
import fs from 'node:fs';
import { load, loadSync } from '../src/index.js';

/** The value of `file` loaded from its bytes, from its path (async and sync) and from a FileHandle. */
export async function loadedEveryWay(file: string): Promise<unknown[]> {
  const values = [await load(fs.readFileSync(file)), await load(file), loadSync(file)];
  const handle = await fs.promises.open(file);
  try {
    values.push(await load(handle));
  } finally {
    await handle.close();
  }
  return values;
}
