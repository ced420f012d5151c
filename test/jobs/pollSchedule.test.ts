import { describe, expect, it } from 'vitest';
import {
  nextPollDelay,
  defaultPollPolicy as policy,
  rateLimitPause,
  retryPollDelay,
} from '../../src/jobs/index.ts';

const created = 1_000_000;

describe('poll schedule', () => {
  it('stays between the floor and the ceiling whatever the job looks like', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let round = 0; round < 5_000; round++) {
      const elapsed = Math.floor(random() * 3_600_000);
      const progress = Math.floor(random() * 101);
      const changedAt = random() > 0.5 ? created + Math.floor(random() * elapsed) : null;
      // The sample before the latest: usually earlier and lower, sometimes odd (equal, later, higher).
      const previous =
        random() > 0.4
          ? {
              progress: random() > 0.1 ? Math.floor(random() * (progress + 1)) : Math.floor(random() * 101),
              at:
                created +
                Math.floor(random() * (random() > 0.1 ? (changedAt ?? created) - created : elapsed)),
            }
          : undefined;
      const subject = {
        createdAt: created,
        progress,
        reportsProgress: random() > 0.3,
        progressChangedAt: changedAt,
        previous,
      };
      const delay = nextPollDelay(subject, created + elapsed);
      expect(delay, JSON.stringify({ subject, elapsed })).toBeGreaterThanOrEqual(policy.floorMs);
      expect(delay, JSON.stringify({ subject, elapsed })).toBeLessThanOrEqual(policy.ceilingMs);
      const retry = retryPollDelay(1 + Math.floor(random() * 20), policy, random);
      expect(retry).toBeGreaterThanOrEqual(policy.floorMs);
      expect(retry).toBeLessThanOrEqual(policy.ceilingMs);
    }
  });

  it('polls a job without progress at the steady 10-second interval', () => {
    expect(
      nextPollDelay(
        { createdAt: created, progress: 0, reportsProgress: false, progressChangedAt: null },
        created + 60_000,
      ),
    ).toBe(10_000);
  });

  it('polls once just after the predicted end when two predictions agree', () => {
    // 100 s job seen at 30% after 30 s, now 60% after 60 s: both predict 100 s.
    const subject = {
      createdAt: created,
      progress: 60,
      reportsProgress: true,
      progressChangedAt: created + 60_000,
      previous: { progress: 30, at: created + 30_000 },
    };
    expect(nextPollDelay(subject, created + 60_000)).toBe(30_000); // 40 s away: the ceiling first
    const closer = {
      ...subject,
      progress: 90,
      progressChangedAt: created + 90_000,
      previous: { progress: 60, at: created + 60_000 },
    };
    expect(nextPollDelay(closer, created + 90_000)).toBe(10_250);
  });

  it('closes in on the predicted end: sparse early, dense near completion', () => {
    const at = (progress: number, elapsed: number) =>
      nextPollDelay(
        { createdAt: created, progress, reportsProgress: true, progressChangedAt: created + elapsed },
        created + elapsed,
      );
    // 100 s job: at 10% after 10 s, 90 s remain → wait 30 s (the ceiling); at 90% after 90 s, 10 s remain → 6 s.
    expect(at(10, 10_000)).toBe(30_000);
    expect(at(90, 90_000)).toBe(6_000);
    // 99% after 99 s: about 1 s remains → poll just after it.
    expect(at(99, 99_000)).toBe(1_250);
  });

  it('polls a stalled job less often the longer it has not moved, up to the ceiling', () => {
    const stalledFor = (stillMs: number) =>
      nextPollDelay(
        { createdAt: created, progress: 40, reportsProgress: true, progressChangedAt: created + 10_000 },
        created + 10_000 + stillMs,
      );
    // Just stalled: the steady interval; then a quarter of the time it has been still.
    expect(stalledFor(policy.stallAfterMs + 1)).toBe(policy.blindIntervalMs);
    expect(stalledFor(50_000)).toBe(12_500);
    expect(stalledFor(100_000)).toBe(25_000);
    expect(stalledFor(10 * 60_000)).toBe(policy.ceilingMs);
  });

  it('keeps a job that never reported progress at the steady interval, however long it runs', () => {
    for (const elapsed of [5_000, 60_000, 10 * 60_000, 50 * 60_000]) {
      expect(
        nextPollDelay(
          { createdAt: created, progress: 0, reportsProgress: true, progressChangedAt: null },
          created + elapsed,
        ),
      ).toBe(policy.blindIntervalMs);
    }
  });

  it('backs off a failing poll exponentially, with jitter, up to the ceiling', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 10].map((failures) => retryPollDelay(failures, policy, middle))).toEqual([
      3_000, 6_000, 12_000, 24_000, 30_000, 30_000,
    ]);
    expect(retryPollDelay(1, policy, () => 0)).toBe(2_250);
    expect(retryPollDelay(1, policy, () => 1)).toBe(3_750);
    // Jitter never pushes a retry past the ceiling.
    expect(retryPollDelay(5, policy, () => 1)).toBe(policy.ceilingMs);
  });

  it("pauses for the provider's Retry-After, 30 s without one, doubling for 429s in a row up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((streak) => rateLimitPause(streak, null))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 600_000,
    ]);
    expect([1, 2, 3].map((streak) => rateLimitPause(streak, 2_000))).toEqual([2_000, 4_000, 8_000]);
    // A Retry-After longer than the cap is still honoured.
    expect(rateLimitPause(1, 900_000)).toBe(900_000);
    expect(rateLimitPause(9, 900_000)).toBe(900_000);
  });
});

describe('poll schedule after a stall', () => {
  it('predicts from the recent pace once progress moves again, not the average dragged down by the stall', () => {
    // Stalled at 40% from 40 s to 100 s, then 50% at 110 s: 1%/s recently, 0.45%/s on average.
    const subject = {
      createdAt: created,
      progress: 50,
      reportsProgress: true,
      progressChangedAt: created + 110_000,
      previous: { progress: 40, at: created + 100_000 },
    };
    expect(nextPollDelay(subject, created + 110_000)).toBe(30_000);
    const late = {
      ...subject,
      progress: 95,
      progressChangedAt: created + 155_000,
      previous: { progress: 90, at: created + 150_000 },
    };
    // 5 s remain at the recent pace (the average would say 8 s), and the previous sample agrees: poll just after.
    expect(nextPollDelay(late, created + 155_000)).toBe(5_250);
  });
});
