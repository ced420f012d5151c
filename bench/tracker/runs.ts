// One tracker benchmark run: a fresh fake provider, P tracker processes (bench/tracker/worker.ts)
// on one database, the figures of the run. Tracking starts in all of them at once, on "go", when
// the jobs are in the database and every process is ready.
import { type BenchProcess, start, startProvider } from '../processes.ts';
import type { BenchPostgres } from '../support/postgres.ts';
import { type ProviderJob, trackerFigures, type WorkerReport } from './figures.ts';

export interface TrackerRunOptions {
  strategy: string;
  count: number;
  processes?: number;
  /** The database the processes share: a PostgreSQL URL, or none for a fresh SQLite file (one process). */
  databaseUrl?: string;
  /** The server behind `databaseUrl`, to count its CPU. */
  postgres?: BenchPostgres;
}

const parse = async (worker: BenchProcess) => JSON.parse(await worker.nextLine()) as unknown;

export async function trackerRun(options: TrackerRunOptions): Promise<Record<string, unknown>> {
  const { strategy, count, processes = 1, databaseUrl, postgres } = options;
  const provider = await startProvider();
  const workers = Array.from({ length: processes }, (_, index) =>
    start(
      'tracker/worker.ts',
      [
        strategy,
        String(count),
        provider.url,
        ...(databaseUrl ? ['--database', databaseUrl] : []),
        '--process',
        String(index),
      ],
      { input: true },
    ),
  );
  await Promise.all(workers.map(parse)); // ready, and the jobs are in
  const cpuBefore = await postgres?.cpuSeconds();
  for (const worker of workers) worker.send('go');
  const reports = (await Promise.all(workers.map(parse))) as WorkerReport[];
  await Promise.all(workers.map((worker) => worker.exited));
  // The processes' backends end as their pools close; the server reaps them (and counts their CPU) a moment later.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuAfter = await postgres?.cpuSeconds();
  const stats = (await provider.stats()) as ProviderJob[];
  await provider.stop();
  return trackerFigures({
    strategy,
    count,
    store: databaseUrl ? 'postgres' : 'sqlite',
    reports,
    stats,
    databaseCpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
  });
}
