// What both stores agree on about generation times: how many samples of a kind are kept, and how
// their quantiles are taken (in code, from the kept samples, so both give the very same figures).
import type { GenerationQuantiles } from './contract.ts';

/** Samples kept per model, duration and size: enough for a stable p90, recent enough to follow the provider. */
export const keptGenerationSamples = 200;

/**
 * The `q` quantile of ascending `sorted`, interpolated linearly between the two nearest ranks
 * (the common "type 7" definition: p50 of [1, 2, 3, 4] is 2.5).
 */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] ?? 0;
  const upper = sorted[Math.min(sorted.length - 1, below + 1)] ?? lower;
  return Math.round(lower + (upper - lower) * (position - below));
}

/** The quantiles of `durations` (any order), rounded to whole milliseconds; all 0 when there are none. */
export function generationQuantiles(durations: readonly number[]): GenerationQuantiles {
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p10: quantile(sorted, 0.1),
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
  };
}
