// Every public error class of joblib-ts. Each has a stable `code` a program can switch on,
// a message that says what happened and what to do, and the underlying error as `cause`.

// `name` and `code` are string literals written here (undici's way), never read from
// `constructor.name`: a minifier renames classes, and `error.name === 'c'` helps nobody.
// Each TSDoc ends with `@category Errors` (the API reference's grouping), inline to keep this file short.

/** Every `code` a JoblibError can carry: switch on these, not on messages. @category Errors */
export type JoblibErrorCode =
  | 'ERR_JOBLIB_SERIALIZATION'
  | 'ERR_JOBLIB_FORMAT'
  | 'ERR_JOBLIB_UNREGISTERED_TYPE'
  | 'ERR_JOBLIB_INVALID_OPTION'
  | 'ERR_JOBLIB_DUMP'
  | 'ERR_JOBLIB_FUNCTION_REFERENCE'
  | 'ERR_JOBLIB_TYPE_REFERENCE'
  | 'ERR_JOBLIB_TERMINATED_WORKER'
  | 'ERR_JOBLIB_TASK_TIMEOUT'
  | 'ERR_JOBLIB_REMOTE_TASK'
  | 'ERR_JOBLIB_EXECUTOR_SHUTDOWN'
  | 'ERR_JOBLIB_PARALLEL_BUSY'
  | 'ERR_JOBLIB_CACHE_ENTRY'
  | 'ERR_JOBLIB_CACHE_LOCATION'
  | 'ERR_JOBLIB_USAGE'
  | 'ERR_JOBLIB_TEMP_FOLDER'
  | 'ERR_JOBLIB_FRAME_TOO_LARGE'
  | 'ERR_JOBLIB_BACKEND_UNAVAILABLE'
  | 'ERR_JOBLIB_NO_WORKERS'
  | 'ERR_JOBLIB_COMPRESSOR_UNAVAILABLE';

/** Base class of every error joblib-ts raises on purpose. @category Errors */
export class JoblibError extends Error {
  /** A stable, machine-readable identifier of the failure (e.g. `ERR_JOBLIB_FORMAT`). */
  readonly code: JoblibErrorCode;

  constructor(name: string, code: JoblibErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Not enumerable, like Error.prototype.name: printing an error shows its fields, not its name twice.
    Object.defineProperty(this, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    this.code = code;
  }
}

/**
 * A value cannot be serialized: a function, a symbol, an instance of a class that was not
 * registered with `registerType`, or a structure nested too deeply. @category Errors
 */
export class SerializationError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_SERIALIZATION';
  /** Where in the value the problem is, as a JS access path (e.g. `value.layers[2].init`). */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super('SerializationError', 'ERR_JOBLIB_SERIALIZATION', message, options);
    this.path = path;
  }
}

/**
 * Bytes given to `load` are not a valid joblib-ts file: wrong magic number, truncated,
 * corrupt, an unsupported format version, or lengths that do not fit the data. @category Errors
 */
export class FormatError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_FORMAT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('FormatError', 'ERR_JOBLIB_FORMAT', message, options);
  }
}

/**
 * Data holds a value of a type registered with `registerType` that the reading process (this
 * one, or the worker a task was sent to) has not registered. @category Errors
 */
export class UnregisteredTypeError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_UNREGISTERED_TYPE';
  /** The name the type was registered under when the data was written. */
  readonly typeName: string;

  constructor(typeName: string, message?: string, options?: { cause?: unknown }) {
    super(
      'UnregisteredTypeError', 'ERR_JOBLIB_UNREGISTERED_TYPE',
      message ?? `The data holds a value of registered type "${typeName}", which is not registered in this process. ` +
        `Call registerType(YourClass, { name: "${typeName}", encode, decode }) before loading it.`,
      options,
    );
    this.typeName = typeName;
  }
}

/** An option has a value outside the forms joblib-ts accepts; the message lists the valid forms. @category Errors */
export class InvalidOptionError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_INVALID_OPTION';
  constructor(message: string) {
    super('InvalidOptionError', 'ERR_JOBLIB_INVALID_OPTION', message);
  }
}

