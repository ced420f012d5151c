// Learned durations (issue 13): how soon jobs that report no progress are found, and at how many
// provider requests, with the learned schedule, today's steady one and a fixed 10-second poll.
//
// Time is simulated: the tracker, its store (SQLite, a temp file) and the provider share one clock
// that jumps to the next due poll (or the next job's arrival), and `tracker.runDue()` polls what
// is due, as the tests drive time. So a run of thousands of minutes takes seconds, and the figures
// are the schedule's alone: the real loop's lag (milliseconds, see the `tracker` benchmark) is not
// in them. The provider is in-process: every job reports no progress, and its generation time is
// lognormal around its model's median (60 s and 120 s), the same jobs for every schedule.
//
// A warm-up first runs jobs of both models through the learned tracker (the first 20 of each on
// today's schedule, since there is no history yet), which keeps their generation times; each
// schedule then starts from a copy of that database and meets the same measured jobs.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  createSubmissions,
  createTracker,
  defaultPollPolicy,
  type JobStore,
  nextPollDelay,
  openSqliteStore,
  type PollSubject,
  type QuotaLimits,
} from '../../src/jobs/index.ts';
import type { VideoJob } from '../../src/provider/index.ts';
import { mulberry32 } from '../support/seeded.ts';

const measuredJobs = Number(process.env.BENCH_LEARNED_JOBS ?? 1_000);
const warmUpJobs = Number(process.env.BENCH_LEARNED_WARMUP ?? 200);
/** The spread of ln(generation time): 0.2 puts nine jobs in ten within about ±30% of the median. */
const sigma = Number(process.env.BENCH_LEARNED_SIGMA ?? 0.2);
/** A new job every this often (simulated): about a hundred in flight at once. */
const arrivalMs = 1_000;
/** Seeds the jobs' models and generation times (the warm-up's with the next seed). */
const seed = Number(process.env.BENCH_SEED ?? 42);
const models = [
  { model: 'sora-2', medianMs: 60_000 },
  { model: 'sora-2-pro', medianMs: 120_000 },
] as const;
const limits: QuotaLimits = { inFlightPerUser: 1e9, jobsPerUserPerDay: 1e9, secondsPerGuildPerDay: 1e12 };

/** Seeded (mulberry32): every schedule meets the same jobs. */
function seeded(seed: number) {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return { random, normal };
}

interface PlannedJob {
  arrivesAt: number;
  model: string;
  durationMs: number;
}

function plan(count: number, startAt: number, seed: number): PlannedJob[] {
  const { random, normal } = seeded(seed);
  return Array.from({ length: count }, (_, index) => {
    const kind = models[random() < 0.5 ? 0 : 1];
    return {
      arrivesAt: startAt + index * arrivalMs,
      model: kind.model,
      durationMs: Math.round(kind.medianMs * Math.exp(sigma * normal())),
    };
  });
}

interface Outcome {
  model: string;
  requests: number;
  detectionMs: number;
}

type Strategy = 'learned' | 'today' | 'fixed-10s';
const schedules: Record<Strategy, ((job: PollSubject, now: number) => number) | undefined> = {
  learned: undefined, // the tracker's own: learned durations once a kind has history
  today: (job, now) => nextPollDelay({ ...job, durations: null }, now, defaultPollPolicy),
  'fixed-10s': () => 10_000,
};

