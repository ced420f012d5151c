// Spend limits on PostgreSQL: the shared rules (../quotaRules.ts) read the rows through this
// QuotaReader. An insert takes a transaction-scoped advisory lock on its guild first, so two
// processes inserting for one guild take turns: each counts the other's committed job, and no
// limit is overshot. (Row locks could not do this: the rows that would break the limit do not
// exist yet.)
import { newMediaKey } from '../../keptFiles.ts';
import { inFlightStates } from '../../states.ts';
import { jobSelectList, newJobAssignments, type Take } from '../columns.ts';
import type { Job, NewJob, Quotas } from '../contract.ts';
import { insertingOne, type QuotaReader, quotaRefusal, quotaUsage } from '../quotaRules.ts';
import type { Database, Queryable } from './database.ts';
import { asStored } from './rows.ts';

function quotaReader(db: Queryable): QuotaReader {
  const count = async (sql: string, params: unknown[]): Promise<number> => {
    const [row] = await db.query<{ n: number }>(sql, params);
    return row?.n ?? 0;
  };
  return {
    inFlight: (guildId, userId) =>
      count(
        'SELECT COUNT(*) AS n FROM jobs WHERE guild_id = $1 AND user_id = $2 AND state = ANY($3::text[])',
        [guildId, userId, [...inFlightStates]],
      ),
    chargedJobsSince: (guildId, userId, since) =>
      count(
        'SELECT COUNT(*) AS n FROM jobs WHERE guild_id = $1 AND user_id = $2 AND charged AND created_at > $3',
        [guildId, userId, since],
      ),
    async nthNewestChargedAt(guildId, userId, since, offset) {
      const [row] = await db.query<{ createdAt: number }>(
        `SELECT created_at AS "createdAt" FROM jobs WHERE guild_id = $1 AND user_id = $2 AND charged
         AND created_at > $3 ORDER BY created_at DESC LIMIT 1 OFFSET $4`,
        [guildId, userId, since, offset],
      );
      return row?.createdAt ?? null;
    },
    chargedSecondsSince: (guildId, since) =>
      count(
        'SELECT COALESCE(SUM(seconds), 0)::bigint AS n FROM jobs WHERE guild_id = $1 AND charged AND created_at > $2',
        [guildId, since],
      ),
    async *chargedOldestFirst(guildId, since) {
      yield* await db.query<{ createdAt: number; seconds: number }>(
        `SELECT created_at AS "createdAt", seconds FROM jobs WHERE guild_id = $1 AND charged AND created_at > $2
         ORDER BY created_at ASC`,
        [guildId, since],
      );
    },
  };
}

async function insertJob(db: Queryable, job: NewJob, at: number, take?: Take): Promise<Job> {
  const assignments = newJobAssignments(job, newMediaKey(), at, asStored, take);
  const [inserted] = await db.query<Job>(
    `INSERT INTO jobs (${assignments.map((assignment) => assignment.column).join(', ')})
     VALUES (${assignments.map((_, index) => `$${index + 1}`).join(', ')})
     RETURNING ${jobSelectList}`,
    assignments.map((assignment) => assignment.value),
  );
  if (!inserted) throw new Error('INSERT ... RETURNING returned no row');
  return inserted;
}

/** The rows of one request: the first, then the others naming it; the first names itself too. */
async function insertTakes(db: Queryable, job: NewJob, count: number, at: number): Promise<Job[]> {
  const first = await insertJob(db, job, at, { index: 1, count, requestId: null });
  if (count === 1) return [first];
  const [named] = await db.query<Job>(
    `UPDATE jobs SET request_id = id WHERE id = $1 RETURNING ${jobSelectList}`,
    [first.id],
  );
  const jobs = [named ?? first];
  for (let index = 2; index <= count; index++) {
    jobs.push(await insertJob(db, job, at, { index, count, requestId: first.id }));
  }
  return jobs;
}

export function createQuotas(database: Database, now: () => number): Quotas {
  const insertTakesWithinQuota: Quotas['insertTakesWithinQuota'] = (job, takes, limits) =>
    database.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [job.guildId]);
      const at = now();
      const refusal = await quotaRefusal(quotaReader(tx), job, limits, at, takes);
      return refusal ? { ok: false, refusal } : { ok: true, jobs: await insertTakes(tx, job, takes, at) };
    });
  return {
    quotaRefusal: (job, limits, takes) => quotaRefusal(quotaReader(database), job, limits, now(), takes),
    // One REPEATABLE READ snapshot: the counts agree with each other while jobs arrive.
    quotaUsage: (guildId, userId) =>
      database.transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return quotaUsage(quotaReader(tx), guildId, userId, now());
      }),
    insertTakesWithinQuota,
    insertWithinQuota: insertingOne(insertTakesWithinQuota),
  };
}
