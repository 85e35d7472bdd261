/**
 * mulberry32: a small seeded random source, so a benchmark draws the same tasks and a test's faults fall the
 * same way on every run. Shared by the benchmarks and the load tests; it imports nothing.
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
