// One tracker benchmark run in its own process: submit N jobs to the bench provider, track them
// to completion with one polling strategy, print the figures as one JSON line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createSubmissions, createTracker, openSqliteStore, submitJob } from '../../src/jobs/index.ts';
import { buildCatalogue, createVideoClient } from '../../src/provider/index.ts';

const [strategy = 'reelbot', countText = '1000', baseUrl = ''] = process.argv.slice(2);
const count = Number(countText);
const fixed: Record<string, number> = { 'fixed-2s': 2_000, 'fixed-10s': 10_000 };

const catalogue = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
}).catalogue;
if (!catalogue) throw new Error('catalogue');
const dir = mkdtempSync(join(tmpdir(), 'reelbot-bench-'));
const store = await openSqliteStore(join(dir, 'bench.db'), {});
const submissions = createSubmissions();
const client = createVideoClient({ baseUrl, apiKey: 'bench', catalogue, timeoutMs: 30_000 });
const logger = pino({ level: 'silent' });
const detectedAt = new Map<string, number>();
/** How late each poll went out after it was due: large values mean the strategy saturated the loop. */
const pollLagMs: number[] = [];

const interval = fixed[strategy];
const tracker = createTracker({
  store,
  submissions,
  client,
  logger,
  concurrency: 8,
  nextDelay: interval ? () => interval : undefined,
  onPoll: ({ dueAt, sentAt }) => pollLagMs.push(Math.max(0, sentAt - dueAt)),
});
tracker.on('completed', (job) => {
  if (job.remoteId) detectedAt.set(job.remoteId, Date.now());
});

const limits = {
  inFlightPerUser: 1_000_000,
  jobsPerUserPerDay: 1_000_000,
  secondsPerGuildPerDay: 1_000_000_000,
};
const submitStarted = Date.now();
const queue = Array.from({ length: count }, (_, index) => index);
await Promise.all(
  Array.from({ length: 32 }, async () => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      const result = await submitJob(
        { store, submissions, client, defaults: limits, onQueued: () => tracker.poke() },
        {
          guildId: String(100 + (index % 100)),
          channelId: '1',
          userId: String(1_000 + index),
          model: 'veo-3.1-fast-generate-preview',
          prompt: `bench job ${index}`,
          seconds: 8,
          size: '1280x720',
        },
      );
      if (!result.ok) throw new Error(`submit failed: ${JSON.stringify(result)}`);
    }
  }),
);
const submitMs = Date.now() - submitStarted;
if (process.env.BENCH_MEMORY) {
  const report = (label: string) => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    process.stderr.write(
      `${label}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} maxRss ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`,
    );
  };
  report('after submit');
  setInterval(() => report('tracking'), 5_000).unref();
}
const cpuBefore = process.cpuUsage();
await tracker.start();

const deadline = Date.now() + 15 * 60_000;
while (detectedAt.size < count && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 500));
await tracker.stop();
const cpu = process.cpuUsage(cpuBefore);

const stats = (await (await fetch(new URL('/stats', baseUrl))).json()) as {
  id: string;
  kind: string;
  polls: number;
  completedAt: number;
}[];
const byKind = new Map<string, { polls: number[]; latency: number[] }>();
for (const job of stats) {
  const entry = byKind.get(job.kind) ?? { polls: [], latency: [] };
  entry.polls.push(job.polls);
  const detected = detectedAt.get(job.id);
  if (detected !== undefined) entry.latency.push(detected - job.completedAt);
  byKind.set(job.kind, entry);
}
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const totalPolls = stats.reduce((sum, job) => sum + job.polls, 0);
const kinds = Object.fromEntries(
  [...byKind].map(([kind, entry]) => [
    kind,
    {
      jobs: entry.polls.length,
      requestsPerJob: Number(mean(entry.polls).toFixed(2)),
      detectionMedianMs: Math.round(quantile(entry.latency, 0.5)),
      detectionP90Ms: Math.round(quantile(entry.latency, 0.9)),
      undetected: entry.polls.length - entry.latency.length,
    },
  ]),
);
process.stdout.write(
  `${JSON.stringify({
    strategy,
    count,
    submitMs,
    requestsPerJob: Number((totalPolls / count).toFixed(2)),
    // With 8 polls in flight at once, a dense fixed schedule can outrun the loop: then its polls
    // go out late, and its detection latency says more about the queue than about the schedule.
    pollLagMeanMs: Math.round(mean(pollLagMs)),
    pollLagP90Ms: Math.round(quantile(pollLagMs, 0.9)),
    kinds,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    // Per poll, a sparse schedule pays more (one wake-up and one claim per poll, where a fixed
    // interval batches them): the total says what the process actually spent.
    cpuSecondsTotal: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    cpuSecondsPer1000Polls: Number(
      (((cpu.user + cpu.system) / 1e6 / Math.max(1, totalPolls)) * 1000).toFixed(3),
    ),
  })}\n`,
);
await store.close();
await client.close();
process.exit(0);
