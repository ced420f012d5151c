// History page latency with 100,000 jobs in the database: the store queries a /video-history page
// runs, on SQLite, or on PostgreSQL with `--database <url>`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { historyPage } from '../../commands/history.ts';
import type { BotContext } from '../../src/discord/context.ts';
import { historyCsv, renderHistory } from '../../src/discord/renderHistory.ts';
import { openStore } from '../../src/jobs/index.ts';
import { openSqliteFile } from '../../src/jobs/store/sqlite/database.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { database: { type: 'string' } },
});
const total = Number(positionals[0] ?? 100_000);
/** A PostgreSQL URL, or else a fresh SQLite file. */
const databaseUrl = values.database;
const path = join(mkdtempSync(join(tmpdir(), 'reelbot-history-')), 'history.db');
// Opening the store creates the schema.
const store = await openStore({ databasePath: path, databaseUrl }, {});
// The rows go in straight through the database: the store inserts one job per transaction, through
// its quotas. 20 guilds × 500 members; member 1 of guild 1 is a heavy user with ~1% of all jobs.
const states = ['delivered', 'delivered', 'delivered', 'failed', 'canceled', 'in_progress'];
const start = Date.now() - total * 1_000;

function seedSqlite(): void {
  const rows = openSqliteFile(path);
  const insert = rows.prepare(
    `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at)
     VALUES (?, '1', ?, 'veo-3.1-fast-generate-preview', ?, 6, '1280x720', ?, ?, ?)`,
  );
  rows.transaction(() => {
    for (let index = 0; index < total; index++) {
      const heavy = index % 100 === 0;
      const guild = heavy ? '1' : String(1 + (index % 20));
      const user = heavy ? '1' : String(1 + (index % 500));
      insert.run(
        guild,
        user,
        `prompt number ${index}`,
        states[index % states.length],
        start + index * 1_000,
        start + index * 1_000,
      );
    }
  })();
  rows.close();
}

/** The same rows as seedSqlite's, then ANALYZE: the statistics autovacuum keeps on a live database. */
async function seedPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at, media_key)
     SELECT CASE WHEN i % 100 = 0 THEN '1' ELSE (1 + i % 20)::text END, '1',
            CASE WHEN i % 100 = 0 THEN '1' ELSE (1 + i % 500)::text END,
            'veo-3.1-fast-generate-preview', 'prompt number ' || i, 6, '1280x720',
            ($1::text[])[1 + i % cardinality($1::text[])], $2 + i * 1000, $2 + i * 1000, md5(i::text)
     FROM generate_series(0, $3::bigint - 1) AS i`,
    [states, start, total],
  );
  await client.query('ANALYZE jobs');
  await client.end();
}

if (databaseUrl) await seedPostgres(databaseUrl);
else seedSqlite();

const context = { store } as unknown as BotContext; // historyPage reads only the store
async function time(label: string, run: () => unknown, rounds = 200): Promise<void> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const began = performance.now();
    await run();
    samples.push(performance.now() - began);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => (samples[Math.floor(q * (samples.length - 1))] ?? 0).toFixed(3);
  console.log(
    JSON.stringify({
      query: label,
      jobs: total,
      p50Ms: Number(at(0.5)),
      p99Ms: Number(at(0.99)),
      maxMs: Number(at(1)),
    }),
  );
}

const heavy = { guildId: '1', userId: '1' };
const view = {
  viewerId: '1',
  targetId: '1',
  status: 'all',
  canExport: true,
  now: Date.now(),
  videoLink: () => null,
};
await time('first page, heavy member, query and render', async () =>
  renderHistory(await historyPage(context, { ...heavy, status: 'all' }), 'en-US', view),
);
await time('first page, heavy member', () => historyPage(context, { ...heavy, status: 'all' }));
await time('first page, heavy member, status=failed', () =>
  historyPage(context, { ...heavy, status: 'failed' }),
);
const middle = (await store.history({ ...heavy, limit: 1, beforeId: Math.floor(total / 2) }))[0]?.id ?? total;
await time('middle page (next), heavy member', () =>
  historyPage(context, { ...heavy, status: 'all', beforeId: middle }),
);
await time('middle page (previous), heavy member', () =>
  historyPage(context, { ...heavy, status: 'all', afterId: middle }),
);
await time('first page, ordinary member', () =>
  historyPage(context, { guildId: '2', userId: '2', status: 'all' }),
);
await time(
  'CSV export, heavy member',
  async () => historyCsv(await store.history({ ...heavy, limit: 100_000 }), 'en-US'),
  5,
);
await store.close();