/** Runs `jobs` through a tracker with `strategy` on the store at `path`, on the simulated clock. */
async function run(
  path: string,
  jobs: readonly PlannedJob[],
  strategy: Strategy,
  clock: { now: number },
  phase = 'measured',
) {
  const now = () => clock.now;
  const store: JobStore = await openSqliteStore(path, { now });
  const remote = new Map<string, { endsAt: number; requests: number; planned: PlannedJob }>();
  const client = {
    async retrieve(id: string): Promise<VideoJob> {
      const job = remote.get(id);
      if (!job) throw new Error(`no job ${id}`);
      job.requests++;
      const done = clock.now >= job.endsAt;
      return {
        id,
        status: done ? 'completed' : 'in_progress',
        progress: done ? 100 : 0,
        reportsProgress: false,
        model: job.planned.model,
        prompt: null,
        seconds: 8,
        size: '1280x720',
        createdAt: null,
        completedAt: done ? Math.floor(job.endsAt / 1000) : null,
        expiresAt: null,
        videoUrl: null,
        error: null,
        remixedFromVideoId: null,
      };
    },
  };
  const tracker = createTracker({
    store,
    submissions: createSubmissions(),
    client,
    logger: pino({ level: 'silent' }),
    now,
    nextDelay: schedules[strategy],
  });
  const seenAt = new Map<string, number>();
  tracker.on('completed', (job) => {
    if (job.remoteId) seenAt.set(job.remoteId, clock.now);
  });

  let next = 0;
  while (seenAt.size < jobs.length) {
    const due = await store.nextDueAt();
    const arrival = jobs[next]?.arrivesAt ?? Number.POSITIVE_INFINITY;
    const at = Math.min(due ?? Number.POSITIVE_INFINITY, arrival);
    if (!Number.isFinite(at)) throw new Error('nothing due and nothing arriving, yet jobs are unfinished');
    clock.now = Math.max(clock.now, at);
    for (; next < jobs.length && (jobs[next]?.arrivesAt ?? 0) <= clock.now; next++) {
      const planned = jobs[next] as PlannedJob;
      // As a submission leaves it: the row, then the provider's id and the first poll.
      const inserted = await store.insertWithinQuota(
        {
          guildId: 'g1',
          channelId: 'c1',
          userId: `u${next % 50}`,
          model: planned.model,
          prompt: 'bench',
          seconds: 8,
          size: '1280x720',
        },
        limits,
      );
      if (!inserted.ok) throw new Error('refused');
      const remoteId = `video_${phase}_${strategy}_${next}`;
      remote.set(remoteId, { endsAt: clock.now + planned.durationMs, requests: 0, planned });
      await store.transition(inserted.job.id, 'queued', {
        remoteId,
        nextPollAt: clock.now + defaultPollPolicy.firstPollMs,
      });
    }
    await tracker.runDue();
  }
  await tracker.stop();
  await store.close();
  return [...remote].map(
    ([id, job]): Outcome => ({
      model: job.planned.model,
      requests: job.requests,
      detectionMs: (seenAt.get(id) ?? Number.NaN) - job.endsAt,
    }),
  );
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const round = (value: number, digits: number) => Number(value.toFixed(digits));

function figures(outcomes: readonly Outcome[]) {
  const detection = outcomes.map((outcome) => outcome.detectionMs);
  return {
    jobs: outcomes.length,
    requestsPerJob: round(outcomes.reduce((sum, outcome) => sum + outcome.requests, 0) / outcomes.length, 2),
    detectionMedianMs: Math.round(quantile(detection, 0.5)),
    detectionP90Ms: Math.round(quantile(detection, 0.9)),
  };
}

export async function trackerLearned(): Promise<void> {
  console.log(
    `\n## tracker-learned: ${measuredJobs} jobs that report no progress, after a warm-up of ${warmUpJobs} (simulated time, SQLite)`,
  );
  console.log(
    `generation times lognormal, median ${models.map((kind) => `${kind.medianMs / 1000} s (${kind.model})`).join(' and ')}, sigma ${sigma}; a job every ${arrivalMs / 1000} s`,
  );
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'reelbot-learned-'));
  try {
    const history = join(dir, 'history.db');
    const clock = { now: Date.UTC(2026, 11, 1) };
    await run(history, plan(warmUpJobs, clock.now, seed + 1), 'learned', clock, 'warmup');
    const store = await openSqliteStore(history, { now: () => clock.now });
    const kept = await Promise.all(
      models.map(async (kind) => [kind.model, await store.generationQuantiles(kind.model, 8, '1280x720')]),
    );
    await store.close();
    console.log(JSON.stringify({ learnedAfterWarmUp: Object.fromEntries(kept) }));

    const measuredFrom = clock.now + 60_000;
    const jobs = plan(measuredJobs, measuredFrom, seed);
    const results: Partial<Record<Strategy, { requestsPerJob: number; detectionMedianMs: number }>> = {};
    for (const strategy of ['learned', 'today', 'fixed-10s'] as const) {
      const path = join(dir, `${strategy}.db`);
      copyFileSync(history, path);
      const outcomes = await run(path, jobs, strategy, { now: measuredFrom });
      const all = figures(outcomes);
      results[strategy] = all;
      const byModel = Object.fromEntries(
        models.map((kind) => [
          kind.model,
          figures(outcomes.filter((outcome) => outcome.model === kind.model)),
        ]),
      );
      console.log(JSON.stringify({ strategy, ...all, byModel }));
    }
    const { learned, today } = results;
    if (learned && today) {
      console.log(
        `requests per job, learned / today = ${(learned.requestsPerJob / today.requestsPerJob).toFixed(2)}; median detection ${learned.detectionMedianMs} ms against ${today.detectionMedianMs} ms`,
      );
    }
    console.log(`(ran in ${((performance.now() - started) / 1000).toFixed(1)} s of wall time)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
