// When to poll a job next: a pure function of what we know about it and the time.
import { learnedBlindDelay } from './learnedSchedule.ts';
import type { GenerationQuantiles } from './store/contract.ts';

export interface PollPolicy {
  /** The first poll after creation: providers reject bad prompts within seconds. */
  firstPollMs: number;
  /** Never poll one job more often than this. */
  floorMs: number;
  /** Never leave a running job unpolled for longer than this. */
  ceilingMs: number;
  /** For jobs that report no progress: the provider guide's recommended interval. */
  blindIntervalMs: number;
  /** Progress unchanged for this long means the job stalled: stop predicting from its rate. */
  stallAfterMs: number;
}

/** A stalled job waits this share of the time it has been still (at least the blind interval). */
const stalledShare = 0.25;

export const defaultPollPolicy: PollPolicy = {
  firstPollMs: 3_000,
  floorMs: 1_000,
  ceilingMs: 30_000,
  blindIntervalMs: 10_000,
  stallAfterMs: 20_000,
};

export interface PollSubject {
  /** When the job was created (ms). Progress is assumed to run from there. */
  createdAt: number;
  progress: number;
  reportsProgress: boolean;
  /** When progress last changed (ms), null when it never has. */
  progressChangedAt: number | null;
  /** The sample before the latest one, when progress just moved: the recent rate, which after a stall beats the average. */
  previous?: { progress: number; at: number };
  /** How long jobs of its kind (model, duration, size) took here; used while it reports no progress. */
  durations?: GenerationQuantiles | null;
}

/** When a job started at `createdAt` and at `progress` percent by `at` should end, at its average pace. */
function predictedEnd(createdAt: number, progress: number, at: number): number {
  return at + ((100 - progress) * Math.max(1, at - createdAt)) / progress;
}

/**
 * With progress reported, predict completion from the rate so far. While two successive
 * predictions disagree, close in geometrically (wait 60% of the predicted remaining time); once
 * they agree, the pace is steady: poll once, just after the predicted end. Without progress (none
 * reported yet, or none ever), poll by how long jobs of its kind took here (`durations`, see
 * learnedBlindDelay) once there are enough of them, or else at the provider guide's steady
 * interval, so such jobs never fare worse than a fixed 10-second poll. A job that stalled is
 * polled less often the longer it has not moved.
 */
export function nextPollDelay(job: PollSubject, now: number, policy: PollPolicy = defaultPollPolicy): number {
  const clamp = (ms: number) => Math.round(Math.min(policy.ceilingMs, Math.max(policy.floorMs, ms)));
  const elapsed = Math.max(1, now - job.createdAt);
  if (!job.reportsProgress || job.progress <= 0 || job.progress >= 100) {
    // Nothing to predict from: how long its kind took here, once there is enough of that (learnedSchedule.ts).
    return clamp(learnedBlindDelay(elapsed, job.durations, policy) ?? policy.blindIntervalMs);
  }

  const still = now - (job.progressChangedAt ?? job.createdAt);
  // Stalled: the rate says nothing any more. The longer it has not moved, the less a poll is worth.
  if (still > policy.stallAfterMs) return clamp(Math.max(policy.blindIntervalMs, stalledShare * still));

  const averageRate = job.progress / elapsed;
  const recentRate = job.previous
    ? (job.progress - job.previous.progress) / Math.max(1, now - job.previous.at)
    : 0;
  // A job that stalled and moved on runs at its recent pace, not its average since creation.
  const rate = Math.max(averageRate, recentRate);
  const remaining = (100 - job.progress) / rate;

  const previous = job.previous;
  if (previous && previous.progress > 0) {
    const end = now + remaining;
    const before = predictedEnd(job.createdAt, previous.progress, previous.at);
    // Integer percentages make each prediction wobble by a few percent; more than that is a change of pace.
    const steady = Math.abs(end - before) <= Math.max(policy.floorMs, 0.05 * (end - job.createdAt));
    if (steady) return clamp(remaining + 250);
  }
  if (remaining > 2 * policy.floorMs) return clamp(remaining * 0.6);
  // Close to the predicted end: poll just after it.
  return clamp(remaining + 250);
}

/** Backoff for a job whose poll failed (provider down, network): doubles, jittered, up to the ceiling. */
export function retryPollDelay(
  failures: number,
  policy: PollPolicy = defaultPollPolicy,
  random = Math.random,
): number {
  const base = Math.min(policy.ceilingMs, policy.firstPollMs * 2 ** Math.max(0, failures - 1));
  return Math.min(policy.ceilingMs, Math.round(base * (0.75 + random() * 0.5)));
}

export interface RateLimitPolicy {
  /** The pause after a 429 that gives no Retry-After. */
  defaultPauseMs: number;
  /** Repeated 429s never pause longer than this (unless the provider's Retry-After asks for more). */
  maxPauseMs: number;
}

export const defaultRateLimitPolicy: RateLimitPolicy = { defaultPauseMs: 30_000, maxPauseMs: 10 * 60_000 };

/**
 * How long every poll pauses after the `streak`-th 429 in a row: what the provider asked (or the
 * default), doubled for each 429 that came right after a pause, up to the cap; never shorter than
 * the provider asked.
 */
export function rateLimitPause(
  streak: number,
  retryAfterMs: number | null,
  policy: RateLimitPolicy = defaultRateLimitPolicy,
): number {
  const asked = retryAfterMs ?? policy.defaultPauseMs;
  const escalated = Math.min(policy.maxPauseMs, asked * 2 ** Math.max(0, streak - 1));
  return Math.max(asked, escalated);
}

/** Whether a provider's webhooks are arriving, and how often each job is polled meanwhile. */
export interface WebhookSchedule {
  /** A verified webhook arrived recently (see `webhooksLive`): the provider tells us of each end. */
  live: boolean;
  /** The safety net's interval: a job whose webhook was lost is found about this long after it ended. */
  safetyPollMs: number;
}

/** Webhooks count as arriving while the last verified one is younger than `liveMs`. */
export function webhooksLive(lastEventAt: number | null, now: number, liveMs: number): boolean {
  return lastEventAt !== null && now - lastEventAt >= 0 && now - lastEventAt < liveMs;
}

/**
 * The wait before a job's next poll, given what the schedule would do (`scheduledMs`): while
 * webhooks arrive, polling is only the safety net for a lost one, never denser than its interval;
 * otherwise the schedule's own wait.
 */
export function withWebhooks(scheduledMs: number, webhooks: WebhookSchedule | undefined): number {
  return webhooks?.live ? Math.max(scheduledMs, webhooks.safetyPollMs) : scheduledMs;
}
