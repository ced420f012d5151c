// `npm run migrate-to-postgres`: an SQLite database at the latest schema, copied into an empty
// PostgreSQL database, is the same bot's data there: every row, its booleans and its ids, and
// new ids continue after the copied ones. Anything else is refused before a row is written.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/jobs/store/postgres/index.ts';
import { migrate } from '../../../src/jobs/store/sqlite/migrations.ts';
import { CopyError, copySqliteToPostgres, sqliteVersionCopied } from '../../../src/migrateToPostgres.ts';
import { freshDatabase } from '../../support/database.ts';
import { generous, newJob } from '../helpers.ts';

const t0 = Date.UTC(2026, 10, 24, 12);

const sqlitePath = () => join(mkdtempSync(join(tmpdir(), 'reelbot-copy-')), 'reelbot.db');

/** An SQLite file at the latest version holding a few rows of every table (job ids 1, 2 and 5). */
function sqliteFile(): string {
  const path = sqlitePath();
  const db = new BetterSqlite3(path);
  expect(migrate(db)).toBe(sqliteVersionCopied);
  const insertJob = db.prepare(
    `INSERT INTO jobs (id, remote_id, guild_id, channel_id, user_id, application_id, interaction_id,
       interaction_token, interaction_created_at, reply_message_id, ephemeral, attachment_size_limit, locale,
       model, prompt, seconds, size, reference_images, remix_of_job_id, origin_kind, origin_job_id,
       origin_channel_id, origin_message_id, origin_author_id, origin_author_name, request_id, take_index,
       take_count, state,
       progress, reports_progress, error_kind, error_code, error_message, video_url, video_expires_at,
       media_path, media_bytes, charged, created_at, updated_at, completed_at, delivered_at, next_poll_at,
       poll_attempts, progress_changed_at, delivery_attempts, fallback_channel_id, media_key,
       made_before_media_keys, first_card_pending_until, claimed_by, claim_expires_at, thread_id, style_name,
       style_text, style_placement, defaults_applied, removed_at, removed_by, removed_by_role)
     VALUES (@id, @remote, 'g1', 'c1', 'u1', 'app', 'i1', 'tok', @at, 'm1', @flag, 26214400, 'zh-TW',
       'veo-3.1-fast-generate-preview', @prompt, 8, '1280x720', @references, @remix, @originKind, @remix,
       @originChannel, @originMessage, @originAuthor, @originAuthorName, @request, @takeIndex, @takeCount, @state, @progress, @flag, @errorKind, NULL, NULL, 'https://v.example/1.mp4',
       @at + 3600000, 'data/media/x.mp4', 1048576, @charged, @at, @at + 1, @at + 2, NULL, @nextPoll, 3,
       @at + 4, 1, 'c9', @key, @flag, @firstCard, @claimedBy, @claimExpires, @thread, @styleName, @styleText,
       @stylePlacement, @defaults, @removedAt, @removedBy, @removedByRole)`,
  );
  const job = {
    at: t0,
    flag: 1,
    references: JSON.stringify([
      { url: 'https://cdn.example/ref.png', name: 'ref.png', size: '640x480' },
      { url: 'https://cdn.example/two.png', name: '第二张.png', size: null },
    ]),
    originKind: 'message',
    originChannel: 'c7',
    originMessage: 'm7',
    originAuthor: 'u7',
    originAuthorName: 'Zoë',
    request: null,
    takeIndex: 1,
    takeCount: 1,
    remix: null,
    progress: 100,
    errorKind: null,
    charged: 1,
    nextPoll: null,
    firstCard: null,
    claimedBy: null,
    claimExpires: null,
    thread: 't1',
    styleName: 'Noir',
    styleText: 'in black and white',
    stylePlacement: 'after',
    defaults: '["size","style"]',
    removedAt: t0 + 5,
    removedBy: 'u9',
    removedByRole: 'moderator',
  };
  insertJob.run({ ...job, id: 1, remote: 'r1', prompt: 'a lion', state: 'delivered', key: 'a'.repeat(32) });
  insertJob.run({
    ...job,
    id: 2,
    remote: 'r2',
    prompt: 'the lion again',
    state: 'queued',
    key: 'b'.repeat(32),
    flag: 0,
    references: '[]',
    originKind: 'remix',
    originChannel: null,
    originMessage: null,
    originAuthor: null,
    originAuthorName: null,
    request: 2,
    takeIndex: 1,
    takeCount: 2,
    remix: 1,
    progress: 40,
    charged: 0,
    nextPoll: t0 + 5_000,
    firstCard: t0 + 9_000,
    claimedBy: 'old-host#0123456789ab',
    claimExpires: t0 + 60_000,
    thread: null,
    styleName: null,
    styleText: null,
    stylePlacement: null,
    defaults: '[]',
    removedAt: null,
    removedBy: null,
    removedByRole: null,
  });
  insertJob.run({
    ...job,
    id: 5,
    remote: null,
    prompt: 'refused',
    state: 'failed',
    key: 'c'.repeat(32),
    errorKind: 'moderation',
  });
  db.prepare(
    `INSERT INTO guild_settings (guild_id, in_flight_per_user, allowed_channel_ids, moderator_role_id, updated_at)
     VALUES ('g1', 3, '["c1","c2"]', 'r9', ?)`,
  ).run(t0);
  db.prepare(
    `INSERT INTO blocked_members (guild_id, user_id, blocked_by, reason, created_at) VALUES ('g1', 'u7', 'u1', 'spam', ?)`,
  ).run(t0);
  const audit = db.prepare(
    `INSERT INTO audit_log (id, guild_id, actor_id, action, target, details, created_at) VALUES (?, 'g1', 'u1', ?, 'u7', '{"reason":"spam"}', ?)`,
  );
  audit.run(1, 'block', t0);
  audit.run(7, 'quota', t0 + 1);
  db.prepare("INSERT INTO key_values (key, value, updated_at) VALUES ('provider_pause_until', '123', ?)").run(
    t0,
  );
  db.prepare(
    `INSERT INTO guild_styles (guild_id, name_key, name, text, placement, model, size, seconds, created_by, created_at)
     VALUES ('g1', 'noir', 'Noir', 'in black and white', 'after', NULL, '720x1280', 4, 'u1', ?)`,
  ).run(t0);
  db.prepare(
    `INSERT INTO channel_settings (guild_id, channel_id, model, size, seconds, style_name, threads, max_seconds,
       max_takes, updated_at) VALUES ('g1', 'c1', NULL, '720x1280', NULL, 'Noir', 1, 4, 1, ?)`,
  ).run(t0);
  db.prepare(
    `INSERT INTO blocked_words (guild_id, word_key, word, created_by, created_at) VALUES ('g1', 'block', 'Block', 'u1', ?)`,
  ).run(t0);
  db.prepare(
    `INSERT INTO prompt_refusals (id, guild_id, user_id, reason, created_at) VALUES (4, 'g1', 'u7', 'blocked_word', ?)`,
  ).run(t0);
  db.prepare('INSERT INTO webhook_deliveries (webhook_id, received_at) VALUES (?, ?)').run('msg_1', t0);
  db.prepare(
    "INSERT INTO webhook_pending (remote_id, event, received_at) VALUES ('r9', 'video.completed', ?)",
  ).run(t0);
  db.prepare(
    `INSERT INTO generation_samples (id, model, seconds, size, duration_ms, finished_at)
     VALUES (3, 'veo-3.1-fast-generate-preview', 8, '1280x720', 61000, ?)`,
  ).run(t0);
  db.close();
  return path;
}

