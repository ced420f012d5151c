// mulberry32: a small seeded generator, so every strategy of a benchmark meets the same jobs.
export function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed a benchmark's provider starts from (BENCH_SEED, 42 by default). */
export const benchSeed = (): number => Number(process.env.BENCH_SEED ?? 42);
