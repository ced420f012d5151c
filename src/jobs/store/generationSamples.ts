// What both stores agree on about generation times: how many samples of a kind are kept, and how
// their quantiles are taken (in code, from the kept samples, so both give the very same figures).
import { quantileSorted } from 'simple-statistics';
import type { GenerationQuantiles } from './contract.ts';

/** Samples kept per model, duration and size: enough for a stable p90, recent enough to follow the provider. */
export const keptGenerationSamples = 200;

/**
 * The quantiles of `durations` (any order), rounded to whole milliseconds; all 0 when there are
 * none. Interpolated linearly between the two nearest ranks (R's and numpy's default, "type 7":
 * p50 of [1, 2, 3, 4] is 2.5), as simple-statistics takes them.
 */
export function generationQuantiles(durations: readonly number[]): GenerationQuantiles {
  const sorted = [...durations].sort((a, b) => a - b);
  const quantile = (q: number) => (sorted.length === 0 ? 0 : Math.round(quantileSorted(sorted, q)));
  return {
    count: sorted.length,
    p10: quantile(0.1),
    p50: quantile(0.5),
    p90: quantile(0.9),
  };
}
