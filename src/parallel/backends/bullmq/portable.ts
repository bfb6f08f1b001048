// Function and type references that mean the same code on another machine. A local reference
// names a module by its absolute `file:` URL; across machines it names it relative to the
// project's root (the folder of the nearest package.json) with a hash of the file, or as a
// file of an installed package with its version, so that a worker with a different version of
// the code fails with a named error instead of running other code silently.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { xxh3 } from '@node-rs/xxhash';
import { FunctionReferenceError } from '../../../errors.js';
import type { FunctionRef } from '../../../serialization/functions/function-ref.js';
import type { TypeRef } from '../../../serialization/functions/type-ref.js';

const PROJECT = 'joblib-root:';
const PACKAGE = 'joblib-pkg:';

/** A reference with every module location made portable (or, on a worker, local again). */
type MapUrl = (url: string) => string;

/** `ref` with its module URLs made portable (in the caller). */
export function portableFunctionRef(ref: FunctionRef): FunctionRef {
  return mapFunctionRef(ref, toPortableUrl);
}

/** `ref` with its module URLs resolved on this machine, against `root` (on a worker). */
export function localFunctionRef(ref: FunctionRef, root: string): FunctionRef {
  return mapFunctionRef(ref, (url) => toLocalUrl(url, root, ref.name));
}

export function portableTypeRef(ref: TypeRef): TypeRef {
  return mapTypeRef(ref, toPortableUrl);
}

export function localTypeRef(ref: TypeRef, root: string): TypeRef {
  return mapTypeRef(ref, (url) => toLocalUrl(url, root, ref.name));
}

function mapFunctionRef(ref: FunctionRef, map: MapUrl): FunctionRef {
  if (ref.kind === 'module') return { ...ref, url: map(ref.url) };
  if (ref.kind === 'source') return { ...ref, baseUrl: map(ref.baseUrl) };
  return ref;
}

function mapTypeRef(ref: TypeRef, map: MapUrl): TypeRef {
  if (ref.kind === 'module') return { ...ref, url: map(ref.url) };
  if (ref.kind === 'source') return { ...ref, baseUrl: map(ref.baseUrl) };
  return ref;
}

const portableUrls = new Map<string, string>();

/** A `file:` URL as `joblib-root:<path from the project root>#<hash>` or `joblib-pkg:<name>@<version>/<path>`. */
function toPortableUrl(url: string): string {
  if (!url.startsWith('file:')) return url; // node: built-ins, eval and stdin code travel as they are
  let portable = portableUrls.get(url);
  if (portable) return portable;
  const file = fileURLToPath(url);
  const manifest = nearestManifest(dirname(file));
  if (manifest && manifest.dir.split(sep).includes('node_modules')) {
    const path = relative(manifest.dir, file).split(sep).join('/');
    portable = `${PACKAGE}${manifest.name}@${manifest.version}/${path}`;
  } else {
    const root = manifest?.dir ?? process.cwd();
    portable = `${PROJECT}${relative(root, file).split(sep).join('/')}#${fileHash(file)}`;
  }
  portableUrls.set(url, portable);
  return portable;
}

/** A portable URL as a `file:` URL on this machine; the file must be the one the caller ran. */
function toLocalUrl(url: string, root: string, what: string): string {
  if (url.startsWith(PROJECT)) {
    const [path, hash] = url.slice(PROJECT.length).split('#') as [string, string | undefined];
    const file = join(root, ...path.split('/'));
    let local: string;
    try {
      local = fileHash(file);
    } catch (error) {
      throw new FunctionReferenceError(what, `${what} is defined in ${path} of the caller's project, which this ` +
        `worker does not have under its root ${root}. Deploy the same code on every worker machine, or start the ` +
        'worker with --root pointing at the project.', [], { cause: error });
    }
    if (hash !== undefined && local !== hash) {
      throw new FunctionReferenceError(what, `${what} is defined in ${path}, which differs on this worker (root ` +
        `${root}; hash ${local}) from the caller's (hash ${hash}): the worker would run other code. Deploy the same ` +
        'version on every machine and restart the worker.');
    }
    return pathToFileURL(file).href;
  }
  if (url.startsWith(PACKAGE)) {
    const spec = url.slice(PACKAGE.length);
    const at = spec.indexOf('@', 1);
    const slash = spec.indexOf('/', at);
    const name = spec.slice(0, at);
    const version = spec.slice(at + 1, slash);
    const path = spec.slice(slash + 1);
    let manifestFile: string;
    try {
      manifestFile = createRequire(join(root, 'index.js')).resolve(`${name}/package.json`);
    } catch (error) {
      throw new FunctionReferenceError(what, `${what} comes from the package ${name}@${version}, which is not ` +
        `installed under this worker's root ${root}. Install the same dependencies on every worker machine.`, [],
      { cause: error });
    }
    const installed = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { version?: string }).version;
    if (installed !== version) {
      throw new FunctionReferenceError(what, `${what} comes from ${name}@${version} on the caller, but this worker ` +
        `has ${name}@${installed}: the worker would run other code. Install the same versions on every machine.`);
    }
    return pathToFileURL(join(dirname(manifestFile), ...path.split('/'))).href;
  }
  return url;
}

const hashes = new Map<string, string>();

function fileHash(file: string): string {
  let hash = hashes.get(file);
  if (!hash) {
    hash = xxh3.xxh128(readFileSync(file)).toString(16).padStart(32, '0');
    hashes.set(file, hash);
  }
  return hash;
}

function nearestManifest(start: string): { dir: string; name: string; version: string } | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      return { dir, name: manifest.name ?? '', version: manifest.version ?? '' };
    } catch {
      // no (readable) package.json here
    }
    if (dirname(dir) === dir) return undefined;
  }
}
