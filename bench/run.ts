// `npm run bench [name...]`: runs the benchmarks (all of them, or the ones named) and prints their
// figures. Never asserts wall time. PostgreSQL benchmarks start a throwaway server of their own.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productionFlags, runOnce, start, startProvider } from './processes.ts';
import { type BenchPostgres, startBenchPostgres } from './support/postgres.ts';
import { trackerLearned } from './tracker/learned.ts';
import { trackerRun } from './tracker/runs.ts';

const numbers = (text: string) => text.split(',').filter(Boolean).map(Number);
const trackerCounts = numbers(process.env.BENCH_COUNTS ?? '1000,10000');
/** The fixed-interval baselines run at these counts only (at 10,000 they tell nothing new: see the README). */
const baselineCounts = numbers(process.env.BENCH_BASELINE_COUNTS ?? '1000');
const strategies = (process.env.BENCH_STRATEGIES ?? 'reelbot,fixed-10s,fixed-2s').split(',');
const postgresCount = Number(process.env.BENCH_POSTGRES_COUNT ?? 10_000);

async function withPostgres(work: (postgres: BenchPostgres) => Promise<void>): Promise<void> {
  const postgres = await startBenchPostgres();
  try {
    await work(postgres);
  } finally {
    await postgres.stop();
  }
}

/** SQLite runs of the reelbot strategy by count, so PostgreSQL's are compared within one run. */
const sqliteReelbot = new Map<number, { requestsPerJob: number }>();

async function sqliteTracker(strategy: string, count: number): Promise<{ requestsPerJob: number }> {
  const result = (await trackerRun({ strategy, count })) as { requestsPerJob: number };
  if (strategy === 'reelbot') sqliteReelbot.set(count, result);
  console.log(JSON.stringify(result));
  return result;
}

function describeTrackerJobs(): void {
  console.log(`node flags: ${productionFlags.join(' ') || '(none)'}`);
  console.log(
    `jobs last ${process.env.BENCH_MIN_DURATION_MS ?? 30_000}–${process.env.BENCH_MAX_DURATION_MS ?? 150_000} ms; 70% linear progress, 20% no progress, 10% stall`,
  );
}

async function tracker(): Promise<void> {
  console.log('\n## tracker: provider requests per job and completion detection latency (SQLite)');
  describeTrackerJobs();
  for (const count of trackerCounts) {
    const results: Record<string, { requestsPerJob: number }> = {};
    for (const strategy of strategies) {
      if (strategy !== 'reelbot' && !baselineCounts.includes(count)) continue;
      results[strategy] = await sqliteTracker(strategy, count);
    }
    const ours = results.reelbot?.requestsPerJob;
    for (const baseline of ['fixed-10s', 'fixed-2s']) {
      const theirs = results[baseline]?.requestsPerJob;
      if (ours && theirs)
        console.log(`N=${count}: requests per job, reelbot / ${baseline} = ${(ours / theirs).toFixed(2)}`);
    }
  }
}

async function trackerPostgres(): Promise<void> {
  console.log(
    `\n## tracker-postgres: ${postgresCount} jobs on PostgreSQL, one process and two processes sharing them`,
  );
  describeTrackerJobs();
  const baseline = sqliteReelbot.get(postgresCount) ?? (await sqliteTracker('reelbot', postgresCount));
  await withPostgres(async (postgres) => {
    for (const processes of [1, 2]) {
      const databaseUrl = await postgres.database(`tracker_${processes}`);
      const result = (await trackerRun({
        strategy: 'reelbot',
        count: postgresCount,
        processes,
        databaseUrl,
        postgres,
      })) as { requestsPerJob: number };
      console.log(JSON.stringify(result));
      console.log(
        `N=${postgresCount}: requests per job, PostgreSQL with ${processes} process${processes > 1 ? 'es' : ''} / SQLite = ${(result.requestsPerJob / baseline.requestsPerJob).toFixed(2)}`,
      );
    }
  });
}

const resumeCount = process.env.BENCH_RESUME_COUNT ?? '10000';

/** Leaves `resumeCount` in-flight jobs in `database` as a crash would, then times the restarted process. */
async function resumeOn(database: string): Promise<void> {
  const provider = await startProvider({ BENCH_MIN_DURATION_MS: '600000', BENCH_MAX_DURATION_MS: '900000' });
  const prepare = start('tracker/resume.ts', ['prepare', database, resumeCount, provider.url]);
  const code = await prepare.exited;
  if (code !== 0) throw new Error(`resume.ts prepare exited with ${code}`);
  console.log(
    JSON.stringify(await runOnce('tracker/resume.ts', ['resume', database, resumeCount, provider.url])),
  );
  await provider.stop();
}

async function resume(): Promise<void> {
  console.log(
    `\n## resume: ${resumeCount} in-flight jobs after a crash, process start to first poll (SQLite)`,
  );
  await resumeOn(join(mkdtempSync(join(tmpdir(), 'reelbot-resume-')), 'resume.db'));
}

async function resumePostgres(): Promise<void> {
  console.log(`\n## resume-postgres: the same on PostgreSQL`);
  await withPostgres(async (postgres) => resumeOn(await postgres.database('resume')));
}

const historyJobs = process.env.BENCH_HISTORY_JOBS ?? '100000';

async function historyOn(database?: string): Promise<void> {
  const child = start('history/history.ts', [historyJobs, ...(database ? ['--database', database] : [])]);
  for (;;) {
    const line = await child.nextLine().catch(() => undefined);
    if (line === undefined) break;
    console.log(line);
  }
  const code = await child.exited;
  if (code !== 0) throw new Error(`history.ts exited with ${code}`);
}

async function history(): Promise<void> {
  console.log('\n## history: /video-history page with 100,000 jobs in the database (SQLite)');
  await historyOn();
}

async function historyPostgres(): Promise<void> {
  console.log('\n## history-postgres: the same on PostgreSQL');
  await withPostgres(async (postgres) => historyOn(await postgres.database('history')));
}

async function burst(): Promise<void> {
  console.log('\n## burst: 200 /video from 50 members within one second (bot in its own process)');
  console.log(JSON.stringify(await runOnce('discord/burst.ts')));
}

const benchmarks: Record<string, () => Promise<void>> = {
  history,
  'history-postgres': historyPostgres,
  burst,
  tracker,
  'tracker-postgres': trackerPostgres,
  'tracker-learned': trackerLearned,
  resume,
  'resume-postgres': resumePostgres,
  'tracker-webhooks': async () => (await import('./tracker/webhooks.ts')).trackerWebhooks(),
};
const named = process.argv.slice(2);
const unknown = named.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(
    `no benchmark named ${unknown.join(', ')}: choose from ${Object.keys(benchmarks).join(', ')}`,
  );
  process.exit(2);
}
for (const name of named.length > 0 ? named : Object.keys(benchmarks)) await benchmarks[name]?.();
