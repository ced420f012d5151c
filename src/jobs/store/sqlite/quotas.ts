// Spend limits on SQLite: the quota rules (../quotaRules.ts) read the rows here, and a job is
// inserted in the same transaction that found it fits, holding the write lock throughout.
import { newMediaKey } from '../../keptFiles.ts';
import { inFlightStates } from '../../states.ts';
import { newJobAssignments, type Take } from '../columns.ts';
import type { Job, NewJob, Quotas } from '../contract.ts';
import { insertingOne, type QuotaReader, quotaRefusal, quotaUsage } from '../quotaRules.ts';
import type { SqliteDatabase } from './database.ts';
import { mustReadJob, toSqlite } from './rows.ts';

const inFlightList = inFlightStates.map((state) => `'${state}'`).join(', ');

/** The quota rules' questions, answered from the rows; run only inside an `exclusive` transaction. */
function sqliteQuotaReader(sql: SqliteDatabase): QuotaReader {
  return {
    async inFlight(guildId, userId) {
      const row = sql
        .prepare(
          `SELECT COUNT(*) AS n FROM jobs WHERE guild_id = ? AND user_id = ? AND state IN (${inFlightList})`,
        )
        .get(guildId, userId) as { n: number };
      return row.n;
    },
    async chargedJobsSince(guildId, userId, since) {
      const row = sql
        .prepare(
          'SELECT COUNT(*) AS n FROM jobs WHERE guild_id = ? AND user_id = ? AND charged = 1 AND created_at > ?',
        )
        .get(guildId, userId, since) as { n: number };
      return row.n;
    },
    async nthNewestChargedAt(guildId, userId, since, offset) {
      const row = sql
        .prepare(
          `SELECT created_at AS createdAt FROM jobs WHERE guild_id = ? AND user_id = ? AND charged = 1
           AND created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?`,
        )
        .get(guildId, userId, since, offset) as { createdAt: number } | undefined;
      return row?.createdAt ?? null;
    },
    async chargedSecondsSince(guildId, since) {
      const row = sql
        .prepare(
          'SELECT COALESCE(SUM(seconds), 0) AS used FROM jobs WHERE guild_id = ? AND charged = 1 AND created_at > ?',
        )
        .get(guildId, since) as { used: number };
      return row.used;
    },
    async *chargedOldestFirst(guildId, since) {
      const rows = sql
        .prepare(
          `SELECT created_at AS createdAt, seconds FROM jobs WHERE guild_id = ? AND charged = 1 AND created_at > ?
           ORDER BY created_at ASC`,
        )
        .iterate(guildId, since) as IterableIterator<{ createdAt: number; seconds: number }>;
      // Stopping early (the rule has its answer) ends the statement through the loop's return().
      for (const row of rows) yield row;
    },
  };
}

function insertJob(sql: SqliteDatabase, job: NewJob, at: number, take?: Take): Job {
  const assignments = newJobAssignments(job, newMediaKey(), at, toSqlite, take);
  const result = sql
    .prepare(
      `INSERT INTO jobs (${assignments.map((assignment) => assignment.column).join(', ')})
       VALUES (${assignments.map(() => '?').join(', ')})`,
    )
    .run(...assignments.map((assignment) => assignment.value));
  return mustReadJob(sql, Number(result.lastInsertRowid));
}

/** The rows of one request: the first, then the others naming it; the first names itself too. */
function insertTakes(sql: SqliteDatabase, job: NewJob, count: number): Job[] {
  const at = sql.now();
  const first = insertJob(sql, job, at, { index: 1, count, requestId: null });
  if (count === 1) return [first];
  sql.prepare('UPDATE jobs SET request_id = id WHERE id = ?').run(first.id);
  const rest = Array.from({ length: count - 1 }, (_, i) =>
    insertJob(sql, job, at, { index: i + 2, count, requestId: first.id }),
  );
  return [mustReadJob(sql, first.id), ...rest];
}

export function sqliteQuotas(sql: SqliteDatabase): Quotas {
  const reader = sqliteQuotaReader(sql);
  // The write lock from the first count to the insert: a second process inserting for the same
  // guild waits, then counts these jobs too.
  const insertTakesWithinQuota: Quotas['insertTakesWithinQuota'] = (job, takes, limits) =>
    sql.exclusive('write', async () => {
      const refusal = await quotaRefusal(reader, job, limits, sql.now(), takes);
      return refusal ? { ok: false, refusal } : { ok: true, jobs: insertTakes(sql, job, takes) };
    });
  return {
    // One read transaction: the rule's counts all come from one snapshot.
    quotaRefusal: (job, limits, takes) =>
      sql.exclusive('read', () => quotaRefusal(reader, job, limits, sql.now(), takes)),
    quotaUsage: (guildId, userId) =>
      sql.exclusive('read', () => quotaUsage(reader, guildId, userId, sql.now())),
    insertTakesWithinQuota,
    insertWithinQuota: insertingOne(insertTakesWithinQuota),
  };
}
