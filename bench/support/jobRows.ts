// Jobs written straight into a benchmark's database (SQLite file or PostgreSQL URL), as the bot
// would have left them: many rows in one transaction, where the store writes one job per
// transaction through its quotas. The store must have been opened once (it creates the schema).
import pg from 'pg';
import { openSqliteFile } from '../../src/jobs/store/sqlite/database.ts';
import type { VideoClient } from '../../src/provider/index.ts';

export interface JobRow {
  guildId: string;
  userId: string;
  state: 'queued' | 'in_progress';
  remoteId: string;
  progress: number;
  createdAt: number;
  nextPollAt: number;
  claimedBy: string | null;
  claimExpiresAt: number | null;
}

export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:/.test(database);

/** What the bot's store opens for `database`. */
export const storeSettings = (database: string) =>
  isPostgresUrl(database)
    ? { databasePath: '', databaseUrl: database }
    : { databasePath: database, databaseUrl: undefined };

const fields = ['guild_id', 'user_id', 'state', 'remote_id', 'progress', 'created_at', 'updated_at'] as const;

function insertSqlite(path: string, rows: readonly JobRow[]): void {
  const connection = openSqliteFile(path);
  const insert = connection.prepare(
    `INSERT INTO jobs (${fields.join(', ')}, next_poll_at, claimed_by, claim_expires_at, channel_id, model,
       prompt, seconds, size, reports_progress, media_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', 'veo-3.1-fast-generate-preview', 'bench', 8, '1280x720', 1,
       lower(hex(randomblob(16))))`,
  );
  connection.transaction(() => {
    for (const row of rows) {
      insert.run(
        row.guildId,
        row.userId,
        row.state,
        row.remoteId,
        row.progress,
        row.createdAt,
        row.createdAt,
        row.nextPollAt,
        row.claimedBy,
        row.claimExpiresAt,
      );
    }
  })();
  connection.close();
}

async function insertPostgres(url: string, rows: readonly JobRow[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const column = <T>(value: (row: JobRow) => T) => rows.map(value);
    await client.query(
      `INSERT INTO jobs (${fields.join(', ')}, next_poll_at, claimed_by, claim_expires_at, channel_id, model,
         prompt, seconds, size, reports_progress, media_key)
       SELECT guild_id, user_id, state, remote_id, progress, created_at, created_at, next_poll_at, claimed_by,
         claim_expires_at, '1', 'veo-3.1-fast-generate-preview', 'bench', 8, '1280x720', TRUE, md5(remote_id)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[],
         $8::text[], $9::bigint[])
         AS seeded (guild_id, user_id, state, remote_id, progress, created_at, next_poll_at, claimed_by, claim_expires_at)`,
      [
        column((row) => row.guildId),
        column((row) => row.userId),
        column((row) => row.state),
        column((row) => row.remoteId),
        column((row) => row.progress),
        column((row) => row.createdAt),
        column((row) => row.nextPollAt),
        column((row) => row.claimedBy),
        column((row) => row.claimExpiresAt),
      ],
    );
    // The statistics autovacuum would gather on a live database within a minute.
    await client.query('ANALYZE jobs');
  } finally {
    await client.end();
  }
}

export async function insertJobRows(database: string, rows: readonly JobRow[]): Promise<void> {
  if (isPostgresUrl(database)) await insertPostgres(database, rows);
  else insertSqlite(database, rows);
}

/**
 * Creates `count` jobs at the benchmark's provider, 64 at a time, and returns their rows as a
 * submission would have left them: queued, first poll `firstPollMs` after the create's answer.
 */
export async function createdJobRows(
  client: VideoClient,
  count: number,
  firstPollMs: number,
): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  for (let first = 0; first < count; first += 64) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(64, count - first) }, async (_, offset) => {
        const job = first + offset;
        const createdAt = Date.now();
        const video = await client.create({
          model: 'veo-3.1-fast-generate-preview',
          prompt: `bench job ${job}`,
          seconds: 8,
          size: '1280x720',
        });
        return {
          guildId: String(100 + (job % 100)),
          userId: String(1_000 + job),
          state: 'queued' as const,
          remoteId: video.id,
          progress: video.progress,
          createdAt,
          nextPollAt: Date.now() + firstPollMs,
          claimedBy: null,
          claimExpiresAt: null,
        };
      }),
    );
    rows.push(...batch);
  }
  return rows;
}
