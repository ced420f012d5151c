// Leases on SQLite: who polls a job and who delivers it, each until its lease runs out. Every claim
// is taken under the write lock (BEGIN IMMEDIATE), so two processes on one file never get one job.
import { jobSelectList, pollingStateList } from '../columns.ts';
import type { Claims } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';
import { type Row, readJob, toJob } from './rows.ts';

/** Who claims: this store's holder, and the instance part it shares with earlier runs of itself. */
export interface ClaimHolder {
  holder: string;
  /** `<instance>#`: what every holder of this instance's runs starts with. */
  instancePrefix: string;
}

// The queries name the partial index `jobs_due` and spell out the polling states (pollingStateList):
// SQLite uses a partial index only for WHERE terms that repeat its own literally, and without
// statistics the planner would pick `jobs_by_state` and sort every waiting job on each tick.
export function sqliteClaims(
  sql: SqliteDatabase,
  { holder, instancePrefix }: ClaimHolder,
): Synchronous<Claims> {
  const waitingForDelivery = "state IN ('completed', 'delivering')";

  return {
    // A live lease keeps next_poll_at in the future, so only free or lapsed claims are due.
    claimDue: (limit, leaseMs, skip = []) =>
      sql.transaction(() => {
        const at = sql.now();
        const rows = sql
          .prepare(
            `SELECT ${jobSelectList} FROM jobs INDEXED BY jobs_due WHERE next_poll_at IS NOT NULL
             AND next_poll_at <= ? AND state IN (${pollingStateList})
             AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY next_poll_at LIMIT ?`,
          )
          .all(at, JSON.stringify(skip), limit) as Row[];
        const lease = sql.prepare(
          'UPDATE jobs SET next_poll_at = ?, claimed_by = ?, claim_expires_at = ? WHERE id = ?',
        );
        for (const row of rows) lease.run(at + leaseMs, holder, at + leaseMs, row.id);
        return rows.map(toJob);
      }),

    // An earlier run of this instance is dead (this run replaced it): its claims are brought forward.
    // Waits the provider asked for (Retry-After, the 429 pause) were never claims and stay as they are.
    releaseOwnStaleClaims: () =>
      sql.transaction(() => {
        const polls = sql
          .prepare(
            `UPDATE jobs SET next_poll_at = ?, claimed_by = NULL, claim_expires_at = NULL
             WHERE state IN (${pollingStateList}) AND remote_id IS NOT NULL
             AND ((substr(claimed_by, 1, length(?)) = ? AND claimed_by <> ?) OR next_poll_at IS NULL)`,
          )
          .run(sql.now(), instancePrefix, instancePrefix, holder).changes;
        const deliveries = sql
          .prepare(
            `UPDATE jobs SET delivery_claimed_by = NULL, delivery_claim_expires_at = NULL
             WHERE state IN ('completed', 'delivering')
             AND substr(delivery_claimed_by, 1, length(?)) = ? AND delivery_claimed_by <> ?`,
          )
          .run(instancePrefix, instancePrefix, holder).changes;
        return polls + deliveries;
      }),

    nextDueAt() {
      const row = sql
        .prepare(
          `SELECT next_poll_at AS at FROM jobs INDEXED BY jobs_due
           WHERE next_poll_at IS NOT NULL AND state IN (${pollingStateList}) ORDER BY next_poll_at LIMIT 1`,
        )
        .get() as { at: number } | undefined;
      return row?.at ?? null;
    },

    claimDelivery: (id, leaseMs) =>
      sql.transaction(() => {
        const at = sql.now();
        const claimed = sql
          .prepare(
            `UPDATE jobs SET delivery_claimed_by = ?, delivery_claim_expires_at = ?
             WHERE id = ? AND ${waitingForDelivery}
             AND (delivery_claimed_by IS NULL OR delivery_claimed_by = ? OR delivery_claim_expires_at <= ?)`,
          )
          .run(holder, at + leaseMs, id, holder, at).changes;
        return claimed > 0 ? readJob(sql, id) : undefined;
      }),

    releaseDelivery(id) {
      sql
        .prepare(
          `UPDATE jobs SET delivery_claimed_by = NULL, delivery_claim_expires_at = NULL
           WHERE id = ? AND delivery_claimed_by = ?`,
        )
        .run(id, holder);
    },

    // Never expired by the clock: delivery tries the download, and only the provider saying the
    // content is gone expires them.
    undeliveredIdle(at, idleMs) {
      const rows = sql
        .prepare(
          `SELECT ${jobSelectList} FROM jobs WHERE ${waitingForDelivery}
           AND ((delivery_claimed_by IS NULL AND updated_at < ?) OR delivery_claim_expires_at <= ?)
           ORDER BY id`,
        )
        .all(at - idleMs, at) as Row[];
      return rows.map(toJob);
    },
  };
}
