// When to poll a job that reports no progress, from how long jobs of its kind took here: a pure
// function of the time since the job was created and the kind's learned quantiles.
//
// The kind's generation time is taken as lognormal through its p10, p50 and p90 (a spread of its
// own on each side of the median). Polling every d ms at t costs 1/d requests per ms for every job
// still running then, and a job that finishes there is found d/2 later on average: the interval
// that minimises mean detection time plus λ per request is d = √(2λ · S(t) / f(t)), with f the
// density and S the share still running (f/S is the hazard, the chance of finishing in the next
// moment). So the schedule is sparse while a finish is unlikely and dense where jobs of the kind
// finish. λ is chosen per kind so that a job costs on average no more requests than the steady
// blind interval would (95% of them by default: the fit is not the kind itself, and the margin
// keeps the real count at or below today's): the same requests, spent where they find something.
import { errorFunction, probit } from 'simple-statistics';
import type { PollPolicy } from './schedule.ts';
import type { GenerationQuantiles } from './store/contract.ts';

export interface LearnedPolicy {
  /** With fewer samples of a kind than this, its jobs keep the steady blind interval. */
  minSamples: number;
  /**
   * A job of the kind costs on average at most this share of the requests that the steady blind
   * interval (PollPolicy.blindIntervalMs) would make, by the kind's learned durations.
   */
  requestBudgetShare: number;
  /**
   * However much budget is left, one request is never traded for less than this much mean
   * detection time (ms): a narrow kind is not polled every second just because it could afford it.
   */
  requestWorthAtLeastMs: number;
  /** Past the kind's p90, the interval grows by this share of the time since p90 (a slow job backs off). */
  backoffShare: number;
}

export const defaultLearnedPolicy: LearnedPolicy = {
  minSamples: 20,
  requestBudgetShare: 0.95,
  requestWorthAtLeastMs: 100,
  backoffShare: 0.25,
};

/** The standard normal's 90th percentile: how many spreads p90 lies above the median. */
const z90 = probit(0.9);
/** The narrowest spread assumed, so a kind whose samples are all alike still gets a window to poll in. */
const minSpread = 0.02;
/** λ is searched for between these (ms of detection time per request), on a log scale. */
const requestWorthAtMostMs = 60_000;
const searchSteps = 24;

/** A kind's quantiles, all known. */
interface KnownQuantiles {
  p10: number;
  p50: number;
  p90: number;
}

interface Fit {
  durations: KnownQuantiles;
  logMedian: number;
  spreadBelow: number;
  spreadAbove: number;
}

function lognormalThrough(durations: KnownQuantiles): Fit {
  const median = Math.max(1, durations.p50);
  return {
    durations,
    logMedian: Math.log(median),
    spreadBelow: Math.max(minSpread, Math.log(median / Math.max(1, durations.p10)) / z90),
    spreadAbove: Math.max(minSpread, Math.log(Math.max(1, durations.p90) / median) / z90),
  };
}

/** How many spreads `t` lies from the median, and the spread on its side. */
function standardised(t: number, kind: Fit): { z: number; sigma: number } {
  const offset = Math.log(Math.max(1, t)) - kind.logMedian;
  const sigma = offset < 0 ? kind.spreadBelow : kind.spreadAbove;
  return { z: offset / sigma, sigma };
}

/** The share of the kind's jobs still running `t` ms after creation. */
function survival(t: number, kind: Fit): number {
  return 0.5 * (1 - errorFunction(standardised(t, kind).z / Math.SQRT2));
}

/** The interval that balances detection time against `worthMs` per request at `t` (see the top). */
function balancedInterval(t: number, kind: Fit, worthMs: number): number {
  const { z, sigma } = standardised(t, kind);
  const density = Math.exp(-(z * z) / 2) / (Math.sqrt(2 * Math.PI) * sigma * Math.max(1, t));
  // Far before the window the density underflows to 0: as sparse as the policy allows.
  if (density <= 0) return Number.POSITIVE_INFINITY;
  return Math.sqrt((2 * worthMs * survival(t, kind)) / density);
}

/**
 * The wait after a poll at `t`: sparse until the kind's p10 (landing on it), balanced between p10
 * and p90, and past p90 at least a share of the time since (the tail of a slow provider is long,
 * so each poll there finds less), and at least the steady interval once far past it. Within the
 * policy's floor and ceiling.
 */
