// Task functions for the parallel benchmark, imported by reference in workers.
export const tiny = (x) => x + 1;
/** About `seconds` of pure CPU work. */
export function burn(seconds) {
  const end = performance.now() + seconds * 1000;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) x += Math.sqrt(i);
  return x > 0 ? 1 : 0;
}
/** The mean of part `i` of `parts` of `values`: the large-argument case. */
export function sliceMean(values, i, parts) {
  const size = Math.floor(values.length / parts);
  let sum = 0;
  for (let k = i * size; k < (i + 1) * size; k += 1) sum += values[k];
  return sum / size;
}
// piscina's worker entry point (default export).
export default ({ x, values, i, parts }) => (values === undefined ? x + 1 : sliceMean(values, i, parts));
