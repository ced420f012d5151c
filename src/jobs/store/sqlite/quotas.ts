// Spend limits on SQLite: the quota rules (../quotaRules.ts) read the rows here, and a job is
// inserted in the same transaction that found it fits, holding the write lock throughout.
import { newMediaKey } from '../../keptFiles.ts';
import { inFlightStates } from '../../states.ts';
import type { Job, NewJob, Quotas } from '../contract.ts';
import { type QuotaReader, quotaRefusal } from '../quotaRules.ts';
import type { SqliteDatabase } from './database.ts';
import { mustReadJob } from './rows.ts';

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

function insertJob(sql: SqliteDatabase, job: NewJob): Job {
  const at = sql.now();
  const result = sql
    .prepare(
      `INSERT INTO jobs (guild_id, channel_id, user_id, application_id, interaction_id, interaction_token,
         interaction_created_at, ephemeral, attachment_size_limit, locale, model, prompt, seconds, size,
         reference_url, reference_name, reference_size, remix_of_job_id, first_card_pending_until, media_key,
         state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?)`,
    )
    .run(
      job.guildId,
      job.channelId,
      job.userId,
      job.applicationId ?? null,
      job.interactionId ?? null,
      job.interactionToken ?? null,
      job.interactionCreatedAt ?? null,
      job.ephemeral ? 1 : 0,
      job.attachmentSizeLimit ?? null,
      job.locale ?? 'en-US',
      job.model,
      job.prompt,
      job.seconds,
      job.size,
      job.referenceUrl ?? null,
      job.referenceName ?? null,
      job.referenceSize ?? null,
      job.remixOfJobId ?? null,
      job.firstCardPendingUntil ?? null,
      newMediaKey(),
      at,
      at,
    );
  return mustReadJob(sql, Number(result.lastInsertRowid));
}

export function sqliteQuotas(sql: SqliteDatabase): Quotas {
  const reader = sqliteQuotaReader(sql);
  return {
    // One read transaction: the rule's counts all come from one snapshot.
    quotaRefusal: (job, limits) => sql.exclusive('read', () => quotaRefusal(reader, job, limits, sql.now())),

    // The write lock from the first count to the insert: a second process inserting for the same
    // guild waits, then counts this job too.
    insertWithinQuota: (job, limits) =>
      sql.exclusive('write', async () => {
        const refusal = await quotaRefusal(reader, job, limits, sql.now());
        return refusal ? { ok: false, refusal } : { ok: true, job: insertJob(sql, job) };
      }),
  };
}
