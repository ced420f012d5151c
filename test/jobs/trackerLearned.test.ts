// The tracker and learned generation times: each completion kept for its kind, kept across a
// restart, and the learned schedule taking over a job that reports nothing once its kind has history.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSubmissions,
  createTracker,
  defaultPollPolicy,
  type JobStore,
  learnedBlindDelay,
  type NewJob,
  openSqliteStore,
  submitJob,
} from '../../src/jobs/index.ts';
import { generous, newJob, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
const opened: JobStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) if (store.isAvailable()) await store.close();
  await w?.close();
  w = undefined;
});

/** A provider that reports no progress, and finishes a job only when the test says so (completeJob). */
const blindProvider = () => world({ video: { variant: 'no_progress', pollsToComplete: 1_000_000 } });

async function submit(current: World, job: Partial<NewJob> = {}) {
  const result = await submitJob(
    {
      store: current.store,
      submissions: current.submissions,
      client: current.client,
      defaults: generous,
      now: current.time.now,
    },
    newJob(job),
  );
  if (!result.ok) throw new Error('refused');
  return result.job;
}

/** Advances the clock to the next due poll and runs it with `tracker` (the world's by default). */
async function step(current: World, tracker = current.tracker): Promise<number> {
  const due = await current.store.nextDueAt();
  if (due !== null && due > current.time.now()) current.time.advance(due - current.time.now());
  return tracker.runDue();
}

/** Steps until the clock has passed `at` (ms since the world's start). */
async function stepUntil(current: World, start: number, at: number, tracker = current.tracker) {
  while (current.time.now() - start < at) await step(current, tracker);
}

const finish = (current: World, remoteId: string | null) => {
  if (!remoteId) throw new Error('not submitted');
  current.video.completeJob(remoteId);
};

const kind = (job: Partial<NewJob> = {}) => {
  const { model, seconds, size } = newJob(job);
  return [model, seconds, size] as const;
};

describe('the tracker and learned generation times', () => {
  it('keeps each completion’s generation time for its kind: from creation to halfway between the last two looks', async () => {
    w = await blindProvider();
    const start = w.time.now();
    const wide = await submit(w);
    const tall = await submit(w, { size: '720x1280' });
    await stepUntil(w, start, 13_000); // polls at 3 s and 13 s, every 10 s (no history yet)
    w.time.advance(7_000);
    const wideRow = await w.store.get(wide.id);
    finish(w, wideRow?.remoteId ?? null); // finishes at 20 s: seen at 23 s, the look before at 13 s
    await step(w);
    expect((await w.store.get(wide.id))?.state).toBe('completed');
    await stepUntil(w, start, 33_000);
    w.time.advance(7_000);
    finish(w, (await w.store.get(tall.id))?.remoteId ?? null); // 40 s: seen at 43 s, before at 33 s
    await step(w);
    expect((await w.store.get(tall.id))?.state).toBe('completed');

    const wideTimes = { count: 1, running: 0, p10: 18_000, p50: 18_000, p90: 18_000 };
    const tallTimes = { count: 1, running: 0, p10: 38_000, p50: 38_000, p90: 38_000 };
    expect(await w.store.generationQuantiles(...kind())).toEqual(wideTimes);
    expect(await w.store.generationQuantiles(...kind({ size: '720x1280' }))).toEqual(tallTimes);
    expect((await w.store.generationQuantiles(...kind({ seconds: 12 }))).count).toBe(0);
    expect((await w.store.generationQuantiles(...kind({ model: 'sora-2' }))).count).toBe(0);

    // A restart reads them back from the file.
    await w.store.close();
    const reopened = await openSqliteStore(w.path, { now: w.time.now });
    opened.push(reopened);
    expect(await reopened.generationQuantiles(...kind())).toEqual(wideTimes);
    expect(await reopened.generationQuantiles(...kind({ size: '720x1280' }))).toEqual(tallTimes);
  });

  it('keeps no sample of a completion seen long after the look before (the tracker was down)', async () => {
    w = await blindProvider();
    const job = await submit(w);
    await step(w); // 3 s
    finish(w, (await w.store.get(job.id))?.remoteId ?? null);
    w.time.advance(5 * 60_000);
    await step(w);
    expect((await w.store.get(job.id))?.state).toBe('completed');
    expect((await w.store.generationQuantiles(...kind())).count).toBe(0);
  });

  it('moves a job that reports nothing to the learned schedule at its kind’s 20th sample, not at its 19th', async () => {
    w = await blindProvider();
    const current = w;
    const reads: string[] = [];
    const counting: JobStore = {
      ...current.store,
      generationQuantiles(model, seconds, size) {
        reads.push(`${model} ${seconds} ${size}`);
        return current.store.generationQuantiles(model, seconds, size);
      },
    };
    const logged: { msg: string; model?: string; count?: number }[] = [];
    const lines = new Writable({
      write(chunk, _encoding, done) {
        logged.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const learnedLines = () => logged.filter((line) => line.msg.startsWith('learned how long'));
    const tracker = createTracker({
      store: counting,
      submissions: createSubmissions(),
      client: current.client,
      logger: pino({ level: 'info' }, lines),
      now: current.time.now,
    });
    // 19 jobs of this kind took 50 s to 68 s here; another size took 5 s.
    for (let index = 0; index < 19; index++) {
      await current.store.recordGenerationTime(...kind(), 50_000 + index * 1_000, current.time.now());
    }
    for (let index = 0; index < 30; index++) {
      await current.store.recordGenerationTime(...kind({ size: '720x1280' }), 5_000, current.time.now());
    }
    const start = current.time.now();
    const job = await submit(current);
    const wait = async () => {
      const row = await current.store.get(job.id);
      return (row?.nextPollAt ?? 0) - current.time.now();
    };

    await step(current, tracker); // 3 s
    expect(await wait()).toBe(defaultPollPolicy.blindIntervalMs);

    // The 20th sample, from another process on the same database.
    const other = await openSqliteStore(current.path, { now: current.time.now, instance: 'other' });
    opened.push(other);
    await other.recordGenerationTime(...kind(), 69_000, current.time.now());

    // Read once, then kept for a minute: the next polls still go by what the tracker read at 3 s.
    await stepUntil(current, start, 53_000, tracker);
    expect(await wait()).toBe(defaultPollPolicy.blindIntervalMs);
    expect(reads).toEqual(['veo-3.1-fast-generate-preview 6 1280x720']);
    expect(learnedLines()).toEqual([]);

    // At 63 s the minute is up: read again, 20 samples, and the learned schedule polls it densely.
    await step(current, tracker);
    expect(current.time.now() - start).toBe(63_000);
    expect(reads).toHaveLength(2);
    const learned = await current.store.generationQuantiles(...kind());
    expect(learned.count).toBe(20);
    expect(await wait()).toBe(learnedBlindDelay(63_000, learned, defaultPollPolicy));
    expect(await wait()).toBeLessThan(5_000);
    // The operator reads once that this kind is now polled by what was learned.
    await step(current, tracker);
    expect(learnedLines()).toMatchObject([
      { model: 'veo-3.1-fast-generate-preview', seconds: 6, size: '1280x720', count: 20, p10: learned.p10 },
    ]);
    await tracker.stop();
  });
});
