// Task functions for the parallel benchmark, imported by reference in workers.
export const tiny = (x) => x + 1;
/** About `seconds` of pure CPU work. */
export function burn(seconds) {
  const end = performance.now() + seconds * 1000;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) x += Math.sqrt(i);
  return x > 0 ? 1 : 0;
}
// piscina's worker entry point (default export).
export default ({ x }) => x + 1;
