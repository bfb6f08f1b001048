// Compiled by test/package/package.test.ts against the built package, as a user would import it,
// and by install.test.ts in a project that installed the packed tarball.
import {
  delayed, type DumpOptions, dump, FormatError, getReusableExecutor, hash, load, loadSync, Parallel, registerType,
  TaskTimeoutError, Memory, expiresAfter, type ShelvedResult, type ParallelBackend, type BackendSettings,
  type TaskBatch, type BatchOutcome, registerParallelBackend, parallelConfig, Executor,
} from 'joblib-ts';

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}
registerType(Point, {
  name: 'consumer/Point',
  encode: (p) => [p.x, p.y],
  decode: ([x, y]: number[]) => new Point(x!, y!),
});

const options: DumpOptions = { compress: ['gzip', 6] };
const paths: Promise<string[]> = dump({ a: new Float64Array(3) }, 'x.gz', options);
const model: Promise<{ a: Float64Array }> = load<{ a: Float64Array }>('x.gz');
const unknownByDefault: unknown = loadSync(new Uint8Array(0));
const digest: string = hash([1, 2]);
const code: string = new FormatError('x').code;

export { code, digest, model, paths, unknownByDefault };

// Parallel: results are typed from the function given to delayed (promises awaited).
async function parseRow(line: string, separator = ','): Promise<string[]> {
  return line.split(separator);
}
const roots: Promise<number[]> = Parallel({ nJobs: 2 })([1, 4].map((x) => delayed(Math.sqrt)(x)));
const rows: Promise<string[][]> = Parallel({ nJobs: 2 })(['a,b'].map((l) => delayed(parseRow)(l, ',')));
const stream: AsyncGenerator<string[], void, undefined> = Parallel({ returnAs: 'generatorUnordered' })(
  ['a'].map((l) => delayed(parseRow)(l)));
// @ts-expect-error: parseRow takes a string, not a number
delayed(parseRow)(42);
// Inferred, not only assignable: an `any` would pass the annotated lines above.
type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const inferred = Parallel()(['a,b'].map((l) => delayed(parseRow)(l)));
const inferredExactly: Exactly<typeof inferred, Promise<string[][]>> = true;
const squared: Promise<number> = getReusableExecutor({ maxWorkers: 1 }).submit(Math.sqrt, 9);
const timeoutCode: string = new TaskTimeoutError(0, 10, 'f').code;

export { inferred, inferredExactly, roots, rows, squared, stream, timeoutCode };

// Memory: the calling convention of the cached function is kept in the types.
const memory = new Memory('./cachedir', { compress: 'lz4' });
const costly = memory.cache(function costly(data: Float64Array, column = 0): number {
  return data[column]!;
}, { ignore: ['column'] });
const hitValue: number = costly(new Float64Array(3), 1);
const fetchLength = memory.cache(async (url: string) => url.length, { cacheValidationCallback: expiresAfter({ hours: 1 }) });
const later: Promise<number> = fetchLength('x');
const shelvedLater: Promise<ShelvedResult<number>> = fetchLength.callAndShelve('x');
const inCache: boolean = costly.checkCallInCache(new Float64Array(3));
// @ts-expect-error: costly takes a Float64Array
costly('not an array');

export { hitValue, inCache, later, shelvedLater };

// Backends and configuration: a user's backend implements the public interface.
class InlineBackend implements ParallelBackend {
  readonly name = 'InlineBackend';
  readonly capabilities = { autoBatching: false, timeout: false, sharedMemory: true };
  constructor(readonly settings: BackendSettings) {}
  effectiveNJobs(): number {
    return 1;
  }

  nestedBackend(): string {
    return 'sequential';
  }

  async prepare(): Promise<void> {}
  submit(batch: TaskBatch, done: (outcome: BatchOutcome) => void): void {
    done({ ok: true, results: batch.tasks.map(({ fn, args }) => (fn as (...a: unknown[]) => unknown)(...args)) });
  }

  abort(): void {}
}
registerParallelBackend('inline', (settings) => new InlineBackend(settings), { makeDefault: false });
const configured: Promise<number[]> = parallelConfig({ backend: 'threads', nJobs: 2, maxNbytes: '10M' },
  () => Parallel()([delayed(Math.abs)(-1)]));
// @ts-expect-error: prefer is 'processes' or 'threads'
parallelConfig({ prefer: 'gpu' }, () => 1);
const shared = Parallel({ require: 'sharedmem', maxNbytes: null, tempFolder: '/dev/shm', initializer: () => undefined });
// A backend object as it is, and parameters for a registered backend's factory.
const onInstance: Promise<number[]> = Parallel({ backend: new InlineBackend({} as BackendSettings) })([delayed(Math.abs)(-2)]);
const withParams = parallelConfig({ backend: 'inline', backendParams: { endpoint: 'tcp://queue:7000' } }, () => Parallel());
const endpoint: unknown = ({} as BackendSettings).backendParams.endpoint;
// A process pool of one's own (loky's ProcessPoolExecutor).
const own: Promise<number[]> = new Executor({ maxWorkers: 2, idleTimeout: Infinity }).map(Math.sqrt, [4, 9]);

export { configured, endpoint, onInstance, own, shared, withParams };
