// Every public error class of joblib-ts. Each has a stable `code` a program can switch on,
// a message that says what happened and what to do, and the underlying error as `cause`.

/** Base class of every error joblib-ts raises on purpose. */
export class JoblibError extends Error {
  /** A stable, machine-readable identifier of the failure (e.g. `ERR_JOBLIB_FORMAT`). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * A value cannot be serialized: a function, a symbol, an instance of a class that was not
 * registered with `registerType`, or a structure nested too deeply.
 */
export class SerializationError extends JoblibError {
  /** Where in the value the problem is, as a JS access path (e.g. `value.layers[2].init`). */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super('ERR_JOBLIB_SERIALIZATION', message, options);
    this.path = path;
  }
}

/**
 * Bytes given to `load` are not a valid joblib-ts file: wrong magic number, truncated,
 * corrupt, an unsupported format version, or lengths that do not fit the data.
 */
export class FormatError extends JoblibError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_JOBLIB_FORMAT', message, options);
  }
}

/** A file holds a value of a type registered with `registerType` that this process has not registered. */
export class UnregisteredTypeError extends JoblibError {
  /** The name the type was registered under when the file was written. */
  readonly typeName: string;

  constructor(typeName: string) {
    super(
      'ERR_JOBLIB_UNREGISTERED_TYPE',
      `The data holds a value of registered type "${typeName}", which is not registered in this process. ` +
        `Call registerType(YourClass, { name: "${typeName}", encode, decode }) before loading it.`,
    );
    this.typeName = typeName;
  }
}

/** An option has a value outside the forms joblib-ts accepts; the message lists the valid forms. */
export class InvalidOptionError extends JoblibError {
  constructor(message: string) {
    super('ERR_JOBLIB_INVALID_OPTION', message);
  }
}

/**
 * Writing a dump failed (for example ENOSPC, EACCES, or a stream error). When the target was a
 * path, nothing was left under that name: the temporary file was removed.
 */
export class DumpError extends JoblibError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_JOBLIB_DUMP', message, options);
  }
}
