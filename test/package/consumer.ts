// Compiled by test/package/package.test.ts against the built package, as a user would import it.
import { type DumpOptions, dump, FormatError, hash, load, loadSync, registerType } from 'joblib-ts';

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
