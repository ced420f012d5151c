// `npm run bench tracker-webhooks`: completion detection when the provider sends signed webhooks
// and loses some (BENCH_WEBHOOK_LOSS, 5% by default). A fake provider in its own process
// (webhookProvider.ts) ends N jobs (BENCH_WEBHOOK_COUNT) at the tracker benchmark's random times
// and posts each end to the create's callback URL, the bot's own endpoint in the tracker process
// (webhookWorker.ts). Prints median and p99 detection latency (provider end to the tracker's
// `completed`), how late the lost ones were found, and provider requests per job. The safety net
// polls every BENCH_SAFETY_POLL_MS (60 s, VIDEO_WEBHOOK_SAFETY_POLL_SECONDS's default).
import { randomBytes } from 'node:crypto';
import { start } from '../processes.ts';

const count = Number(process.env.BENCH_WEBHOOK_COUNT ?? 1_000);
const loss = process.env.BENCH_WEBHOOK_LOSS ?? '0.05';

interface ProviderJob {
  id: string;
  polls: number;
  completedAt: number;
  lost: boolean;
  answer: number | null;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** The figures of one run, from what the provider counted and when the tracker saw each end. */
export function webhookFigures(stats: readonly ProviderJob[], detected: readonly [string, number][]) {
  const seen = new Map(detected);
  const latency = (jobs: readonly ProviderJob[]) =>
    jobs.flatMap((job) => {
      const at = seen.get(job.id);
      return at === undefined ? [] : [Math.max(0, at - job.completedAt)];
    });
  const all = latency(stats);
  const lost = stats.filter((job) => job.lost);
  const lostLatency = latency(lost);
  const sent = stats.filter((job) => !job.lost);
  return {
    jobs: stats.length,
    webhooksLost: lost.length,
    webhooksAnswered2xx: sent.filter((job) => job.answer !== null && job.answer < 300).length,
    requestsPerJob: round(mean(stats.map((job) => job.polls)), 2),
    detectionMedianMs: round(quantile(all, 0.5)),
    detectionP90Ms: round(quantile(all, 0.9)),
    detectionP99Ms: round(quantile(all, 0.99)),
    detectionMaxMs: round(Math.max(...all)),
    delivered: {
      detectionMedianMs: round(quantile(latency(sent), 0.5)),
      requestsPerJob: round(mean(sent.map((job) => job.polls)), 2),
    },
    lost: {
      detectionMedianMs: round(quantile(lostLatency, 0.5)),
      detectionMaxMs: round(Math.max(...lostLatency)),
      requestsPerJob: round(mean(lost.map((job) => job.polls)), 2),
    },
    undetected: stats.length - all.length,
  };
}

export async function trackerWebhooks(): Promise<void> {
  console.log(
    `\n## tracker-webhooks: ${count} jobs, the provider signs a webhook at each end and loses ${Number(loss) * 100}% (SQLite)`,
  );
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const env = { BENCH_WEBHOOK_SECRET: secret, BENCH_WEBHOOK_LOSS: loss };
  const provider = start('tracker/webhookProvider.ts', [], { env });
  const { port } = JSON.parse(await provider.nextLine()) as { port: number };
  const worker = start('tracker/webhookWorker.ts', [String(count), `http://127.0.0.1:${port}/v1`], { env });
  const report = JSON.parse(await worker.nextLine()) as {
    detected: [string, number][];
    cpuSeconds: number;
    peakRssMb: number;
  };
  await worker.exited;
  const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as ProviderJob[];
  provider.child.kill('SIGTERM');
  await provider.exited;
  console.log(
    JSON.stringify({
      strategy: `webhooks, ${Number(process.env.BENCH_SAFETY_POLL_MS ?? 60_000) / 1000} s safety net`,
      ...webhookFigures(stats, report.detected),
      cpuSeconds: round(report.cpuSeconds, 2),
      peakRssMb: report.peakRssMb,
    }),
  );
}
