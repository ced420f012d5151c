import { describe, expect, it } from 'vitest';
import {
  defaultLearnedPolicy,
  type GenerationQuantiles,
  learnedBlindDelay,
  nextPollDelay,
  defaultPollPolicy as policy,
} from '../../src/jobs/index.ts';
import { generationQuantiles } from '../../src/jobs/store/generationSamples.ts';

const created = 1_000_000;
/** A kind that usually takes a minute: nine jobs in ten between 46 s and 78 s. */
const minute = { count: 200, running: 0, p10: 46_000, p50: 60_000, p90: 78_000 };

/** The polls of a job that reports nothing, from the first (3 s after creation) until `untilMs`: [at, wait]. */
function walk(durations: typeof minute, untilMs: number): [at: number, wait: number][] {
  const polls: [number, number][] = [];
  for (let at = policy.firstPollMs; at < untilMs; ) {
    const wait = learnedBlindDelay(at, durations, policy);
    if (wait === null) throw new Error('no learned schedule');
    polls.push([at, wait]);
    at += wait;
  }
  return polls;
}

/** seeded, so the figures below are the same on every run */
function seeded(seed: number) {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return { random, normal };
}

describe('the learned schedule for jobs that report no progress', () => {
  it('takes over from the steady interval at 20 samples of a kind, not at 19', () => {
    expect(learnedBlindDelay(40_000, { ...minute, count: 19 }, policy)).toBeNull();
    expect(learnedBlindDelay(40_000, null, policy)).toBeNull();
    expect(learnedBlindDelay(40_000, { ...minute, count: 20 }, policy)).toBe(6_000);
    expect(defaultLearnedPolicy.minSamples).toBe(20);
  });

  it('keeps the steady interval while the kind’s jobs still running hide its p90', () => {
    const hidden: GenerationQuantiles = { ...minute, running: 400, p90: null };
    expect(learnedBlindDelay(40_000, hidden, policy)).toBeNull();
    expect(learnedBlindDelay(40_000, { ...minute, running: 400 }, policy)).toBe(6_000);
  });

  it('polls sparsely before the kind’s p10, landing on it', () => {
    const before = walk(minute, minute.p10);
    // 3 s, then the ceiling, then straight to p10: three polls where the steady interval makes five.
    expect(before).toEqual([
      [3_000, 30_000],
      [33_000, 13_000],
    ]);
    expect(learnedBlindDelay(45_500, minute, policy)).toBe(policy.floorMs);
  });

  it('polls densely where jobs of the kind finish, most densely past the median', () => {
    const window = walk(minute, minute.p90).filter(([at]) => at >= minute.p10);
    const waits = window.map(([, wait]) => wait);
    // A poll every 3 to 7 s between p10 and p90: a job that ends there is found within that wait.
    expect(Math.max(...waits)).toBeLessThanOrEqual(7_000);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(2_500);
    expect(waits).toEqual([...waits].sort((a, b) => b - a));
    expect(learnedBlindDelay(minute.p50, minute, policy)).toBeLessThan(4_000);
  });

  it('backs off past the kind’s p90, by a quarter of the time since, up to the ceiling', () => {
    const atP90 = learnedBlindDelay(minute.p90, minute, policy) ?? 0;
    expect(learnedBlindDelay(minute.p90 + 4_000, minute, policy)).toBe(atP90);
    expect(learnedBlindDelay(minute.p90 + 40_000, minute, policy)).toBe(10_000);
    expect(learnedBlindDelay(minute.p90 + 80_000, minute, policy)).toBe(20_000);
    expect(learnedBlindDelay(minute.p90 + 10 * 60_000, minute, policy)).toBe(policy.ceilingMs);
  });

  it('polls a job far later than its kind’s history says no more often than the steady interval', () => {
    // The history says 31–34 s; the provider has slowed down since.
    const learnedEarlier = { count: 20, running: 0, p10: 31_000, p50: 32_500, p90: 34_000 };
    expect(learnedBlindDelay(36_000, learnedEarlier, policy)).toBeLessThan(policy.blindIntervalMs);
    for (const elapsed of [38_000, 45_000, 60_000, 90_000]) {
      expect(learnedBlindDelay(elapsed, learnedEarlier, policy)).toBeGreaterThanOrEqual(
        policy.blindIntervalMs,
      );
    }
  });

  it('waits for a longer kind’s window, and polls more densely the more requests it may spend', () => {
    const twoMinutes = { count: 200, running: 0, p10: 92_000, p50: 120_000, p90: 156_000 };
    expect(walk(twoMinutes, twoMinutes.p10).map(([at]) => at)).toEqual([3_000, 33_000, 63_000]);
    const atMedian = (requestBudgetShare: number) =>
      learnedBlindDelay(minute.p50, minute, policy, { ...defaultLearnedPolicy, requestBudgetShare }) ?? 0;
    expect(atMedian(0.6)).toBeGreaterThan(atMedian(0.95));
    expect(atMedian(0.95)).toBeGreaterThan(atMedian(1.5));
    // However much it may spend, a request is worth at least 100 ms: never the floor everywhere.
    expect(atMedian(100)).toBeGreaterThan(policy.floorMs);
  });

  it('stays between the floor and the ceiling whatever the quantiles, even all alike or all zero', () => {
    const { random } = seeded(7);
    const kinds: (typeof minute)[] = [
      { count: 20, running: 0, p10: 60_000, p50: 60_000, p90: 60_000 },
      { count: 20, running: 0, p10: 0, p50: 0, p90: 0 },
      { count: 20, running: 0, p10: 1, p50: 2, p90: 3_600_000 },
    ];
    for (let round = 0; round < 2_000; round++) {
      const low = random() * 300_000;
      const middle = low + random() * 300_000;
      kinds.push({ count: 20 + round, running: 0, p10: low, p50: middle, p90: middle + random() * 300_000 });
    }
    for (const durations of kinds) {
      for (const elapsed of [1, 3_000, durations.p10, durations.p50, durations.p90, 4_000_000]) {
        const wait = learnedBlindDelay(elapsed, durations, policy);
        expect(wait, JSON.stringify({ durations, elapsed })).toBeGreaterThanOrEqual(policy.floorMs);
        expect(wait, JSON.stringify({ durations, elapsed })).toBeLessThanOrEqual(policy.ceilingMs);
      }
    }
  });

  it('finds half the jobs of each lognormal kind within 2 s, at fewer requests than the steady interval', () => {
    const { normal } = seeded(42);
    const durations = (median: number) =>
      Array.from({ length: 2_000 }, () => median * Math.exp(0.2 * normal()));
    for (const median of [60_000, 120_000]) {
      const history = durations(median);
      const learned = generationQuantiles(history.slice(0, 200));
      const detections: number[] = [];
      let learnedPolls = 0;
      let steadyPolls = 0;
      for (const end of history.slice(200)) {
        let at = policy.firstPollMs;
        for (learnedPolls++; at < end; learnedPolls++) at += learnedBlindDelay(at, learned, policy) ?? 0;
        detections.push(at - end);
        steadyPolls += 1 + Math.ceil((end - policy.firstPollMs) / policy.blindIntervalMs);
      }
      detections.sort((a, b) => a - b);
      expect(detections[detections.length / 2], `median ${median}`).toBeLessThan(2_000);
      expect(learnedPolls, `median ${median}`).toBeLessThan(steadyPolls);
    }
  });
});

describe('the poll schedule with learned durations', () => {
  const blind = { createdAt: created, progress: 0, reportsProgress: false, progressChangedAt: null };

  it('keeps the steady interval for a job with no progress until its kind has 20 samples', () => {
    expect(nextPollDelay({ ...blind, durations: { ...minute, count: 19 } }, created + 60_000)).toBe(
      policy.blindIntervalMs,
    );
    expect(nextPollDelay({ ...blind, durations: minute }, created + 60_000)).toBe(
      learnedBlindDelay(60_000, minute, policy),
    );
    expect(nextPollDelay({ ...blind, durations: minute }, created + 60_000)).toBeLessThan(4_000);
  });

  it('uses the learned durations before a progress-reporting job’s first figure, its progress after', () => {
    const reporting = { ...blind, reportsProgress: true, durations: minute };
    expect(nextPollDelay(reporting, created + 33_000)).toBe(13_000);
    // At 60% after 60 s the prediction from progress holds, whatever its kind usually takes.
    const moving = { ...reporting, progress: 60, progressChangedAt: created + 60_000 };
    expect(nextPollDelay(moving, created + 60_000)).toBe(
      nextPollDelay({ ...moving, durations: null }, created + 60_000),
    );
  });
});
