// The spend limits, decided the same way on both databases: each implementation answers these
// few questions about its rows (inside the transaction that may insert the job), and this module
// decides whether the job fits and, when not, when it would.
import type { NewJob, QuotaLimits, QuotaRefusal, Quotas, QuotaUsage } from './contract.ts';

export const dayMs = 24 * 60 * 60 * 1000;

/** What the quota check needs to know of the rows as they are now. */
export interface QuotaReader {
  /** The member's jobs in this guild that are submitting or waiting on the provider. */
  inFlight(guildId: string, userId: string): Promise<number>;
  /** The member's charged jobs in this guild created after `since`. */
  chargedJobsSince(guildId: string, userId: string, since: number): Promise<number>;
  /** created_at of the member's `offset`-th newest charged job after `since` (0 = newest). */
  nthNewestChargedAt(guildId: string, userId: string, since: number, offset: number): Promise<number | null>;
  /** Charged seconds in this guild created after `since`. */
  chargedSecondsSince(guildId: string, since: number): Promise<number>;
  /** The guild's charged jobs after `since`, oldest first (only walked when refusing). */
  chargedOldestFirst(guildId: string, since: number): AsyncIterable<{ createdAt: number; seconds: number }>;
}

/** Which limit `takes` jobs like `job` would hit at `at`, or null when they all fit. */
export async function quotaRefusal(
  reader: QuotaReader,
  job: NewJob,
  limits: QuotaLimits,
  at: number,
  takes = 1,
): Promise<QuotaRefusal | null> {
  const since = at - dayMs;
  const inFlight = await reader.inFlight(job.guildId, job.userId);
  const chargedJobs = await reader.chargedJobsSince(job.guildId, job.userId, since);
  const usedSeconds = await reader.chargedSecondsSince(job.guildId, since);
  const fits = Math.max(
    0,
    Math.min(
      limits.inFlightPerUser - inFlight,
      limits.jobsPerUserPerDay - chargedJobs,
      Math.floor((limits.secondsPerGuildPerDay - usedSeconds) / job.seconds),
      takes,
    ),
  );
  if (fits >= takes) return null;
  const refusal = await firstLimitHit(reader, job, limits, at, takes, { inFlight, chargedJobs, usedSeconds });
  return takes > 1 ? { ...refusal, takes: { requested: takes, fits } } : refusal;
}

/** The first limit (in-flight, then the member's day, then the server's seconds) that `takes` jobs break. */
async function firstLimitHit(
  reader: QuotaReader,
  job: NewJob,
  limits: QuotaLimits,
  at: number,
  takes: number,
  counts: { inFlight: number; chargedJobs: number; usedSeconds: number },
): Promise<QuotaRefusal> {
  const since = at - dayMs;
  if (counts.inFlight + takes > limits.inFlightPerUser) {
    return { limit: 'in_flight', max: limits.inFlightPerUser, frees: 'when_a_running_job_ends' };
  }
  if (counts.chargedJobs + takes > limits.jobsPerUserPerDay) {
    // Frees up when the oldest job that keeps the count too high for the request leaves the window.
    const oldest = await reader.nthNewestChargedAt(
      job.guildId,
      job.userId,
      since,
      Math.max(0, limits.jobsPerUserPerDay - takes),
    );
    return { limit: 'user_daily', max: limits.jobsPerUserPerDay, freesAt: (oldest ?? at) + dayMs };
  }
  const seconds = job.seconds * takes;
  if (seconds > limits.secondsPerGuildPerDay) {
    return { limit: 'guild_seconds_never', max: limits.secondsPerGuildPerDay, seconds };
  }
  // Frees up once enough of the oldest jobs leave the window. The request fits the allowance on
  // its own, so enough rows to free it always exist.
  let remaining = counts.usedSeconds;
  let freesAt = at;
  for await (const row of reader.chargedOldestFirst(job.guildId, since)) {
    remaining -= row.seconds;
    freesAt = row.createdAt + dayMs;
    if (remaining + seconds <= limits.secondsPerGuildPerDay) break;
  }
  return { limit: 'guild_seconds', max: limits.secondsPerGuildPerDay, used: counts.usedSeconds, freesAt };
}

/** The member's figures at `at`, as the rule above counts them, and when the oldest leave the window. */
export async function quotaUsage(
  reader: QuotaReader,
  guildId: string,
  userId: string,
  at: number,
): Promise<QuotaUsage> {
  const since = at - dayMs;
  const inFlight = await reader.inFlight(guildId, userId);
  const jobsToday = await reader.chargedJobsSince(guildId, userId, since);
  const oldestJob =
    jobsToday > 0 ? await reader.nthNewestChargedAt(guildId, userId, since, jobsToday - 1) : null;
  const guildSeconds = await reader.chargedSecondsSince(guildId, since);
  // The oldest job, with the takes made in the same moment (they leave the window together).
  let freesAt: number | null = null;
  let freed = 0;
  for await (const row of reader.chargedOldestFirst(guildId, since)) {
    if (freesAt !== null && row.createdAt + dayMs !== freesAt) break;
    freesAt = row.createdAt + dayMs;
    freed += row.seconds;
  }
  return {
    at,
    inFlight,
    jobsToday,
    nextJobFreesAt: oldestJob === null ? null : oldestJob + dayMs,
    guildSeconds,
    nextSecondsFree: freesAt === null ? null : { at: freesAt, seconds: freed },
  };
}

/** `insertWithinQuota`: a request of one take. */
export function insertingOne(insertTakes: Quotas['insertTakesWithinQuota']): Quotas['insertWithinQuota'] {
  return async (job, limits) => {
    const inserted = await insertTakes(job, 1, limits);
    if (!inserted.ok) return inserted;
    const [first] = inserted.jobs;
    if (!first) throw new Error('an insert of one take returned no row');
    return { ok: true, job: first };
  };
}
