// History page latency with 100,000 jobs in the database: the store query a /video-history page runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyPage } from '../../commands/history.ts';
import type { BotContext } from '../../src/discord/context.ts';
import { historyCsv, renderHistory } from '../../src/discord/renderHistory.ts';
import { openSqliteStore } from '../../src/jobs/index.ts';
import { openSqliteFile } from '../../src/jobs/store/sqlite/database.ts';

const total = Number(process.argv[2] ?? 100_000);
const path = join(mkdtempSync(join(tmpdir(), 'reelbot-history-')), 'history.db');
const store = await openSqliteStore(path, {});
// The rows go in straight through SQLite: the store inserts one job per transaction, through its quotas.
const rows = openSqliteFile(path);
const states = ['delivered', 'delivered', 'delivered', 'failed', 'canceled', 'in_progress'];
const start = Date.now() - total * 1_000;
const insert = rows.prepare(
  `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at)
   VALUES (?, '1', ?, 'veo-3.1-fast-generate-preview', ?, 6, '1280x720', ?, ?, ?)`,
);
rows.transaction(() => {
  for (let index = 0; index < total; index++) {
    // 20 guilds × 500 members; member 1 of guild 1 is a heavy user with ~1% of all jobs.
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
