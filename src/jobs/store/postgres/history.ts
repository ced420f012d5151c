// What members, moderators, metrics and admins read, on PostgreSQL. COUNT and the BIGINT sums
// come back as numbers (./database.ts parses int8); SUM over INTEGER is cast to stay int8.
import type { JobState } from '../../states.ts';
import { jobSelectList } from '../columns.ts';
import type { History, Job } from '../contract.ts';
import type { Database } from './database.ts';

const chargedSeconds = 'COALESCE(SUM(CASE WHEN charged THEN seconds ELSE 0 END), 0)::bigint';

function byState(rows: { state: JobState; n: number }[]): Partial<Record<JobState, number>> {
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

export function createHistory(database: Database): History {
  return {
    async history(query) {
      const backwards = query.afterId !== undefined;
      const params: unknown[] = [
        query.guildId,
        query.userId,
        backwards ? query.afterId : (query.beforeId ?? Number.MAX_SAFE_INTEGER),
        query.limit,
      ];
      let stateFilter = '';
      if (query.states?.length) {
        params.push([...query.states]);
        stateFilter = `AND state = ANY($${params.length}::text[])`;
      }
      const jobs = await database.query<Job>(
        `SELECT ${jobSelectList} FROM jobs WHERE guild_id = $1 AND user_id = $2 AND id ${backwards ? '>' : '<'} $3
         ${stateFilter} ORDER BY id ${backwards ? 'ASC' : 'DESC'} LIMIT $4`,
        params,
      );
      return backwards ? jobs.reverse() : jobs;
    },

    madeFrom: async (guildId, jobIds, limit) =>
      jobIds.length === 0
        ? []
        : database.query<Job>(
            `SELECT ${jobSelectList} FROM jobs WHERE origin_job_id = ANY($1::bigint[]) AND guild_id = $2
             ORDER BY id LIMIT $3`,
            [[...jobIds], guildId, limit],
          ),

    async guildCounts(guildId, since) {
      const rows = await database.query<{ state: JobState; n: number; s: number }>(
        `SELECT state, COUNT(*) AS n, ${chargedSeconds} AS s
         FROM jobs WHERE guild_id = $1 AND created_at >= $2 GROUP BY state`,
        [guildId, since],
      );
      return { byState: byState(rows), seconds: rows.reduce((sum, row) => sum + row.s, 0) };
    },

    topMembers: (guildId, since) =>
      database.query<{ userId: string; jobs: number; seconds: number }>(
        `SELECT user_id AS "userId", COUNT(*) AS jobs, ${chargedSeconds} AS seconds
         FROM jobs WHERE guild_id = $1 AND created_at >= $2
         GROUP BY user_id ORDER BY jobs DESC, seconds DESC, user_id LIMIT 5`,
        [guildId, since],
      ),

    failureReasons: (guildId, since) =>
      database.query<{ kind: string; jobs: number }>(
        `SELECT COALESCE(error_kind, 'unknown') AS kind, COUNT(*) AS jobs FROM jobs
         WHERE guild_id = $1 AND created_at >= $2 AND state = 'failed'
         GROUP BY 1 ORDER BY jobs DESC, kind`,
        [guildId, since],
      ),

    async countsByState() {
      return byState(
        await database.query<{ state: JobState; n: number }>(
          'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state',
        ),
      );
    },
  };
}
