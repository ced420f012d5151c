// The figures of one tracker benchmark run, from what its processes saw (their WorkerReports)
// and what the provider counted: requests per job, detection latency by kind of job, poll lag,
// CPU, and (with several processes) whether any job was claimed by two of them at once.

/** One poll claim a process held: the job, from just before the claim to just after its poll's write (null: never written). */
export type ClaimSpan = [jobId: number, from: number, to: number | null];

/** One poll a process sent: the job, when it was due, when it went out. */
export type PollSpan = [jobId: number, dueAt: number, sentAt: number];

/** What one tracker process prints at the end of a run (bench/tracker/worker.ts). */
export interface WorkerReport {
  /** How long process 0 took to create the jobs and write their rows (0 in the others). */
  seedMs: number;
  polls: PollSpan[];
  /** Per job this process saw complete: its remote id and when. */
  detected: [remoteId: string, at: number][];
  claims: ClaimSpan[];
  /** From the tracker's start to its stop. */
  cpuSeconds: number;
  peakRssMb: number;
}

/** What the fake provider knows of each job (its GET /stats). */
export interface ProviderJob {
  id: string;
  kind: string;
  polls: number;
  completedAt: number;
}

export interface TrackerRun {
  strategy: string;
  count: number;
  store: 'sqlite' | 'postgres';
  reports: WorkerReport[];
  stats: ProviderJob[];
  /** CPU seconds the PostgreSQL server spent while the processes tracked. */
  databaseCpuSeconds?: number;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Jobs that two processes held a claim on at the same moment (it must be none). */
export function jobsClaimedByTwoAtOnce(reports: readonly WorkerReport[]): number {
  const byJob = new Map<number, { process: number; from: number; to: number }[]>();
  reports.forEach((report, process) => {
    for (const [jobId, from, to] of report.claims) {
      const spans = byJob.get(jobId) ?? [];
      spans.push({ process, from, to: to ?? Number.POSITIVE_INFINITY });
      byJob.set(jobId, spans);
    }
  });
  let jobs = 0;
  for (const spans of byJob.values()) {
    const overlap = spans.some((a, i) =>
      spans.some((b, j) => j > i && a.process !== b.process && a.from < b.to && b.from < a.to),
    );
    if (overlap) jobs++;
  }
  return jobs;
}

/** Jobs polled (claimed) by every process of the run at some time: shows the work was shared. */
function jobsPolledByEveryProcess(reports: readonly WorkerReport[]): number {
  const sets = reports.map((report) => new Set(report.claims.map(([jobId]) => jobId)));
  const [first, ...others] = sets;
  return [...(first ?? [])].filter((jobId) => others.every((set) => set.has(jobId))).length;
}

/** Every poll but each job's first. */
function laterPolls(polls: readonly PollSpan[]): PollSpan[] {
  const firstDue = new Map<number, number>();
  for (const [jobId, dueAt] of polls) firstDue.set(jobId, Math.min(dueAt, firstDue.get(jobId) ?? dueAt));
  return polls.filter(([jobId, dueAt]) => dueAt !== firstDue.get(jobId));
}

function byKind(stats: readonly ProviderJob[], detectedAt: ReadonlyMap<string, number>) {
  const kinds = new Map<string, { polls: number[]; latency: number[] }>();
  for (const job of stats) {
    const entry = kinds.get(job.kind) ?? { polls: [], latency: [] };
    entry.polls.push(job.polls);
    const detected = detectedAt.get(job.id);
    if (detected !== undefined) entry.latency.push(detected - job.completedAt);
    kinds.set(job.kind, entry);
  }
  return Object.fromEntries(
    [...kinds].map(([kind, entry]) => [
      kind,
      {
        jobs: entry.polls.length,
        requestsPerJob: round(mean(entry.polls), 2),
        detectionMedianMs: Math.round(quantile(entry.latency, 0.5)),
        detectionP90Ms: Math.round(quantile(entry.latency, 0.9)),
        undetected: entry.polls.length - entry.latency.length,
      },
    ]),
  );
}

export function trackerFigures(run: TrackerRun): Record<string, unknown> {
  const { reports, stats, count } = run;
  const detectedAt = new Map<string, number>();
  for (const [remoteId, at] of reports.flatMap((report) => report.detected))
    detectedAt.set(remoteId, Math.min(at, detectedAt.get(remoteId) ?? at));
  const polls = reports.flatMap((report) => report.polls);
  const lag = ([, dueAt, sentAt]: PollSpan) => Math.max(0, sentAt - dueAt);
  const pollLagMs = polls.map(lag);
  const laterLagMs = laterPolls(polls).map(lag);
  const totalPolls = stats.reduce((sum, job) => sum + job.polls, 0);
  const cpuSeconds = reports.reduce((sum, report) => sum + report.cpuSeconds, 0);
  const per1000Polls = (seconds: number) => round((seconds / Math.max(1, totalPolls)) * 1000, 3);
  const several = reports.length > 1;
  return {
    strategy: run.strategy,
    count,
    store: run.store,
    processes: reports.length,
    seedMs: Math.max(...reports.map((report) => report.seedMs)),
    requestsPerJob: round(totalPolls / count, 2),
    // With 8 polls in flight at once, a dense fixed schedule can outrun the loop: then its polls
    // go out late, and its detection latency says more about the queue than about the schedule.
    pollLagMeanMs: Math.round(mean(pollLagMs)),
    pollLagP90Ms: Math.round(quantile(pollLagMs, 0.9)),
    // The first polls of all N jobs fall due within the seconds it took to create them: without
    // them, the lag is the tracker's in steady work.
    laterPollLagMeanMs: Math.round(mean(laterLagMs)),
    laterPollLagP90Ms: Math.round(quantile(laterLagMs, 0.9)),
    kinds: byKind(stats, detectedAt),
    peakRssMb: Math.max(...reports.map((report) => report.peakRssMb)),
    // Per poll, a sparse schedule pays more (one wake-up and one claim per poll, where a fixed
    // interval batches them): the total says what the processes actually spent.
    cpuSecondsTotal: round(cpuSeconds, 2),
    cpuSecondsPer1000Polls: per1000Polls(cpuSeconds),
    // On PostgreSQL the store's work is done by the server, outside the tracker's process.
    ...(run.databaseCpuSeconds === undefined
      ? {}
      : {
          databaseCpuSecondsTotal: round(run.databaseCpuSeconds, 2),
          databaseCpuSecondsPer1000Polls: per1000Polls(run.databaseCpuSeconds),
        }),
    ...(several
      ? {
          pollsByProcess: reports.map((report) => report.polls.length),
          jobsPolledByEveryProcess: jobsPolledByEveryProcess(reports),
          jobsClaimedByTwoAtOnce: jobsClaimedByTwoAtOnce(reports),
          claimsNeverWritten: reports.reduce(
            (sum, report) => sum + report.claims.filter(([, , to]) => to === null).length,
            0,
          ),
        }
      : {}),
  };
}
