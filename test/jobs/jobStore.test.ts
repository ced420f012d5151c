import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openJobStore } from '../../src/jobs/index.ts';
import { latestVersion, migrate } from '../../src/jobs/migrations.ts';
import { clock, generous, newJob, tempDbPath } from './helpers.ts';

describe('migrations', () => {
  it('builds the latest schema from an empty file, with WAL, a busy timeout and foreign keys', () => {
    const path = tempDbPath();
    const store = openJobStore({ path });
    expect(store.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const indexes = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]
    ).map((row) => row.name);
    expect(indexes).toEqual(expect.arrayContaining(['jobs_due', 'jobs_by_member', 'jobs_by_state']));
    store.close();
  });

  for (let version = 1; version < latestVersion; version++) {
    it(`upgrades a database left at version ${version}, keeping its jobs`, () => {
      const path = tempDbPath();
      const old = new BetterSqlite3(path);
      expect(migrate(old, version)).toBe(version);
      old
        .prepare(
          `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at)
           VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'kept', 6, '1280x720', 'queued', 1, 1)`,
        )
        .run();
      old.close();
      const store = openJobStore({ path });
      expect(store.db.pragma('user_version', { simple: true })).toBe(latestVersion);
      expect(store.get(1)).toMatchObject({ prompt: 'kept', state: 'queued' });
      expect(store.guildSettings('g1').allowedChannelIds).toEqual([]);
      store.close();
    });
  }

  it('unschedules finished jobs an older version left with a next poll, so they can never look due', () => {
    const path = tempDbPath();
    const old = new BetterSqlite3(path);
    migrate(old, 3);
    old
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at, next_poll_at)
         VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'stuck', 6, '1280x720', 'canceled', 1, 1, 5)`,
      )
      .run();
    old.close();
    const store = openJobStore({ path });
    expect(store.get(1)).toMatchObject({ state: 'canceled', nextPollAt: null });
    expect(store.nextDueAt()).toBeNull();
    store.close();
  });

  it('gives every job a media key of its own, and forgets files kept under the job number alone', () => {
    const path = tempDbPath();
    const old = new BetterSqlite3(path);
    migrate(old, 5);
    const insert = old.prepare(
      `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at, media_path)
       VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'kept', 6, '1280x720', 'delivered', 1, 1, ?)`,
    );
    insert.run('data/media/reelbot-1.mp4');
    insert.run('data/media/reelbot-2.mp4');
    old.close();
    const store = openJobStore({ path });
    const [first, second] = [store.get(1), store.get(2)];
    expect(first?.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.mediaKey).not.toBe(second?.mediaKey);
    expect([first?.mediaPath, second?.mediaPath]).toEqual([null, null]);
    const inserted = store.insertWithinQuota(newJob(), generous);
    expect(inserted.ok && inserted.job.mediaKey).toMatch(/^[0-9a-f]{32}$/);
    store.close();
  });

  it('refuses a database from a newer reelbot', () => {
    const path = tempDbPath();
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${latestVersion + 1}`);
    db.close();
    expect(() => openJobStore({ path })).toThrow(/newer than this reelbot/);
  });
});