async function rowsOf(url: string, query: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(query)).rows;
  } finally {
    await client.end();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function emptyPostgres() {
  const database = await freshDatabase();
  cleanups.push(database.drop);
  return database;
}

describe('npm run migrate-to-postgres', () => {
  it('copies every row with its id and booleans, and new ids continue after the copied ones', async () => {
    const target = await emptyPostgres();
    const counts = await copySqliteToPostgres(sqliteFile(), target.url);
    expect(counts).toEqual({
      jobs: 3,
      guildSettings: 1,
      blockedMembers: 1,
      auditEntries: 2,
      sharedValues: 1,
      styles: 1,
      channelSettings: 1,
      blockedWords: 1,
      promptRefusals: 1,
      webhookDeliveries: 1,
      webhookPending: 1,
      generationSamples: 1,
    });

    const store = await openPostgresStore(target.url, { now: () => t0 + 10_000 });
    cleanups.push(() => store.close());
    expect(await store.get(1)).toEqual({
      id: 1,
      remoteId: 'r1',
      guildId: 'g1',
      channelId: 'c1',
      userId: 'u1',
      applicationId: 'app',
      interactionId: 'i1',
      interactionToken: 'tok',
      interactionCreatedAt: t0,
      replyMessageId: 'm1',
      ephemeral: true,
      attachmentSizeLimit: 26_214_400,
      locale: 'zh-TW',
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'a lion',
      seconds: 8,
      size: '1280x720',
      referenceImages: [
        { url: 'https://cdn.example/ref.png', name: 'ref.png', size: '640x480' },
        { url: 'https://cdn.example/two.png', name: '第二张.png', size: null },
      ],
      remixOfJobId: null,
      originKind: 'message',
      originJobId: null,
      originChannelId: 'c7',
      originMessageId: 'm7',
      originAuthorId: 'u7',
      originAuthorName: 'Zoë',
      requestId: null,
      takeIndex: 1,
      takeCount: 1,
      state: 'delivered',
      progress: 100,
      reportsProgress: true,
      errorKind: null,
      errorCode: null,
      errorMessage: null,
      videoUrl: 'https://v.example/1.mp4',
      videoExpiresAt: t0 + 3_600_000,
      mediaPath: 'data/media/x.mp4',
      mediaBytes: 1_048_576,
      charged: true,
      createdAt: t0,
      updatedAt: t0 + 1,
      completedAt: t0 + 2,
      deliveredAt: null,
      nextPollAt: null,
      pollAttempts: 3,
      progressChangedAt: t0 + 4,
      deliveryAttempts: 1,
      fallbackChannelId: 'c9',
      mediaKey: 'a'.repeat(32),
      madeBeforeMediaKeys: true,
      firstCardPendingUntil: null,
      threadId: 't1',
      styleName: 'Noir',
      styleText: 'in black and white',
      stylePlacement: 'after',
      defaultsApplied: ['size', 'style'],
      removedAt: t0 + 5,
      removedBy: 'u9',
      removedByRole: 'moderator',
    });
    expect(await store.get(2)).toMatchObject({
      remixOfJobId: 1,
      referenceImages: [],
      originKind: 'remix',
      originJobId: 1,
      requestId: 2,
      takeCount: 2,
      state: 'queued',
      ephemeral: false,
      reportsProgress: false,
      charged: false,
      madeBeforeMediaKeys: false,
      nextPollAt: t0 + 5_000,
      firstCardPendingUntil: t0 + 9_000,
    });
    expect(await store.get(5)).toMatchObject({ state: 'failed', errorKind: 'moderation', remoteId: null });
    expect(await store.get(2)).toMatchObject({ threadId: null, defaultsApplied: [], removedAt: null });
    expect(await store.channelSettings('g1', 'c1')).toEqual({
      guildId: 'g1',
      channelId: 'c1',
      model: null,
      size: '720x1280',
      seconds: null,
      styleName: 'Noir',
      threads: true,
      maxSeconds: 4,
      maxTakes: 1,
    });
    expect(
      await rowsOf(
        target.url,
        `SELECT (SELECT name FROM guild_styles) AS style, (SELECT word FROM blocked_words) AS word,
           (SELECT id FROM prompt_refusals) AS refusal, (SELECT webhook_id FROM webhook_deliveries) AS webhook,
           (SELECT event FROM webhook_pending) AS pending, (SELECT duration_ms FROM generation_samples) AS sample`,
      ),
    ).toEqual([
      {
        style: 'Noir',
        word: 'Block',
        refusal: '4',
        webhook: 'msg_1',
        pending: 'video.completed',
        sample: '61000',
      },
    ]);
    expect(await store.get(3)).toBeUndefined();
    // The SQLite bot's leases are not carried over: nothing holds them once it is stopped.
    expect(await rowsOf(target.url, 'SELECT claimed_by, claim_expires_at FROM jobs WHERE id = 2')).toEqual([
      { claimed_by: null, claim_expires_at: null },
    ]);

    expect(await store.guildSettings('g1')).toEqual({
      guildId: 'g1',
      inFlightPerUser: 3,
      jobsPerUserPerDay: null,
      secondsPerDay: null,
      allowedChannelIds: ['c1', 'c2'],
      moderatorRoleId: 'r9',
    });
    expect(await store.blocked('g1')).toEqual([{ userId: 'u7', reason: 'spam', createdAt: t0 }]);
    expect((await store.auditLog('g1', 10)).map((entry) => [entry.id, entry.action, entry.details])).toEqual([
      [7, 'quota', '{"reason":"spam"}'],
      [1, 'block', '{"reason":"spam"}'],
    ]);
    expect(await store.readValue('provider_pause_until')).toBe('123');

    const inserted = await store.insertWithinQuota(newJob(), generous);
    expect(inserted.ok && inserted.job.id).toBe(6);
    await store.audit({ guildId: 'g1', actorId: 'u1', action: 'unblock', target: 'u7' });
    expect((await store.auditLog('g1', 1))[0]?.id).toBe(8);
  });

  it('refuses a target that already has rows, and copies nothing', async () => {
    const target = await emptyPostgres();
    await copySqliteToPostgres(sqliteFile(), target.url);
    const again = copySqliteToPostgres(sqliteFile(), target.url);
    await expect(again).rejects.toBeInstanceOf(CopyError);
    await expect(again).rejects.toThrow(
      "DATABASE_URL's database is not empty (3 rows in jobs, 1 rows in guild_settings, 1 rows in blocked_members, 2 rows in audit_log, 1 rows in key_values, 1 rows in guild_styles, 1 rows in channel_settings, 1 rows in blocked_words, 1 rows in prompt_refusals, 1 rows in webhook_deliveries, 1 rows in webhook_pending, 1 rows in generation_samples): the copy goes only into an empty database, and nothing was copied",
    );
    expect(await rowsOf(target.url, 'SELECT COUNT(*)::int AS n FROM jobs')).toEqual([{ n: 3 }]);
  });

  it('refuses an SQLite database that is not at the latest schema, saying to run npm run migrate', async () => {
    const target = await emptyPostgres();
    const older = sqlitePath();
    const db = new BetterSqlite3(older);
    expect(migrate(db, 7)).toBe(7);
    db.close();
    await expect(copySqliteToPostgres(older, target.url)).rejects.toThrow(
      `the SQLite database ${older} is at schema version 7, older than this reelbot's ${sqliteVersionCopied}: run npm run migrate first, then copy it`,
    );
    expect(await rowsOf(target.url, "SELECT to_regclass('jobs') AS jobs")).toEqual([{ jobs: null }]);
  });

  it('rolls everything back when PostgreSQL refuses a row part-way', async () => {
    const target = await emptyPostgres();
    const path = sqliteFile();
    const db = new BetterSqlite3(path);
    // SQLite keeps any text in an INTEGER column; PostgreSQL's BIGINT refuses it.
    db.prepare("INSERT INTO blocked_members VALUES ('g1', 'u8', 'u1', NULL, 'yesterday')").run();
    db.close();
    await expect(copySqliteToPostgres(path, target.url)).rejects.toThrow(
      /^the copy into DATABASE_URL's database failed and was rolled back \(invalid input syntax for type bigint: "yesterday"\)$/,
    );
    expect(
      await rowsOf(
        target.url,
        'SELECT (SELECT COUNT(*) FROM jobs)::int AS jobs, (SELECT COUNT(*) FROM guild_settings)::int AS settings',
      ),
    ).toEqual([{ jobs: 0, settings: 0 }]);
  });

  it('prints the counts as a command, and a sentence without the password when it cannot connect', async () => {
    const target = await emptyPostgres();
    const script = join(import.meta.dirname, '../../../src/migrateToPostgres.ts');
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['--experimental-strip-types', '--no-warnings', script], {
        cwd: mkdtempSync(join(tmpdir(), 'reelbot-copy-cwd-')),
        env: { PATH: process.env.PATH ?? '', ...env },
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    const path = sqliteFile();
    const copied = await run({ DATABASE_PATH: path, DATABASE_URL: target.url });
    expect(copied.stdout.trim().split('\n')).toEqual([
      `Copied 3 jobs, 1 server's settings, 1 blocked member, 2 audit log entries, 1 shared value, 1 style, 1 channel's settings, 1 blocked word, 1 refused prompt, 2 webhook records and 1 generation time from ${path} into PostgreSQL (DATABASE_URL).`,
      `Set DATABASE_URL for every process from now on; ${path} was only read, and can be kept as a backup.`,
    ]);

    const secret = 'Sup3r-S3cret-Pa55';
    const unreachable = new URL(target.url);
    unreachable.port = '9';
    unreachable.username = 'reelbot';
    unreachable.password = secret;
    const failed = await run({ DATABASE_PATH: path, DATABASE_URL: unreachable.href });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe(
      'reelbot did not copy the database: DATABASE_URL points at 127.0.0.1:9, where no PostgreSQL server accepts connections (connection refused): start it, or correct the host and port',
    );
    expect(`${failed.stdout}${failed.stderr}`).not.toContain(secret);

    const unset = await run({ DATABASE_PATH: path });
    expect(unset.code).toBe(1);
    expect(unset.stderr.trim()).toBe(
      'DATABASE_URL is not set: set it to the empty PostgreSQL database to copy DATABASE_PATH into',
    );
  });
});
