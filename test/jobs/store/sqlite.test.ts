// The conformance suite on SQLite, each test on a temp file of its own; and what only SQLite has
// to prove: rows written behind the store's back. (Its query plans prove themselves: a query that
// names the index `jobs_due` fails outright when its terms do not fit that partial index.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JobStore, openSqliteStore } from '../../../src/jobs/index.ts';
import { openSqliteFile } from '../../../src/jobs/store/sqlite/database.ts';
import { clock, generous, newJob } from '../helpers.ts';
import { describeStoreConformance } from './conformance.ts';
import type { StoreUnderTest, TestDatabase } from './storeUnderTest.ts';

function sqliteDatabase(): TestDatabase & { path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'reelbot-store-'));
  const path = join(dir, 'jobs.db');
  const opened: JobStore[] = [];
  return {
    path,
    async open(options = {}) {
      const store = await openSqliteStore(path, options);
      opened.push(store);
      return store;
    },
    async drop() {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sqlite: StoreUnderTest = { name: 'sqlite', newDatabase: async () => sqliteDatabase() };

describeStoreConformance(sqlite);

describe('the sqlite job store, on its own', () => {
  it('never reports due a finished row that an outside write scheduled', async () => {
    const time = clock();
    const database = sqliteDatabase();
    try {
      const store = await database.open({ now: time.now });
      const inserted = await store.insertWithinQuota(newJob(), generous);
      if (!inserted.ok) throw new Error('refused');
      const waiting = await store.transition(inserted.job.id, 'queued', {
        remoteId: 'r1',
        nextPollAt: time.now() + 1_000,
      });
      const again = await store.insertWithinQuota(newJob(), generous);
      if (!again.ok) throw new Error('refused');
      const canceled = await store.transition(again.job.id, 'canceled');
      const outside = openSqliteFile(database.path);
      outside.prepare('UPDATE jobs SET next_poll_at = ? WHERE id = ?').run(time.now() - 5, canceled.id);
      outside.close();
      expect(await store.nextDueAt()).toBe(time.now() + 1_000);
      time.advance(1_000);
      expect((await store.claimDue(10, 60_000)).map((job) => job.id)).toEqual([waiting.id]);
    } finally {
      await database.drop();
    }
  });
  it('prunes the samples of a kind beyond the most recent 200 from the file, leaving other kinds', async () => {
    const time = clock();
    const database = sqliteDatabase();
    try {
      const store = await database.open({ now: time.now });
      await store.recordGenerationTime('other', 8, '1280x720', 5_000, time.now());
      for (let index = 1; index <= 230; index++) {
        await store.recordGenerationTime('sora-2', 8, '1280x720', index, time.now());
      }
      const outside = openSqliteFile(database.path);
      const kept = outside
        .prepare(
          'SELECT model, COUNT(*) AS n, MIN(duration_ms) AS oldest FROM generation_samples GROUP BY model ORDER BY model',
        )
        .all();
      outside.close();
      expect(kept).toEqual([
        { model: 'other', n: 1, oldest: 5_000 },
        { model: 'sora-2', n: 200, oldest: 31 },
      ]);
    } finally {
      await database.drop();
    }
  });
});
