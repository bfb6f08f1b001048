// Task functions for the distributed benchmark, imported by reference on worker machines.
/** Blocks its process for `ms` (a task that occupies a worker without using a core). */
export function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}
/** A pass over a large argument. */
export function sumArray(values) {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i];
  return sum;
}