/**
 * Writing a dump failed (for example ENOSPC, EACCES, or a stream error). When the target was a
 * path, nothing was left under that name: the temporary file was removed. @category Errors
 */
export class DumpError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_DUMP';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DumpError', 'ERR_JOBLIB_DUMP', message, options);
  }
}

/**
 * A function given to `delayed` cannot be rebuilt in a worker: it captures local or
 * module-level variables, or it is a bound or native function that is not a global. The
 * message names the variables and the fixes. @category Errors
 */
export class FunctionReferenceError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_FUNCTION_REFERENCE';
  /** The function's name (`'<anonymous>'` when it has none). */
  readonly functionName: string;
  /** The captured variables that prevent shipping it, if that is the reason. */
  readonly variables: readonly string[];

  constructor(functionName: string, message: string, variables: readonly string[] = [], options?: { cause?: unknown }) {
    super('FunctionReferenceError', 'ERR_JOBLIB_FUNCTION_REFERENCE', message, options);
    this.functionName = functionName;
    this.variables = variables;
  }
}

/**
 * A task's arguments hold an instance of a registered type that workers cannot register: it was
 * registered in the entry script (which workers never import) and cannot be rebuilt from its
 * source there. Refused before the batch holding it is sent; the message names the type and the fix. @category Errors
 */
export class TypeReferenceError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_TYPE_REFERENCE';
  /** The name the type is registered under. */
  readonly typeName: string;

  constructor(typeName: string, message: string, options?: { cause?: unknown }) {
    super('TypeReferenceError', 'ERR_JOBLIB_TYPE_REFERENCE', message, options);
    this.typeName = typeName;
  }
}

/**
 * A worker process died while it held tasks (process.exit, a signal such as SIGKILL from the
 * OOM killer, a native crash), or could not start at all (then `duringStartup`, and `cause` is
 * Node's error when Node refused to create it). The pool replaces the worker. @category Errors
 */
export class TerminatedWorkerError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_TERMINATED_WORKER';
  /** The worker process's pid; for a worker thread, the pid of this process. */
  readonly pid: number | undefined;
  /** The worker thread's `threadId`, when the worker was a thread. */
  readonly threadId: number | undefined;
  /** The worker's exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended the worker (`'SIGKILL'` from the OOM killer, `'SIGSEGV'`), or null. */
  readonly signal: NodeJS.Signals | null;
  /** Position in the input of the first task the worker was running, if it was running one. */
  readonly taskIndex: number | undefined;
  /** True when the worker died before it was ready: the command line or a loader is broken. */
  readonly duringStartup: boolean;
  /** The machine the worker ran on, for a distributed backend. */
  readonly host: string | undefined;
  /** How many times the batch was started before giving up, for a distributed backend. */
  readonly attempts: number | undefined;

  constructor(
    message: string,
    details: { pid: number | undefined; exitCode: number | null; signal: NodeJS.Signals | null;
      taskIndex?: number | undefined; duringStartup?: boolean; threadId?: number | undefined; cause?: unknown;
      host?: string | undefined; attempts?: number | undefined; },
  ) {
    super('TerminatedWorkerError', 'ERR_JOBLIB_TERMINATED_WORKER', message,
      details.cause === undefined ? undefined : { cause: details.cause });
    this.pid = details.pid;
    this.threadId = details.threadId;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.taskIndex = details.taskIndex;
    this.duringStartup = details.duringStartup ?? false;
    this.host = details.host;
    this.attempts = details.attempts;
  }
}

/** A task ran longer than the `timeout` option; its worker was killed and replaced. @category Errors */
export class TaskTimeoutError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_TASK_TIMEOUT';
  /** Position of the task in the input. */
  readonly taskIndex: number;
  /** The `timeout` it exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(taskIndex: number, timeoutMs: number, functionName: string) {
    super(
      'TaskTimeoutError', 'ERR_JOBLIB_TASK_TIMEOUT',
      `Task #${taskIndex} (${functionName}) did not finish within its timeout of ${timeoutMs} ms; ` +
        'its worker was killed. Raise `timeout`, or pass `onTimeout: "continue"` to get this error as that task\'s result.',
    );
    this.taskIndex = taskIndex;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Set as the `cause` of an error a task threw in a worker: the worker-side stack, and which
 * task failed where. The error itself keeps its class, message and own properties. @category Errors
 */
