// The tracker with provider webhooks: sparse polls while they arrive, and an event that comes
// while its job's poll is out (whose answer may predate the event) gets a poll of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { submitJob } from '../../src/jobs/index.ts';
import { generous, newJob, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const arriving = { schedule: async () => ({ live: true, safetyPollMs: 600_000 }) };

async function submitted(current: World, webhooks = arriving) {
  const result = await submitJob(
    {
      store: current.store,
      submissions: current.submissions,
      client: current.client,
      defaults: generous,
      now: current.time.now,
      webhooks,
    },
    newJob({ prompt: 'a lighthouse in fog' }),
  );
  if (!result.ok) throw new Error('refused');
  return result.job;
}

describe('tracker with provider webhooks', () => {
  it("schedules the first and every later poll at the safety net's interval while webhooks arrive", async () => {
    w = await world({ video: { pollsToComplete: 1_000 }, tracker: { webhooks: arriving } });
    const job = await submitted(w);
    expect(job.nextPollAt).toBe(w.time.now() + 600_000);
    w.time.advance(600_000);
    expect(await w.tracker.runDue()).toBe(1);
    expect((await w.store.get(job.id))?.nextPollAt).toBe(w.time.now() + 600_000);
  });

  it('polls again at once when an event came while the poll was out', async () => {
    w = await world({ video: { pollsToComplete: 1_000 }, tracker: { webhooks: arriving } });
    const current = w;
    const job = await submitted(current);
    current.time.advance(600_000);
    const held = current.video.hold({ method: 'GET', path: /^\/v1\/videos\/video_/ });
    const polling = current.tracker.runDue();
    await held.arrived;
    // What the receiver does for an event naming this job: the row is due now, the tracker told.
    expect(await current.store.pollRemoteNow(job.remoteId ?? '', current.time.now())).toEqual({
      jobId: job.id,
      polled: true,
    });
    current.tracker.pollNow(job.id);
    held.release();
    await polling;
    // The held poll's answer (still running) scheduled the safety net; the event's poll wins.
    expect((await current.store.get(job.id))?.nextPollAt).toBe(current.time.now());
  });

  it('keeps the usual schedule when webhooks are not arriving', async () => {
    w = await world({ video: { pollsToComplete: 1_000 } });
    const job = await submitted(w, { schedule: async () => ({ live: false, safetyPollMs: 600_000 }) });
    expect(job.nextPollAt).toBe(w.time.now() + 3_000);
  });
});
