// The built-in store backends: 'local' (a folder). Registered by a call that Memory makes,
// never by importing a file: `"sideEffects": false` lets a bundler drop such an import.

import { FileSystemStore } from './filesystem.js';
import { isStoreRegistered, registerStoreBackend } from './store.js';

let registered = false;

/** Registers the built-in stores, once per process; a name a user registered first keeps the user's store. */
export function registerBuiltinStores(): void {
  if (registered) return;
  registered = true;
  if (!isStoreRegistered('local')) registerStoreBackend('local', (location) => new FileSystemStore(location));
}
