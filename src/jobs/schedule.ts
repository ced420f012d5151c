// When to poll a job next: a pure function of what we know about it and the time.

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
}

/**
 * With progress reported, predict completion from the rate so far and close in on it
 * geometrically: each poll waits 60% of the predicted remaining time, so polls are sparse
 * early and dense near the end. Without progress (or when it stalls), fall back to the
 * provider guide's steady interval, so such jobs never fare worse than a fixed 10-second poll.
 */
export function nextPollDelay(job: PollSubject, now: number, policy: PollPolicy = defaultPollPolicy): number {
  const clamp = (ms: number) => Math.round(Math.min(policy.ceilingMs, Math.max(policy.floorMs, ms)));
  const elapsed = Math.max(1, now - job.createdAt);
  if (!job.reportsProgress || job.progress <= 0 || job.progress >= 100) return clamp(policy.blindIntervalMs);

  const still = now - (job.progressChangedAt ?? job.createdAt);
  // Stalled: the rate says nothing any more. Poll like a blind job until progress moves again.
  if (still > policy.stallAfterMs) return clamp(policy.blindIntervalMs);

  const rate = job.progress / elapsed;
  const remaining = (100 - job.progress) / rate;
  if (remaining > 2 * policy.floorMs) return clamp(remaining * 0.6);
  // Close to the predicted end: poll just after it.
  return clamp(remaining + 250);
}

/** Backoff for a job whose poll failed (provider down, network): doubles up to the ceiling. */
export function retryPollDelay(
  failures: number,
  policy: PollPolicy = defaultPollPolicy,
  random = Math.random,
): number {
  const base = Math.min(policy.ceilingMs, policy.firstPollMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}