export class RemoteTaskError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_REMOTE_TASK';
  /** Position of the failed task in the input. */
  readonly taskIndex: number;
  /** The worker process's pid (this process's for a thread; on `host` for a distributed backend), when known. */
  readonly pid: number | undefined;
  /** The worker thread's `threadId`, when the task ran on the threads backend. */
  readonly threadId: number | undefined;
  /** The stack as printed in the worker. */
  readonly remoteStack: string;
  /** The machine the worker ran on, for a distributed backend. */
  readonly host: string | undefined;

  constructor(taskIndex: number, functionName: string, pid: number | undefined, remoteStack: string,
    options?: { cause?: unknown; threadId?: number | undefined; host?: string | undefined }) {
    const process = pid === undefined ? '(in-process)'
      : options?.threadId === undefined ? `pid ${pid}` : `thread ${options.threadId} (pid ${pid})`;
    const where = options?.host === undefined ? process : `${process} on ${options.host}`;
    super('RemoteTaskError', 'ERR_JOBLIB_REMOTE_TASK', `Task #${taskIndex} (${functionName}) failed in worker ${where}:\n` +
      `"""\n${remoteStack}\n"""`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.taskIndex = taskIndex;
    this.threadId = options?.threadId;
    this.pid = pid;
    this.remoteStack = remoteStack;
    this.host = options?.host;
  }
}

/** Work was submitted to an executor that was shut down, or was pending when it shut down. @category Errors */
export class ShutdownExecutorError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_EXECUTOR_SHUTDOWN';
  constructor(message = 'The executor was shut down; tasks cannot be scheduled on it. Call getReusableExecutor() for a new one.') {
    super('ShutdownExecutorError', 'ERR_JOBLIB_EXECUTOR_SHUTDOWN', message);
  }
}

/** A `Parallel` callable was called again while its previous call was still running. @category Errors */
export class ParallelBusyError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_PARALLEL_BUSY';
  constructor() {
    super(
      'ParallelBusyError', 'ERR_JOBLIB_PARALLEL_BUSY',
      'This Parallel instance is already running. Wait for its previous call (or finish or abandon ' +
        'its generator) before calling it again, or create a second Parallel to run both at once.',
    );
  }
}

/**
 * A cache entry that a `MemorizedResult` points to is missing (cleared, evicted) or corrupt
 * (truncated, overwritten). Call the function again to recompute it. @category Errors
 */
export class CacheEntryError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_CACHE_ENTRY';
  /** The entry's folder. */
  readonly entry: string;

  constructor(message: string, entry: string, options?: { cause?: unknown }) {
    super('CacheEntryError', 'ERR_JOBLIB_CACHE_ENTRY', message, options);
    this.entry = entry;
  }
}

/**
 * A folder given as a Memory location to administer (`joblib-ts cache`) is not one (it does not
 * exist, or holds no marker of a Memory having written there), or holds no function of the
 * name given. Nothing in it was changed. @category Errors
 */
export class CacheLocationError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_CACHE_LOCATION';
  /** The folder given. */
  readonly location: string;

  constructor(message: string, location: string) {
    super('CacheLocationError', 'ERR_JOBLIB_CACHE_LOCATION', message);
    this.location = location;
  }
}

/**
 * The `joblib-ts` command line is not one it accepts: an unknown command or option, a missing
 * or malformed argument. The message says what was wrong and how to get help. @category Errors
 */
export class UsageError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_USAGE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UsageError', 'ERR_JOBLIB_USAGE', message, options);
  }
}

/**
 * A large argument (over `maxNbytes`) could not be written to the temporary folder that
 * process workers read it from: the folder is missing, not writable, or full. Nothing is left
 * behind; set `tempFolder` (or `JOBLIB_TEMP_FOLDER`) to a folder with room, or `maxNbytes: null`. @category Errors
 */
