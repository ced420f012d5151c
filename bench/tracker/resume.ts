// Restart benchmark: `prepare` leaves N in-flight jobs in a database as a crashed process would
// (claimed by an earlier run of the same instance, leased a minute ahead); `resume` is the restarted
// process, timing its start to the first poll. The database is an SQLite file or a PostgreSQL URL.
//
//   resume.ts prepare|resume <sqlite file | postgres url> <count> <provider url>
import pg from 'pg';
import pino from 'pino';
import { createSubmissions, createTracker, openStore } from '../../src/jobs/index.ts';
import { openSqliteFile } from '../../src/jobs/store/sqlite/database.ts';
import { buildCatalogue, createVideoClient, type VideoClient } from '../../src/provider/index.ts';

const [mode = 'resume', database = '', countText = '10000', baseUrl = ''] = process.argv.slice(2);
const count = Number(countText);
const postgres = /^postgres(ql)?:/.test(database);
const storeSettings = {
  databasePath: postgres ? '' : database,
  databaseUrl: postgres ? database : undefined,
};
const catalogue = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
}).catalogue;
if (!catalogue) throw new Error('catalogue');
const client = createVideoClient({ baseUrl, apiKey: 'bench', catalogue });

/** The rows as the crashed run left them: in progress, claimed by `main#crashed` for another minute. */
function insertSqlite(ids: string[], at: number): void {
  const rows = openSqliteFile(database);
  const insert = rows.prepare(
    `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, remote_id, progress,
       reports_progress, created_at, updated_at, next_poll_at, claimed_by, claim_expires_at, media_key)
     VALUES (?, '1', ?, 'veo-3.1-fast-generate-preview', 'resume', 8, '1280x720', 'in_progress', ?, 10, 1, ?, ?, ?,
       'main#crashed', ?, lower(hex(randomblob(16))))`,
  );
  rows.transaction(() => {
    ids.forEach((id, index) => {
      insert.run(String(100 + (index % 100)), String(index), id, at, at, at + 60_000, at + 60_000);
    });
  })();
  rows.close();
}

async function insertPostgres(ids: string[], at: number): Promise<void> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query(
    `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, remote_id, progress,
       reports_progress, created_at, updated_at, next_poll_at, claimed_by, claim_expires_at, media_key)
     SELECT (100 + (n - 1) % 100)::text, '1', (n - 1)::text, 'veo-3.1-fast-generate-preview', 'resume', 8, '1280x720',
       'in_progress', remote_id, 10, TRUE, $2, $2, $2::bigint + 60000, 'main#crashed', $2::bigint + 60000, md5(remote_id)
     FROM unnest($1::text[]) WITH ORDINALITY AS crashed (remote_id, n)`,
    [ids, at],
  );
  await client.query('ANALYZE jobs');
  await client.end();
}

if (mode === 'prepare') {
  // Opening the store creates the schema; the rows go in straight through the database.
  await (await openStore(storeSettings, {})).close();
  const ids: string[] = [];
  for (let index = 0; index < count; index += 64) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(64, count - index) }, () =>
        client.create({
          model: 'veo-3.1-fast-generate-preview',
          prompt: 'resume',
          seconds: 8,
          size: '1280x720',
        }),
      ),
    );
    ids.push(...batch.map((video) => video.id));
  }
  if (postgres) await insertPostgres(ids, Date.now());
  else insertSqlite(ids, Date.now());
} else {
  const processStart = performance.timeOrigin;
  let firstPollAt = 0;
  let polled = 0;
  let allPolledAt = 0;
  const counting: Pick<VideoClient, 'retrieve'> = {
    retrieve: (id) => {
      if (!firstPollAt) firstPollAt = performance.timeOrigin + performance.now();
      return client.retrieve(id).finally(() => {
        if (++polled === count) allPolledAt = performance.timeOrigin + performance.now();
      });
    },
  };
  const store = await openStore(storeSettings, {});
  const tracker = createTracker({
    store,
    submissions: createSubmissions(),
    client: counting,
    logger: pino({ level: 'silent' }),
  });
  await tracker.start();
  const deadline = Date.now() + 120_000;
  while (!allPolledAt && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await tracker.stop();
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      count,
      startToFirstPollMs: Math.round(firstPollAt - processStart),
      startToAllPolledMs: Math.round(allPolledAt - processStart),
    })}\n`,
  );
}
await client.close();
process.exit(0);
