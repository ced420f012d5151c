// The SQLite file: its pragmas, and its schema built from empty or upgraded from every earlier
// version, keeping the jobs.
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/jobs/index.ts';
import { openSqliteFile } from '../../../src/jobs/store/sqlite/database.ts';
import { latestVersion, migrate } from '../../../src/jobs/store/sqlite/migrations.ts';
import { clock, generous, newJob, sqliteUserVersion, tempDbPath } from '../helpers.ts';

/** A file left by an older reelbot at `version`, with one queued job. */
function leftAt(version: number, job: Record<string, unknown> = {}): string {
  const path = tempDbPath();
  const old = new BetterSqlite3(path);
  expect(migrate(old, version)).toBe(version);
  const row = {
    guild_id: 'g1',
    channel_id: 'c1',
    user_id: 'u1',
    model: 'veo-3.1-fast-generate-preview',
    prompt: 'kept',
    seconds: 6,
    size: '1280x720',
    state: 'queued',
    created_at: 1,
    updated_at: 1,
    ...job,
  };
  const columns = Object.keys(row);
  old
    .prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
    .run(...Object.values(row));
  old.close();
  return path;
}

describe('the sqlite file', () => {
  it('opens every connection with WAL, synchronous NORMAL, a busy timeout and foreign keys', () => {
    const db = openSqliteFile(tempDbPath());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('builds the latest schema from an empty file, with its indexes and the lease columns', async () => {
    const path = tempDbPath();
    await (await openSqliteStore(path)).close();
    expect(sqliteUserVersion(path)).toBe(latestVersion);
    expect(latestVersion).toBe(10);
    const db = new BetterSqlite3(path, { readonly: true });
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]
    ).map((row) => row.name);
    expect(indexes).toEqual(expect.arrayContaining(['jobs_due', 'jobs_by_member', 'jobs_by_state']));
    const columns = (db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map(
      (row) => row.name,
    );
    expect(columns).toEqual(
      expect.arrayContaining([
        'claimed_by',
        'claim_expires_at',
        'delivery_claimed_by',
        'delivery_claim_expires_at',
        'first_card_pending_until',
        'reference_images',
        'origin_kind',
        'origin_job_id',
        'request_id',
        'take_index',
        'take_count',
      ]),
    );
    expect(columns).not.toContain('claimed_at');
    expect(columns).not.toContain('reference_url');
    expect(indexes).toContain('jobs_by_origin');
    db.close();
  });

  for (let version = 1; version <= latestVersion; version++) {
    it(`opens a database left at version ${version}, keeping its jobs`, async () => {
      const path = leftAt(version);
      const store = await openSqliteStore(path);
      expect(sqliteUserVersion(path)).toBe(latestVersion);
      expect(await store.get(1)).toMatchObject({
        prompt: 'kept',
        state: 'queued',
        firstCardPendingUntil: null,
      });
      expect((await store.guildSettings('g1')).allowedChannelIds).toEqual([]);
      await store.close();
    });
  }

  it('unschedules finished jobs an older version left with a next poll, so they can never look due', async () => {
    const path = leftAt(3, { state: 'canceled', next_poll_at: 5 });
    const store = await openSqliteStore(path);
    expect(await store.get(1)).toMatchObject({ state: 'canceled', nextPollAt: null });
    expect(await store.nextDueAt()).toBeNull();
    await store.close();
  });

  it('gives every job a media key of its own, and forgets files kept under the job number alone', async () => {
    const path = leftAt(5, { state: 'delivered', media_path: 'data/media/reelbot-1.mp4' });
    const old = new BetterSqlite3(path);
    old
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at, media_path)
         VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'kept', 6, '1280x720', 'delivered', 1, 1, ?)`,
      )
      .run('data/media/reelbot-2.mp4');
    old.close();
    const store = await openSqliteStore(path);
    const [first, second] = [await store.get(1), await store.get(2)];
    expect(first?.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.mediaKey).not.toBe(second?.mediaKey);
    expect([first?.mediaPath, second?.mediaPath]).toEqual([null, null]);
    expect([first?.madeBeforeMediaKeys, second?.madeBeforeMediaKeys]).toEqual([true, true]);
    await store.close();
  });

  it('turns a claim an older version left into a lapsed lease, taken at the next start', async () => {
    const time = clock();
    const claimedAt = time.now() - 10_000;
    const path = leftAt(7, {
      remote_id: 'video_1',
      next_poll_at: claimedAt + 60_000,
      claimed_at: claimedAt,
      media_key: 'k'.repeat(32),
    });
    const old = new BetterSqlite3(path);
    old
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at,
           remote_id, next_poll_at, media_key)
         VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'waiting', 6, '1280x720', 'queued', 1, 1, 'video_2', ?, ?)`,
      )
      .run(time.now() + 90_000, 'w'.repeat(32));
    old.close();
    const store = await openSqliteStore(path, { now: time.now, instance: 'anywhere' });
    // Due at once, for any instance; the wait the provider asked for stays.
    expect((await store.claimDue(10, 60_000)).map((job) => job.id)).toEqual([1]);
    expect((await store.get(2))?.nextPollAt).toBe(time.now() + 90_000);
    await store.close();
  });

  it('reads the one reference image of a job made before version 9 as a list, and a remix as made from its job', async () => {
    const path = leftAt(8, {
      state: 'delivered',
      reference_url: 'https://cdn.example/lion.png',
      reference_name: 'lion.png',
      reference_size: '640x480',
      media_key: 'k'.repeat(32),
    });
    const old = new BetterSqlite3(path);
    old
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at,
           media_key, remix_of_job_id, reference_url)
         VALUES ('g1', 'c1', 'u1', 'sora-2', 'again', 4, '1280x720', 'queued', 2, 2, ?, 1, 'https://cdn.example/x.png')`,
      )
      .run('r'.repeat(32));
    old.close();
    const store = await openSqliteStore(path);
    expect(await store.get(1)).toMatchObject({
      referenceImages: [{ url: 'https://cdn.example/lion.png', name: 'lion.png', size: '640x480' }],
      originKind: 'command',
      originJobId: null,
      requestId: null,
      takeIndex: 1,
      takeCount: 1,
    });
    // A name the older version did not keep reads as the one its Regenerate gave it.
    expect(await store.get(2)).toMatchObject({
      referenceImages: [{ url: 'https://cdn.example/x.png', name: 'reference.png', size: null }],
      originKind: 'remix',
      originJobId: 1,
    });
    expect((await store.madeFrom('g1', [1], 10)).map((job) => job.id)).toEqual([2]);
    await store.close();
  });

  it('refuses a database from a newer reelbot', async () => {
    const path = tempDbPath();
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${latestVersion + 1}`);
    db.close();
    await expect(openSqliteStore(path)).rejects.toThrow(/newer than this reelbot/);
  });

  it('inserts with a media key after an upgrade', async () => {
    const store = await openSqliteStore(leftAt(5));
    const inserted = await store.insertWithinQuota(newJob(), generous);
    expect(inserted.ok && inserted.job.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    await store.close();
  });
});
