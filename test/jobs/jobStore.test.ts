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
