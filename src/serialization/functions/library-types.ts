// The library's own registered types, and the module whose top level registers each. A worker
// imports its own copy of that module (resolved against this file), whichever copy of the
// library the parent runs: in a bundled app the parent's copy lives inside the bundle, which
// workers cannot import. This table is the only place the serialization layer names a module
// above it, and only as a path imported at run time by workers (never statically).

/** Library type name → module that registers it, relative to this file. */
export const LIBRARY_TYPES: Readonly<Record<string, string>> = {
  'joblib-ts/MemorizedResult': '../../memory/memorized-result.js',
};
