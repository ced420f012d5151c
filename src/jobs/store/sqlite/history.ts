// What members, moderators, metrics and admins read on SQLite: history pages and usage counts.
import type { JobState } from '../../states.ts';
import { jobSelectList } from '../columns.ts';
import type { History } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';
import { type Row, toJob } from './rows.ts';

const chargedSeconds = 'SUM(CASE WHEN charged = 1 THEN seconds ELSE 0 END)';

export function sqliteHistory(sql: SqliteDatabase): Synchronous<History> {
  return {
    // `beforeId` (the last id of a page) gives the next page, `afterId` (the first) the previous one.
    history(query) {
      const stateFilter = query.states?.length
        ? `AND state IN (${query.states.map(() => '?').join(', ')})`
        : '';
      const backwards = query.afterId !== undefined;
      const rows = sql
        .prepare(
          `SELECT ${jobSelectList} FROM jobs WHERE guild_id = ? AND user_id = ? AND id ${backwards ? '>' : '<'} ?
           ${stateFilter} ORDER BY id ${backwards ? 'ASC' : 'DESC'} LIMIT ?`,
        )
        .all(
          query.guildId,
          query.userId,
          backwards ? query.afterId : (query.beforeId ?? Number.MAX_SAFE_INTEGER),
          ...(query.states ?? []),
          query.limit,
        ) as Row[];
      const jobs = rows.map(toJob);
      return backwards ? jobs.reverse() : jobs;
    },

    madeFrom(guildId, jobIds, limit) {
      if (jobIds.length === 0) return [];
      const rows = sql
        .prepare(
          `SELECT ${jobSelectList} FROM jobs WHERE origin_job_id IN (${jobIds.map(() => '?').join(', ')})
           AND guild_id = ? ORDER BY id LIMIT ?`,
        )
        .all(...jobIds, guildId, limit) as Row[];
      return rows.map(toJob);
    },

    guildCounts(guildId, since) {
      const rows = sql
        .prepare(
          `SELECT state, COUNT(*) AS n, ${chargedSeconds} AS s FROM jobs
           WHERE guild_id = ? AND created_at >= ? GROUP BY state`,
        )
        .all(guildId, since) as { state: JobState; n: number; s: number }[];
      const byState: Partial<Record<JobState, number>> = {};
      let seconds = 0;
      for (const row of rows) {
        byState[row.state] = row.n;
        seconds += row.s;
      }
      return { byState, seconds };
    },

    topMembers: (guildId, since) =>
      sql
        .prepare(
          `SELECT user_id AS userId, COUNT(*) AS jobs, ${chargedSeconds} AS seconds FROM jobs
           WHERE guild_id = ? AND created_at >= ? GROUP BY user_id ORDER BY jobs DESC, seconds DESC, user_id LIMIT 5`,
        )
        .all(guildId, since) as { userId: string; jobs: number; seconds: number }[],

    failureReasons: (guildId, since) =>
      sql
        .prepare(
          `SELECT COALESCE(error_kind, 'unknown') AS kind, COUNT(*) AS jobs FROM jobs
           WHERE guild_id = ? AND created_at >= ? AND state = 'failed' GROUP BY kind ORDER BY jobs DESC, kind`,
        )
        .all(guildId, since) as { kind: string; jobs: number }[],

    countsByState() {
      const rows = sql.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as {
        state: JobState;
        n: number;
      }[];
      return Object.fromEntries(rows.map((row) => [row.state, row.n]));
    },
  };
}
