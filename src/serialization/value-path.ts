// Where in a value the encoding walk failed, for error messages such as
// "Cannot serialize value.model.layers[1].init": each container the error passes on its way
// up adds its own key, so the hot path keeps no path state at all.

/** Thrown inside the walk; the containers on the way up prepend their key to `segments`. */
export class PathedError extends Error {
  readonly segments: string[] = [];
  constructor(
    message: string,
    readonly original?: unknown,
  ) {
    super(message);
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
export const keySegment = (key: string | number): string =>
  typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;

export function describeClass(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  return name ? `an instance of class ${name}` : 'an object with a custom prototype';
}

export function withSegment(error: unknown, segment: string): unknown {
  if (error instanceof PathedError) error.segments.push(segment);
  return error;
}
