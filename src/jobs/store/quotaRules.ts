// The spend limits, decided the same way on both databases: each implementation answers these
// few questions about its rows (inside the transaction that may insert the job), and this module
// decides whether the job fits and, when not, when it would.
import type { NewJob, QuotaLimits, QuotaRefusal } from './contract.ts';

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

/** Which limit `job` would hit at `at`, or null when it fits. */
export async function quotaRefusal(
  reader: QuotaReader,
  job: NewJob,
  limits: QuotaLimits,
  at: number,
): Promise<QuotaRefusal | null> {
  const since = at - dayMs;
  if ((await reader.inFlight(job.guildId, job.userId)) >= limits.inFlightPerUser) {
    return { limit: 'in_flight', max: limits.inFlightPerUser, frees: 'when_a_running_job_ends' };
  }

  if ((await reader.chargedJobsSince(job.guildId, job.userId, since)) >= limits.jobsPerUserPerDay) {
    // Frees up when the oldest job that keeps the count at the limit leaves the 24-hour window.
    const oldest = await reader.nthNewestChargedAt(
      job.guildId,
      job.userId,
      since,
      limits.jobsPerUserPerDay - 1,
    );
    return { limit: 'user_daily', max: limits.jobsPerUserPerDay, freesAt: (oldest ?? at) + dayMs };
  }

  if (job.seconds > limits.secondsPerGuildPerDay) {
    return { limit: 'guild_seconds_never', max: limits.secondsPerGuildPerDay, seconds: job.seconds };
  }
  const used = await reader.chargedSecondsSince(job.guildId, since);
  if (used + job.seconds <= limits.secondsPerGuildPerDay) return null;
  // Frees up once enough of the oldest jobs leave the window. The request fits the allowance on
  // its own, so enough rows to free it always exist.
  let remaining = used;
  let freesAt = at;
  for await (const row of reader.chargedOldestFirst(job.guildId, since)) {
    remaining -= row.seconds;
    freesAt = row.createdAt + dayMs;
    if (remaining + job.seconds <= limits.secondsPerGuildPerDay) break;
  }
  return { limit: 'guild_seconds', max: limits.secondsPerGuildPerDay, used, freesAt };
}
