// A fake video API for the webhook benchmark, in its own process: jobs end at seeded random times
// (the tracker benchmark's spread and mix of progress reports) and, when each ends, a signed
// Standard Webhooks event goes to the callback URL its create carried; a share of them is lost.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { serveOnLoopback } from '../support/providerServer.ts';
import { benchSeed, mulberry32 } from '../support/seeded.ts';

const minDurationMs = Number(process.env.BENCH_MIN_DURATION_MS ?? 30_000);
const maxDurationMs = Number(process.env.BENCH_MAX_DURATION_MS ?? 150_000);
const lossRate = Number(process.env.BENCH_WEBHOOK_LOSS ?? 0.05);
const signer = new Webhook(process.env.BENCH_WEBHOOK_SECRET ?? '');

const random = mulberry32(benchSeed());

interface BenchJob {
  id: string;
  blind: boolean;
  createdAt: number;
  completedAt: number;
  polls: number;
  lost: boolean;
  /** When the receiver answered its webhook, and how. */
  answeredAt: number | null;
  answer: number | null;
}

const jobs = new Map<string, BenchJob>();
let counter = 0;

function view(job: BenchJob, now: number) {
  const base = { id: job.id, object: 'video', created_at: Math.floor(job.createdAt / 1000), model: 'bench' };
  if (now >= job.completedAt) return { ...base, status: 'completed', progress: 100 };
  const progress = job.blind
    ? 0
    : Math.min(99, Math.floor(((now - job.createdAt) / (job.completedAt - job.createdAt)) * 100));
  return { ...base, status: 'in_progress', progress };
}

/** The job's end, as the provider signals it: one signed event to the create's callback URL (or lost). */
function announce(job: BenchJob, url: string): void {
  if (job.lost) return;
  const body = JSON.stringify({
    id: `evt_${job.id}`,
    object: 'event',
    type: 'video.completed',
    created_at: Math.floor(Date.now() / 1000),
    data: { id: job.id },
  });
  const webhookId = `msg_${job.id}`;
  const now = new Date();
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signer.sign(webhookId, now, body),
    },
    body,
  })
    .then(async (response) => {
      await response.arrayBuffer();
      job.answer = response.status;
      job.answeredAt = Date.now();
    })
    .catch(() => undefined);
}

const server = createServer((request, response) => {
  const url = request.url ?? '/';
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };
  if (request.method === 'POST' && url === '/v1/videos') {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { callback_url: callback } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        callback_url?: string;
      };
      const createdAt = Date.now();
      const job: BenchJob = {
        id: `video_${++counter}`,
        blind: random() < 0.2,
        createdAt,
        completedAt: createdAt + minDurationMs + random() * (maxDurationMs - minDurationMs),
        polls: 0,
        lost: random() < lossRate,
        answeredAt: null,
        answer: null,
      };
      jobs.set(job.id, job);
      if (callback) setTimeout(() => announce(job, callback), job.completedAt - createdAt);
      send(200, { ...view(job, createdAt), status: 'queued', progress: 0 });
    });
    return;
  }
  if (request.method === 'GET' && url === '/stats') {
    send(
      200,
      [...jobs.values()].map(({ id, polls, completedAt, lost, answer }) => ({
        id,
        polls,
        completedAt,
        lost,
        answer,
      })),
    );
    return;
  }
  const match = /^\/v1\/videos\/([\w-]+)$/.exec(url);
  const job = match?.[1] ? jobs.get(match[1]) : undefined;
  if (request.method === 'GET' && job) {
    job.polls++;
    send(200, view(job, Date.now()));
    return;
  }
  send(404, { error: { message: 'not found', type: 'invalid_request_error', code: 'not_found' } });
});
serveOnLoopback(server);
