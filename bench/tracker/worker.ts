// One tracker process of a tracker benchmark run. Process 0 creates the run's N jobs at the bench
// provider and writes their rows, queued, as submissions would have (bench/support/jobRows.ts:
// through the store, 10,000 submissions take PostgreSQL a minute on two cores, and the jobs would
// age, or the tracker wait behind the submissions, before anything is measured). Every process
// then says it is ready, and on "go" tracks until all N are done, printing what it saw as one JSON
// line (bench/tracker/figures.ts makes the run's figures of the lines).
//
//   worker.ts <strategy> <count> <provider url> [--database <postgres url | sqlite file>] [--process k]
//
// Every process tracks any due job: the claims share them out.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  createSubmissions,
  createTracker,
  defaultPollPolicy,
  type JobStore,
  openStore,
} from '../../src/jobs/index.ts';
import { buildCatalogue, createVideoClient } from '../../src/provider/index.ts';
import { createdJobRows, insertJobRows, storeSettings } from '../support/jobRows.ts';
import type { ClaimSpan, PollSpan, WorkerReport } from './figures.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { database: { type: 'string' }, process: { type: 'string', default: '0' } },
});
const [strategy = 'reelbot', countText = '1000', baseUrl = ''] = positionals;
const count = Number(countText);
/** Which process of the run this is: process 0 writes the jobs. */
const index = Number(values.process);
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
const claims: ClaimSpan[] = [];
const opened = await openStore(storeSettings(database), { instance: `bench-${index}` });
const store = recordingClaims(opened, claims);
const submissions = createSubmissions();
const client = createVideoClient({ baseUrl, apiKey: 'bench', catalogue, timeoutMs: 30_000 });
const logger = pino({ level: 'silent' });
const detected: [remoteId: string, at: number][] = [];
const polls: PollSpan[] = [];

const interval = fixed[strategy];
const tracker = createTracker({
  store,
  submissions,
  client,
  logger,
  concurrency: 8,
  nextDelay: interval ? () => interval : undefined,
  onPoll: ({ jobId, dueAt, sentAt }) => polls.push([jobId, dueAt, sentAt]),
});
tracker.on('completed', (job) => {
  if (job.remoteId) detected.push([job.remoteId, Date.now()]);
});

/** Creates the run's jobs at the provider, 64 at a time, and writes their rows as a submission would. */
async function seed(): Promise<void> {
  const rows = await createdJobRows(client, count, defaultPollPolicy.firstPollMs);
  await insertJobRows(database, rows);
}

function reportMemory(): void {
  const report = (label: string) => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    process.stderr.write(
      `${label}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} maxRss ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`,
    );
  };
  report('before tracking');
  setInterval(() => report('tracking'), 5_000).unref();
}

/** Every job of the run has completed (whichever process saw it). */
async function allDone(): Promise<boolean> {
  const counts = await opened.countsByState();
  return (counts.completed ?? 0) + (counts.failed ?? 0) >= count;
}

const seedStarted = Date.now();
if (index === 0) await seed();
const seedMs = Date.now() - seedStarted;
process.stdout.write(`${JSON.stringify({ ready: true, seedMs })}\n`);
const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await input.next(); // "go": every process is ready
if (process.env.BENCH_MEMORY) reportMemory();

const cpuBefore = process.cpuUsage();
await tracker.start();
const deadline = Date.now() + 15 * 60_000;
while (Date.now() < deadline && !(await allDone())) await new Promise((resolve) => setTimeout(resolve, 500));
await tracker.stop();
const cpu = process.cpuUsage(cpuBefore);

const report: WorkerReport = {
  seedMs,
  polls,
  detected,
  claims,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
// A pipe takes a long line in several writes: exit only once it has all of it.
await new Promise((resolve) => process.stdout.write(`${JSON.stringify(report)}\n`, resolve));
await store.close();
await client.close();
process.exit(0);
