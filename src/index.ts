// The public surface of joblib-ts: re-exports only.

export {
  DumpError,
  FormatError,
  FunctionReferenceError,
  InvalidOptionError,
  JoblibError,
  ParallelBusyError,
  RemoteTaskError,
  SerializationError,
  ShutdownExecutorError,
  TaskTimeoutError,
  TerminatedWorkerError,
  UnregisteredTypeError,
} from './errors.js';
export { type DumpOptions, type DumpTarget, dump, dumpSync } from './persistence/dump.js';
export { type LoadSource, load, loadSync } from './persistence/load.js';
export { type CompressOption, type CompressorSpec, registerCompressor } from './serialization/compressors.js';
export { hash } from './serialization/hash.js';
export { registerType, type TypeCodec } from './serialization/type-registry.js';
export { cpuCount } from './parallel/cpu-count.js';
export { type DelayedTask, delayed, type TaskFunction } from './parallel/delayed.js';
export {
  Parallel,
  type ParallelOptions,
  type ParallelResult,
  type ParallelRunner,
  type ReturnAs,
} from './parallel/parallel.js';
export type { ProgressEvent } from './parallel/progress.js';
export {
  Executor,
  type ExecutorOptions,
  getReusableExecutor,
} from './parallel/backends/process/reusable-executor.js';
export { shipByReference, shipBySource } from './serialization/function-ref.js';
