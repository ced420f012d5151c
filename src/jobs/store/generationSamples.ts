// What both stores agree on about generation times: how many samples of a kind are kept, and how
// their quantiles are taken (in code, from the kept samples and the kind's jobs still running, so
// both give the very same figures).
import type { GenerationQuantiles } from './contract.ts';

/** Samples kept per model, duration and size: enough for a stable p90, recent enough to follow the provider. */
export const keptGenerationSamples = 200;

/**
 * The kind's quantiles from its finished jobs' generation times (`durations`) and the ages of its
 * jobs still running (`runningAges`: each will take longer than its age), by the Kaplan–Meier
 * estimate: a quantile is the first generation time by which that share of the kind's jobs is
 * known to have finished. Without running jobs this is the plain sample quantile (p50 of
 * [1, 2, 3, 4] is 2). Running jobs keep the figures honest when the history does not yet cover
 * them: after a burst of jobs, the first samples are its fastest ones, and the many still running
 * show that; a quantile the data cannot reach yet is null.
 */
export function generationQuantiles(
  durations: readonly number[],
  runningAges: readonly number[] = [],
): GenerationQuantiles {
  const seen = [
    ...durations.map((at) => ({ at, finished: true })),
    ...runningAges.map((at) => ({ at, finished: false })),
  ].sort((a, b) => a.at - b.at || Number(b.finished) - Number(a.finished));
  const quantiles: { p10: number | null; p50: number | null; p90: number | null } = {
    p10: null,
    p50: null,
    p90: null,
  };
  const targets = [
    ['p10', 0.1],
    ['p50', 0.5],
    ['p90', 0.9],
  ] as const;
  let stillRunning = 1;
  seen.forEach((observation, index) => {
    if (!observation.finished) return;
    // Of the jobs that had run this long (this one and every one after it), this one finished.
    stillRunning *= 1 - 1 / (seen.length - index);
    for (const [name, share] of targets) {
      if (quantiles[name] === null && 1 - stillRunning >= share - 1e-9)
        quantiles[name] = Math.round(observation.at);
    }
  });
  return { count: durations.length, running: runningAges.length, ...quantiles };
}
