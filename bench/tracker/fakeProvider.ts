// A fake video API for the tracker benchmark, run as its own process so the tracker's RSS is its own.
// Jobs complete at seeded random times; most report linear progress, some report none, some stall.
import { createServer } from 'node:http';
import { serveOnLoopback } from '../support/providerServer.ts';
import { benchSeed, mulberry32 } from '../support/seeded.ts';

type Kind = 'linear' | 'blind' | 'stall';
interface BenchJob {
  id: string;
  kind: Kind;
  createdAt: number;
  durationMs: number;
  stallAt: number;
  stallMs: number;
  polls: number;
}

const minDurationMs = Number(process.env.BENCH_MIN_DURATION_MS ?? 30_000);
const maxDurationMs = Number(process.env.BENCH_MAX_DURATION_MS ?? 150_000);

let random = mulberry32(benchSeed());

const jobs = new Map<string, BenchJob>();
let counter = 0;

function completionAt(job: BenchJob): number {
  return job.createdAt + job.durationMs + (job.kind === 'stall' ? job.stallMs : 0);
}

function progressOf(job: BenchJob, now: number): number {
  const elapsed = now - job.createdAt;
  if (job.kind === 'stall') {
    const stallStart = job.durationMs * job.stallAt;
    if (elapsed < stallStart) return Math.floor((elapsed / job.durationMs) * 100);
    if (elapsed < stallStart + job.stallMs) return Math.floor(job.stallAt * 100);
    return Math.floor(((elapsed - job.stallMs) / job.durationMs) * 100);
  }
  return Math.floor((elapsed / job.durationMs) * 100);
}

function view(job: BenchJob, now: number) {
  const done = now >= completionAt(job);
  const base = {
    id: job.id,
    object: 'video',
    created_at: Math.floor(job.createdAt / 1000),
    model: 'bench',
    seconds: '8',
    size: '1280x720',
  };
  if (done)
    return {
      ...base,
      status: 'completed',
      progress: 100,
      completed_at: Math.floor(completionAt(job) / 1000),
    };
  if (job.kind === 'blind') return { ...base, status: 'in_progress', progress: 0 };
  return { ...base, status: 'in_progress', progress: Math.min(99, progressOf(job, now)) };
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
    request.resume();
    request.on('end', () => {
      const roll = random();
      const kind: Kind = roll < 0.7 ? 'linear' : roll < 0.9 ? 'blind' : 'stall';
      const job: BenchJob = {
        id: `video_${++counter}`,
        kind,
        createdAt: Date.now(),
        durationMs: minDurationMs + random() * (maxDurationMs - minDurationMs),
        stallAt: 0.3 + random() * 0.4,
        stallMs: 20_000 + random() * 40_000,
        polls: 0,
      };
      jobs.set(job.id, job);
      send(200, { ...view(job, Date.now()), status: 'queued', progress: 0 });
    });
    return;
  }
  if (request.method === 'GET' && url === '/stats') {
    send(
      200,
      [...jobs.values()].map((job) => ({
        id: job.id,
        kind: job.kind,
        polls: job.polls,
        completedAt: completionAt(job),
      })),
    );
    return;
  }
  if (request.method === 'POST' && url === '/reset') {
    jobs.clear();
    counter = 0;
    random = mulberry32(benchSeed());
    send(200, { ok: true });
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