export class TempFolderError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_TEMP_FOLDER';
  /** The folder the write was attempted in. */
  readonly folder: string;

  constructor(message: string, folder: string, options?: { cause?: unknown }) {
    super('TempFolderError', 'ERR_JOBLIB_TEMP_FOLDER', message, options);
    this.folder = folder;
  }
}

/** A message between the parent and a worker would exceed the 4 GiB frame limit. @category Errors */
export class FrameTooLargeError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_FRAME_TOO_LARGE';
  /** The message's size in bytes. */
  readonly bytes: number;

  constructor(bytes: number) {
    super('FrameTooLargeError', 'ERR_JOBLIB_FRAME_TOO_LARGE',
      `A message of ${bytes} bytes exceeds the 4 GiB frame limit between the parent and a worker; split the data ` +
        'across tasks, or pass it as a large argument (over maxNbytes), which crosses once, outside the frame.');
    this.bytes = bytes;
  }
}

/**
 * A distributed backend's server (Redis, for the BullMQ backend) cannot be reached, did not come
 * back within the call's deadline, refused a write (out of memory), or lost the call's state
 * (restarted empty, flushed). The call is over; nothing it queued is left running. @category Errors
 */
export class BackendUnavailableError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_BACKEND_UNAVAILABLE';
  /** The server, with any password removed. */
  readonly server: string;
  /** `'unreachable'`, `'state-lost'` or `'refused'`. */
  readonly reason: 'unreachable' | 'state-lost' | 'refused';

  constructor(message: string, server: string, reason: 'unreachable' | 'state-lost' | 'refused',
    options?: { cause?: unknown }) {
    super('BackendUnavailableError', 'ERR_JOBLIB_BACKEND_UNAVAILABLE', message, options);
    this.server = server;
    this.reason = reason;
  }
}

/** A distributed backend has no live worker to run the call, and none came within the wait. @category Errors */
export class NoWorkersError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_NO_WORKERS';
  /** The queue nobody serves. */
  readonly queue: string;
  /** How long the call waited for a worker, in milliseconds. */
  readonly waitedMs: number;

  constructor(message: string, queue: string, waitedMs: number) {
    super('NoWorkersError', 'ERR_JOBLIB_NO_WORKERS', message);
    this.queue = queue;
    this.waitedMs = waitedMs;
  }
}

/**
 * A compression method joblib-ts knows cannot run in this process: zstd needs `node:zlib`'s
 * zstd (Node 22.15 or later). Raised before anything is written by `dump`, and by `load` for a
 * file compressed that way; the message names the running Node and the alternatives.
 */
export class CompressorUnavailableError extends JoblibError {
  declare readonly code: 'ERR_JOBLIB_COMPRESSOR_UNAVAILABLE';
  /** The method asked for, or found by its magic number: `'zstd'`. */
  readonly method: string;

  constructor(message: string, method: string) {
    super('CompressorUnavailableError', 'ERR_JOBLIB_COMPRESSOR_UNAVAILABLE', message);
    this.method = method;
  }
}

const ERROR_CLASSES: Readonly<Record<string, { readonly prototype: JoblibError }>> = {
  JoblibError, SerializationError, FormatError, UnregisteredTypeError, InvalidOptionError, DumpError,
  FunctionReferenceError, TypeReferenceError, TerminatedWorkerError, TaskTimeoutError, RemoteTaskError,
  ShutdownExecutorError, ParallelBusyError, CacheEntryError, CacheLocationError, UsageError, TempFolderError,
  FrameTooLargeError, BackendUnavailableError, NoWorkersError, CompressorUnavailableError,
};

/**
 * The prototype of the joblib-ts error class called `name`, if there is one: an error that
 * crossed from a worker is rebuilt as a plain Error holding its name, and gets its class back.
 */
export function joblibErrorPrototype(name: string): JoblibError | undefined {
  return Object.hasOwn(ERROR_CLASSES, name) ? ERROR_CLASSES[name]!.prototype : undefined;
}