function interval(t: number, kind: Fit, worthMs: number, policy: PollPolicy, learned: LearnedPolicy): number {
  const { p10, p90 } = kind.durations;
  const clamp = (ms: number) => Math.round(Math.min(policy.ceilingMs, Math.max(policy.floorMs, ms)));
  if (t < p10) return clamp(Math.min(balancedInterval(t, kind, worthMs), p10 - t));
  if (t < p90) return clamp(balancedInterval(t, kind, worthMs));
  const late = Math.max(balancedInterval(p90, kind, worthMs), learned.backoffShare * (t - p90));
  // Later than p90 by more than the whole p10–p90 window: this job is not what the history
  // describes (the provider slowed down). Never more often than the steady interval, so it costs
  // no more than today.
  const wayLate = t - p90 > p90 - p10;
  return clamp(wayLate ? Math.max(late, policy.blindIntervalMs) : late);
}

/**
 * The requests a job of the kind costs on average when polled first at `firstPollMs` and then
 * after `wait(t)`: every poll but the first is made only if the job was still running at the one
 * before. Summed until hardly any job is left running.
 */
function expectedRequests(kind: Fit, firstPollMs: number, wait: (t: number) => number): number {
  let requests = 1;
  let at = firstPollMs;
  for (let step = 0; step < 10_000; step++) {
    const running = survival(at, kind);
    if (running < 1e-4) break;
    requests += running;
    at += wait(at);
  }
  return requests;
}

/** λ per kind (by its quantiles): a kind's quantiles change slowly, and every poll of its jobs asks. */
const worthByKind = new Map<string, number>();
const worthKindsAtMost = 1_000;

/** The smallest λ (the densest schedule) whose requests fit the kind's budget (see LearnedPolicy). */
function requestWorth(kind: Fit, policy: PollPolicy, learned: LearnedPolicy): number {
  const { p10, p50, p90 } = kind.durations;
  const key = [p10, p50, p90, policy.firstPollMs, policy.blindIntervalMs, policy.floorMs, policy.ceilingMs]
    .concat([learned.requestBudgetShare, learned.requestWorthAtLeastMs, learned.backoffShare])
    .join(' ');
  const known = worthByKind.get(key);
  if (known !== undefined) return known;
  const budget =
    learned.requestBudgetShare *
    expectedRequests(kind, policy.firstPollMs, () => Math.max(policy.floorMs, policy.blindIntervalMs));
  const cost = (worthMs: number) =>
    expectedRequests(kind, policy.firstPollMs, (t) => interval(t, kind, worthMs, policy, learned));
  // Fewer requests the more each is worth: bisect on a log scale for the smallest λ within budget.
  let low = Math.log(learned.requestWorthAtLeastMs);
  let high = Math.log(Math.max(learned.requestWorthAtLeastMs, requestWorthAtMostMs));
  if (cost(Math.exp(low)) > budget) {
    for (let step = 0; step < searchSteps; step++) {
      const middle = (low + high) / 2;
      if (cost(Math.exp(middle)) > budget) low = middle;
      else high = middle;
    }
    low = high;
  }
  const worth = Math.exp(low);
  if (worthByKind.size >= worthKindsAtMost) worthByKind.clear();
  worthByKind.set(key, worth);
  return worth;
}

/**
 * Whether a kind's figures are enough to poll by: `minSamples` finished jobs, and every quantile
 * reached (none hidden by the kind's jobs still running).
 */
export function knowsEnough(
  durations: GenerationQuantiles | null | undefined,
  learned: LearnedPolicy = defaultLearnedPolicy,
): durations is GenerationQuantiles & KnownQuantiles {
  return (
    !!durations &&
    durations.count >= learned.minSamples &&
    durations.p10 !== null &&
    durations.p50 !== null &&
    durations.p90 !== null
  );
}

/**
 * The next poll of a job that reports no progress, `elapsedMs` after it was created, when its kind
 * has enough history: sparse until the kind's p10, dense where jobs of its kind finish, backing off
 * past p90, at no more requests on average than the steady blind interval (see the top of this
 * file). Within the policy's floor and ceiling. Null when the kind's figures are not enough
 * (knowsEnough): the caller keeps the steady blind interval.
 */
export function learnedBlindDelay(
  elapsedMs: number,
  durations: GenerationQuantiles | null | undefined,
  policy: PollPolicy,
  learned: LearnedPolicy = defaultLearnedPolicy,
): number | null {
  if (!knowsEnough(durations, learned)) return null;
  const kind = lognormalThrough(durations);
  return interval(elapsedMs, kind, requestWorth(kind, policy, learned), policy, learned);
}
