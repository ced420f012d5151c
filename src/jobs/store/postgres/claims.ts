// Leases on PostgreSQL. A poll claim locks the due rows it takes with FOR UPDATE SKIP LOCKED, so
// a second process claiming at the same moment skips them instead of waiting or taking them too;
// the claim moves their next poll to the lease's end, so nobody sees them due until it runs out.
// A delivery claim is one conditional UPDATE: it is taken only when free, lapsed, or already ours.
import { jobColumns, jobSelectList, pollingStateList } from '../columns.ts';
import type { Claims, Job } from '../contract.ts';
import type { Database } from './database.ts';

/** The fields of a Job as a CTE returns them (already named as the Job's). */
const jobFieldList = Object.keys(jobColumns)
  .map((field) => `"${field}"`)
  .join(', ');

/** Waiting for delivery: completed, or a delivery under way. */
const deliveryStates = "'completed', 'delivering'";

export function createClaims(database: Database, now: () => number, holder: string): Claims {
  /** This process slot's earlier runs name their claims `<instance>#<another random part>`. */
  const instancePrefix = holder.slice(0, holder.lastIndexOf('#') + 1);

  return {
    async claimDue(limit, leaseMs, skip = []) {
      const at = now();
      // Handed back as they were when due: the tracker measures a poll's lag from nextPollAt.
      const rows = await database.query<Job & { dueAt: number }>(
        `WITH due AS (
           SELECT id AS due_id, next_poll_at AS due_at FROM jobs
           WHERE next_poll_at IS NOT NULL AND next_poll_at <= $1 AND state IN (${pollingStateList})
             AND id <> ALL($2::bigint[])
           ORDER BY next_poll_at LIMIT $3
           FOR UPDATE SKIP LOCKED
         ), claimed AS (
           UPDATE jobs SET claimed_by = $4, claim_expires_at = $5, next_poll_at = $5
           FROM due WHERE jobs.id = due.due_id
           RETURNING ${jobSelectList}, due.due_at AS "dueAt"
         )
         SELECT ${jobFieldList}, "dueAt" FROM claimed ORDER BY "dueAt", "id"`,
        [at, [...skip], limit, holder, at + leaseMs],
      );
      return rows.map(({ dueAt, ...job }) => ({ ...job, nextPollAt: dueAt }));
    },

    async releaseOwnStaleClaims() {
      const rows = await database.query(
        `UPDATE jobs SET next_poll_at = $1, claimed_by = NULL, claim_expires_at = NULL
         WHERE state IN (${pollingStateList}) AND remote_id IS NOT NULL
           AND ((claimed_by IS NOT NULL AND starts_with(claimed_by, $2) AND claimed_by <> $3)
                OR next_poll_at IS NULL)
         RETURNING id`,
        [now(), instancePrefix, holder],
      );
      const deliveries = await database.query(
        `UPDATE jobs SET delivery_claimed_by = NULL, delivery_claim_expires_at = NULL
         WHERE state IN ('completed', 'delivering')
           AND starts_with(delivery_claimed_by, $1) AND delivery_claimed_by <> $2
         RETURNING id`,
        [instancePrefix, holder],
      );
      return rows.length + deliveries.length;
    },

    async nextDueAt() {
      const [row] = await database.query<{ at: number | null }>(
        `SELECT MIN(next_poll_at) AS at FROM jobs WHERE next_poll_at IS NOT NULL AND state IN (${pollingStateList})`,
      );
      return row?.at ?? null;
    },

    async claimDelivery(id, leaseMs) {
      const at = now();
      const [job] = await database.query<Job>(
        `UPDATE jobs SET delivery_claimed_by = $2, delivery_claim_expires_at = $3
         WHERE id = $1 AND state IN (${deliveryStates})
           AND (delivery_claimed_by IS NULL OR delivery_claimed_by = $2 OR delivery_claim_expires_at <= $4)
         RETURNING ${jobSelectList}`,
        [id, holder, at + leaseMs, at],
      );
      return job;
    },

    async releaseDelivery(id) {
      await database.query(
        `UPDATE jobs SET delivery_claimed_by = NULL, delivery_claim_expires_at = NULL
         WHERE id = $1 AND delivery_claimed_by = $2`,
        [id, holder],
      );
    },

    undeliveredIdle: (at, idleMs) =>
      database.query<Job>(
        `SELECT ${jobSelectList} FROM jobs WHERE state IN (${deliveryStates})
           AND ((delivery_claimed_by IS NULL AND updated_at < $1) OR delivery_claim_expires_at <= $2)
         ORDER BY id`,
        [at - idleMs, at],
      ),
  };
}
