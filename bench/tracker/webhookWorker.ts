// The tracker process of the webhook benchmark: the bot's store, tracker, and HTTP endpoint with
// its webhook receiver (src/http.ts, src/jobs/webhooks.ts), the create sending the endpoint as its
// callback URL. It creates N jobs at the bench provider, writes their rows as submissions would
// (the first poll the safety net's, webhooks having been arriving), tracks them until all are
// done, and prints what it saw as one JSON line.
//
//   webhookWorker.ts <count> <provider url>
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startHttpServer } from '../../src/http.ts';
import {
  createSubmissions,
  createTracker,
  createWebhookReceiver,
  createWebhookState,
  defaultPollPolicy,
  openStore,
  type Tracker,
  withWebhooks,
} from '../../src/jobs/index.ts';
import { createMetrics } from '../../src/metrics.ts';
import { buildCatalogue, createVideoClient, createWebhookVerifier } from '../../src/provider/index.ts';
import { createdJobRows, insertJobRows, storeSettings } from '../support/jobRows.ts';

const [countText = '1000', baseUrl = ''] = process.argv.slice(2);
const count = Number(countText);
const secret = process.env.BENCH_WEBHOOK_SECRET ?? '';
const safetyPollMs = Number(process.env.BENCH_SAFETY_POLL_MS ?? 60_000);
const catalogue = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
}).catalogue;
if (!catalogue) throw new Error('catalogue');

const dir = mkdtempSync(join(tmpdir(), 'reelbot-bench-webhooks-'));
const database = join(dir, 'bench.db');
const store = await openStore(storeSettings(database), { instance: 'bench-webhooks' });
const logger = pino({ level: 'silent' });
const state = createWebhookState(store, { safetyPollMs, liveMs: 15 * 60_000 }, Date.now);
// A deployment whose provider has been sending webhooks: they count as arriving from the start.
await state.noteEvent(Date.now());

let tracker: Tracker | undefined;
const http = await startHttpServer({
  port: 0,
  host: '127.0.0.1',
  store,
  metrics: createMetrics(store),
  logger,
  mediaSecret: 'bench',
  mediaDir: join(dir, 'media'),
  ready: () => true,
  webhooks: createWebhookReceiver({
    store,
    verify: createWebhookVerifier({
      secret,
      events: ['video.completed', 'video.failed'],
      idPath: ['data', 'id'],
    }),
    state,
    logger,
    onDue: (jobId) => tracker?.pollNow(jobId),
  }),
});
const address = http.address();
if (!address || typeof address === 'string') throw new Error('no address');
const client = createVideoClient({
  baseUrl,
  apiKey: 'bench',
  catalogue,
  timeoutMs: 30_000,
  callback: { field: 'callback_url', url: `http://127.0.0.1:${address.port}/webhooks/video` },
});
const detected: [remoteId: string, at: number][] = [];
tracker = createTracker({
  store,
  submissions: createSubmissions(),
  client,
  logger,
  concurrency: 8,
  webhooks: state,
});
tracker.on('completed', (job) => {
  if (job.remoteId) detected.push([job.remoteId, Date.now()]);
});

const firstPollMs = withWebhooks(defaultPollPolicy.firstPollMs, await state.schedule());
const rows = await createdJobRows(client, count, firstPollMs);
await insertJobRows(database, rows);

const cpuBefore = process.cpuUsage();
await tracker.start();
const deadline = Date.now() + 15 * 60_000;
for (;;) {
  const counts = await store.countsByState();
  if ((counts.completed ?? 0) + (counts.failed ?? 0) >= count || Date.now() > deadline) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await tracker.stop();
const cpu = process.cpuUsage(cpuBefore);
const report = {
  detected,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
await new Promise((resolve) => process.stdout.write(`${JSON.stringify(report)}\n`, resolve));
http.close();
await store.close();
await client.close();
process.exit(0);
