// Rebuilding stored Errors: the built-in class named by the stored name (TypeError, ...) or a
// plain Error that keeps the name, with stack, cause and own properties set as the engine does.

const ERROR_CLASSES: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** A new Error of the class `name` names (else Error, keeping `name`), with `message`. */
export function newError(name: unknown, message: unknown): Error {
  const errorName = typeof name === 'string' ? name : 'Error';
  const text = typeof message === 'string' ? message : '';
  const Class = Object.hasOwn(ERROR_CLASSES, errorName) ? ERROR_CLASSES[errorName]! : Error;
  const error = errorName === 'AggregateError' ? new AggregateError([], text) : new Class(text);
  if (error.name !== errorName) defineData(error, 'name', errorName);
  return error;
}

/** An ordinary own data property, even for keys such as `__proto__`. */
export function defineData(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Sets one stored field on a rebuilt Error: stack, cause and `errors` as the engine defines them. */
export function setErrorField(error: Error, key: string, value: unknown): void {
  if (key === 'stack' || key === 'cause' || (key === 'errors' && error instanceof AggregateError)) {
    Object.defineProperty(error, key, { value, writable: true, configurable: true });
  } else if (key !== 'name' && key !== 'message') {
    defineData(error, key, value);
  }
}
