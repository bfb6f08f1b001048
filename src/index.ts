// The public surface of joblib-ts: re-exports only.

/**
 * joblib's tools for Node.js: {@link Parallel} and {@link delayed} fan calls out to worker
 * processes or threads, {@link dump} and {@link load} persist any value (typed arrays without
 * copies), {@link Memory} caches function results on disk, {@link hash} hashes any value.
 *
 * @example
 * import { Parallel, delayed, dump, load, Memory } from 'joblib-ts';
 * const roots = await Parallel({ nJobs: 2 })([1, 4, 9].map((x) => delayed(Math.sqrt)(x)));
 * await dump({ weights: new Float64Array(1000) }, 'model.lz4');
 * const costly = new Memory('./cachedir').cache(function costly(n: number) { return n ** 2; });
 * @module joblib-ts
 */

export {
  BackendUnavailableError,
  CacheEntryError,
  CompressorUnavailableError,
  DumpError,
  FormatError,
  FrameTooLargeError,
  FunctionReferenceError,
  InvalidOptionError,
  JoblibError,
  type JoblibErrorCode,
  NoWorkersError,
  ParallelBusyError,
  RemoteTaskError,
  SerializationError,
  ShutdownExecutorError,
  TaskTimeoutError,
  TempFolderError,
  TerminatedWorkerError,
  TypeReferenceError,
  UnregisteredTypeError,
} from './errors.js';
export type { JoblibWarningCode, JoblibWarningType } from './warnings.js';
export { type DumpOptions, type DumpTarget, dump, dumpSync } from './persistence/dump.js';
export { type LoadOptions, type LoadSource, load, loadSync } from './persistence/load.js';
export type { CompressorSpec } from './serialization/compression/compressor.js';
export { type CompressOption, registerCompressor } from './serialization/compression/registry.js';
export { hash } from './serialization/hash.js';
export { registerType, type TypeCodec } from './serialization/codec/type-registry.js';
export { cpuCount } from './parallel/cpu-count.js';
export { type DelayedTask, delayed, type TaskFunction } from './parallel/delayed.js';
export { Parallel, type ParallelResult, type ParallelRunner } from './parallel/parallel.js';
export type { ParallelConfig, ParallelOptions, ReturnAs } from './parallel/options.js';
export type { ProgressEvent } from './parallel/progress.js';
export { activeParallelConfig, parallelConfig } from './parallel/config.js';
export {
  type BackendCapabilities,
  type BackendSettings,
  type BatchOutcome,
  type ParallelBackend,
  type ParallelBackendFactory,
  registerParallelBackend,
  type TaskBatch,
} from './parallel/backends/backend.js';
export {
  Executor,
  type ExecutorOptions,
  getReusableExecutor,
} from './parallel/backends/process/executor.js';
export { shipByReference, shipBySource } from './serialization/functions/function-ref.js';
export {
  type CacheOptions,
  type Duration,
  expiresAfter,
  Memory,
  type MemoryOptions,
  type SizeLimits,
} from './memory/memory.js';
export type { CacheMetadata, CallOutcome, MemorizedFunc } from './memory/memorized-func.js';
export { MemorizedResult, type ShelvedResult } from './memory/memorized-result.js';
export { registerStoreBackend, type StoreBackend, type StoreFactory, type StoreItem } from './memory/stores/store.js';
