// Restart benchmark: `prepare` leaves N in-flight jobs in a database as a crashed process would
// (claimed by an earlier run of the same instance, leased a minute ahead); `resume` is the restarted
// process, timing its start to the first poll. The database is an SQLite file or a PostgreSQL URL.
//
//   resume.ts prepare|resume <sqlite file | postgres url> <count> <provider url>
import pino from 'pino';
import { createSubmissions, createTracker, openStore } from '../../src/jobs/index.ts';
import { buildCatalogue, createVideoClient, type VideoClient } from '../../src/provider/index.ts';
import { insertJobRows, storeSettings } from '../support/jobRows.ts';

const [mode = 'resume', database = '', countText = '10000', baseUrl = ''] = process.argv.slice(2);
const count = Number(countText);
const catalogue = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
}).catalogue;
if (!catalogue) throw new Error('catalogue');
const client = createVideoClient({ baseUrl, apiKey: 'bench', catalogue });

if (mode === 'prepare') {
  // Opening the store creates the schema; the rows go in straight through the database.
  await (await openStore(storeSettings(database), {})).close();
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
  const at = Date.now();
  // As the crashed run left them: in progress, claimed by an earlier run of this instance for another minute.
  await insertJobRows(
    database,
    ids.map((remoteId, index) => ({
      guildId: String(100 + (index % 100)),
      userId: String(index),
      state: 'in_progress',
      remoteId,
      progress: 10,
      createdAt: at,
      nextPollAt: at + 60_000,
      claimedBy: 'main#crashed',
      claimExpiresAt: at + 60_000,
    })),
  );
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
  const store = await openStore(storeSettings(database), {});
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
