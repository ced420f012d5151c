// One tracker process of a tracker benchmark run: submits its share of the N jobs to the bench
// provider, says so, waits for "go" on stdin (every process of the run has submitted by then),
// tracks jobs with one polling strategy until all N are done, and prints what it saw as one JSON
// line (bench/tracker/figures.ts turns the lines of a run's processes into its figures).
//
//   worker.ts <strategy> <count> <provider url> [--database <postgres url | sqlite file>] [--process k/P]
//
// Process k of P submits jobs k, k+P, k+2P...; every process tracks any due job (claims share them).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  createSubmissions,
  createTracker,
  type JobStore,
  openStore,
  submitJob,
} from '../../src/jobs/index.ts';
import { buildCatalogue, createVideoClient } from '../../src/provider/index.ts';
import type { ClaimSpan, WorkerReport } from './figures.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { database: { type: 'string' }, process: { type: 'string', default: '0/1' } },
});
const [strategy = 'reelbot', countText = '1000', baseUrl = ''] = positionals;
const count = Number(countText);
const [index, processes] = (values.process ?? '0/1').split('/').map(Number) as [number, number];
const fixed: Record<string, number> = { 'fixed-2s': 2_000, 'fixed-10s': 10_000 };

/**
 * The store, recording every poll claim this process holds: from just before the claim was asked
 * for to just after the poll's write (any write of a claimed job ends its claim). Each span covers
 * the claim as the database held it, so two processes' spans of one job that never overlap mean
 * the job was never claimed by both at once.
 */
function recordingClaims(store: JobStore, spans: ClaimSpan[]): JobStore {
  const open = new Map<number, ClaimSpan>();
  const released = <T>(id: number, write: Promise<T>): Promise<T> =>
    write.then((result) => {
      const span = open.get(id);
      if (span) span[2] = Date.now();
      open.delete(id);
      return result;
    });
  return {
    ...store,
    async claimDue(limit, leaseMs, skip) {
      const asked = Date.now();
      const jobs = await store.claimDue(limit, leaseMs, skip);
      for (const job of jobs) {
        const span: ClaimSpan = [job.id, asked, null];
        spans.push(span);
        open.set(job.id, span);
      }
      return jobs;
    },
    update: (id, patch) => released(id, store.update(id, patch)),
    updateWhile: (id, states, patch) => released(id, store.updateWhile(id, states, patch)),
    transition: (id, to, patch, note) => released(id, store.transition(id, to, patch, note)),
    tryTransition: (id, to, patch, from, note) =>
      released(id, store.tryTransition(id, to, patch, from, note)),
  };
}

const catalogue = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
}).catalogue;
if (!catalogue) throw new Error('catalogue');
const database = values.database ?? join(mkdtempSync(join(tmpdir(), 'reelbot-bench-')), 'bench.db');
const postgres = /^postgres(ql)?:/.test(database);
const claims: ClaimSpan[] = [];
const opened = await openStore(
  { databasePath: postgres ? '' : database, databaseUrl: postgres ? database : undefined },
  { instance: `bench-${index}` },
);
const store = recordingClaims(opened, claims);
const submissions = createSubmissions();
const client = createVideoClient({ baseUrl, apiKey: 'bench', catalogue, timeoutMs: 30_000 });
const logger = pino({ level: 'silent' });
const detected: [remoteId: string, at: number][] = [];
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
  if (job.remoteId) detected.push([job.remoteId, Date.now()]);
});

const limits = {
  inFlightPerUser: 1_000_000,
  jobsPerUserPerDay: 1_000_000,
  secondsPerGuildPerDay: 1_000_000_000,
};
const submitStarted = Date.now();
const queue = Array.from({ length: count }, (_, job) => job).filter((job) => job % processes === index);
await Promise.all(
  Array.from({ length: 32 }, async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const result = await submitJob(
        { store, submissions, client, defaults: limits, onQueued: () => tracker.poke() },
        {
          guildId: String(100 + (job % 100)),
          channelId: '1',
          userId: String(1_000 + job),
          model: 'veo-3.1-fast-generate-preview',
          prompt: `bench job ${job}`,
          seconds: 8,
          size: '1280x720',
        },
      );
      if (!result.ok) throw new Error(`submit failed: ${JSON.stringify(result)}`);
    }
  }),
);
const submitMs = Date.now() - submitStarted;
process.stdout.write(`${JSON.stringify({ submitted: true, submitMs })}\n`);
const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await input.next(); // "go"

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

/** Every job of the run has completed (whichever process saw it). */
async function allDone(): Promise<boolean> {
  const counts = await opened.countsByState();
  return (counts.completed ?? 0) + (counts.failed ?? 0) >= count;
}

const cpuBefore = process.cpuUsage();
await tracker.start();
const deadline = Date.now() + 15 * 60_000;
while (Date.now() < deadline && !(await allDone())) await new Promise((resolve) => setTimeout(resolve, 500));
await tracker.stop();
const cpu = process.cpuUsage(cpuBefore);

const report: WorkerReport = {
  submitMs,
  pollLagMs,
  detected,
  claims,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await store.close();
await client.close();
process.exit(0);