describe('history', () => {
  function seeded(count: number) {
    const time = clock();
    const store = openJobStore({ path: ':memory:', now: time.now });
    for (let index = 0; index < count; index++) {
      const inserted = store.insertWithinQuota(newJob({ prompt: `job ${index + 1}` }), generous);
      if (!inserted.ok) throw new Error('refused');
      if (index % 3 === 0) store.transition(inserted.job.id, 'failed');
      time.advance(1_000);
    }
    return { store, time };
  }

  it('pages a member’s jobs newest first by keyset, forwards and back', () => {
    const { store } = seeded(7);
    const first = store.history({ guildId: 'g1', userId: 'u1', limit: 3 });
    expect(first.map((job) => job.id)).toEqual([7, 6, 5]);
    const second = store.history({ guildId: 'g1', userId: 'u1', limit: 3, beforeId: 5 });
    expect(second.map((job) => job.id)).toEqual([4, 3, 2]);
    const back = store.history({ guildId: 'g1', userId: 'u1', limit: 3, afterId: 4 });
    expect(back.map((job) => job.id)).toEqual([7, 6, 5]);
  });

  it('stays stable when new jobs arrive between pages', () => {
    const { store } = seeded(5);
    const first = store.history({ guildId: 'g1', userId: 'u1', limit: 2 });
    store.insertWithinQuota(newJob({ prompt: 'newcomer' }), generous);
    const next = store.history({ guildId: 'g1', userId: 'u1', limit: 2, beforeId: first.at(-1)?.id });
    expect(next.map((job) => job.id)).toEqual([3, 2]);
  });

  it('filters by state and never mixes members or guilds', () => {
    const { store } = seeded(6);
    store.insertWithinQuota(newJob({ userId: 'u2' }), generous);
    store.insertWithinQuota(newJob({ guildId: 'g2' }), generous);
    expect(
      store.history({ guildId: 'g1', userId: 'u1', limit: 10, states: ['failed'] }).map((j) => j.id),
    ).toEqual([4, 1]);
    expect(store.history({ guildId: 'g1', userId: 'u2', limit: 10 }).map((j) => j.userId)).toEqual(['u2']);
    expect(store.history({ guildId: 'g2', userId: 'u1', limit: 10 }).map((j) => j.guildId)).toEqual(['g2']);
  });

  it('counts a guild’s jobs by state and the seconds charged', () => {
    const { store, time } = seeded(4);
    expect(store.guildCounts('g1', time.now() - 86_400_000)).toEqual({
      byState: { failed: 2, submitting: 2 },
      seconds: 24,
    });
  });

  it('keeps per-guild settings, merging partial updates', () => {
    const store = openJobStore({ path: ':memory:' });
    store.updateGuildSettings('g1', { inFlightPerUser: 1 });
    store.updateGuildSettings('g1', { allowedChannelIds: ['c9'] });
    expect(store.guildSettings('g1')).toMatchObject({
      inFlightPerUser: 1,
      allowedChannelIds: ['c9'],
      secondsPerDay: null,
    });
    expect(store.guildSettings('g2').inFlightPerUser).toBeNull();
  });
});

describe('poll schedule in the store', () => {
  function queued(store: ReturnType<typeof openJobStore>, remoteId: string, nextPollAt: number) {
    const inserted = store.insertWithinQuota(newJob(), generous);
    if (!inserted.ok) throw new Error('refused');
    return store.transition(inserted.job.id, 'queued', { remoteId, nextPollAt });
  }

  it('clears the next poll of a job that leaves the polling states, and never reports such a job due', () => {
    const time = clock();
    const store = openJobStore({ path: ':memory:', now: time.now });
    const waiting = queued(store, 'r1', time.now() + 1_000);
    const canceled = queued(store, 'r2', time.now() + 500);
    expect(store.transition(canceled.id, 'canceled').nextPollAt).toBeNull();
    expect(store.nextDueAt()).toBe(time.now() + 1_000);
    // Even a stray schedule on a finished row (an outside write) is not due.
    store.db.prepare('UPDATE jobs SET next_poll_at = ? WHERE id = ?').run(time.now() - 5, canceled.id);
    expect(store.nextDueAt()).toBe(time.now() + 1_000);
    time.advance(1_000);
    expect(store.claimDue(10, 60_000).map((job) => job.id)).toEqual([waiting.id]);
    expect(store.nextDueAt()).toBe(time.now() + 60_000);
  });

  it('writes a poll result only while the job still waits on the provider', () => {
    const time = clock();
    const store = openJobStore({ path: ':memory:', now: time.now });
    const job = queued(store, 'r1', time.now());
    store.transition(job.id, 'canceled');
    expect(
      store.updateWhile(job.id, ['queued', 'in_progress'], { nextPollAt: time.now() + 5 }),
    ).toBeUndefined();
    expect(store.tryTransition(job.id, 'failed', {}, ['queued', 'in_progress'])).toBeUndefined();
    expect(store.get(job.id)).toMatchObject({ state: 'canceled', nextPollAt: null });
  });

  it('brings forward only claims at a restart, not waits the provider asked for', () => {
    const time = clock();
    const store = openJobStore({ path: ':memory:', now: time.now });
    const claimed = queued(store, 'r1', time.now());
    const waiting = queued(store, 'r2', time.now() + 120_000);
    store.claimDue(10, 60_000);
    expect(store.releaseClaims(time.now())).toBe(1);
    expect(store.get(claimed.id)?.nextPollAt).toBe(time.now());
    expect(store.get(waiting.id)?.nextPollAt).toBe(time.now() + 120_000);
  });
});
