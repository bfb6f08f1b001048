// The short description of a call stored in metadata and printed by verbose Memory:
// `costly(data=Float64Array(1000), column=2)`, each argument cut to a readable length.

const MAX_ARGUMENT = 40;

/** `name(a=1, b='x')` from normalized arguments. */
export function describeCall(name: string, keyed: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(keyed).map(([key, value]) => `${key}=${describeValue(value)}`);
  return `${name}(${parts.join(', ')})`;
}

function describeValue(value: unknown): string {
  let text: string;
  if (ArrayBuffer.isView(value)) text = `${value.constructor.name}(${(value as unknown as { length?: number }).length ?? value.byteLength})`;
  else if (Array.isArray(value)) text = `[${value.slice(0, 5).map(describeValue).join(', ')}${value.length > 5 ? `, …${value.length - 5} more` : ''}]`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (value instanceof Map || value instanceof Set) text = `${value.constructor.name}(${value.size})`;
  else if (value !== null && typeof value === 'object') text = `{${Object.keys(value).slice(0, 5).join(', ')}}`;
  else text = String(value);
  return text.length > MAX_ARGUMENT ? `${text.slice(0, MAX_ARGUMENT - 1)}…` : text;
}
