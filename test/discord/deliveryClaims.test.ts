// Delivery with two processes on one database: the delivery claim decides which one uploads. A
// real store (two, on one file), a recording messenger and a kept file on disk; the clock is driven.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDelivery } from '../../src/discord/delivery.ts';
import { type Job, type JobStore, type MediaStore, openSqliteStore } from '../../src/jobs/index.ts';
import { ProviderError } from '../../src/provider/index.ts';
import { clock, generous, newJob, silent } from '../jobs/helpers.ts';
import { recordingMessenger } from './fixtures.ts';

const leaseMs = 60_000;

interface Upload {
  jobId: number;
  files: number;
}

let opened: JobStore[] = [];
afterEach(async () => {
  for (const store of opened) await store.close();
  opened = [];
});

async function setUp() {
  const time = clock();
  const dir = mkdtempSync(join(tmpdir(), 'reelbot-delivery-'));
  const path = join(dir, 'jobs.db');
  const here = await openSqliteStore(path, { now: time.now, instance: 'here' });
  const there = await openSqliteStore(path, { now: time.now, instance: 'there' });
  opened.push(here, there);
  const video = join(dir, 'video.mp4');
  writeFileSync(video, Buffer.alloc(2_048, 7));

  const uploads: Upload[] = [];
  const ensured: number[] = [];
  /** Jobs whose download fails in passing (a 503 of the provider). */
  const downloadsDown = new Set<number>();
  /** While set, the next upload hangs until the test releases it. */
  let hold: { arrived: () => void; released: Promise<void> } | undefined;
  const messenger = recordingMessenger(async (job, _body, options = {}) => {
    const held = hold;
    hold = undefined;
    held?.arrived();
    if (held) await held.released;
    uploads.push({ jobId: job.id, files: options.files?.length ?? 0 });
    return 'webhook';
  });
  const media: MediaStore = {
    dir,
    videoPath: () => video,
    async ensure(job) {
      ensured.push(job.id);
      if (downloadsDown.has(job.id)) {
        return { ok: false, error: new ProviderError('provider_down', 'unavailable', { status: 503 }) };
      }
      return { ok: true, path: video, bytes: 2_048 };
    },
    prune: async () => 0,
  };
  const delivery = createDelivery({
    store: here,
    media,
    messenger,
    client: { download: () => Promise.reject(new Error('no thumbnails in this test')) },
    logger: silent,
    now: time.now,
    renderContext: () => ({ supportsRemix: false }),
    publicLink: () => null,
    uploadsAtOnce: 1,
    leaseMs,
  });

  async function completed(): Promise<Job> {
    const inserted = await here.insertWithinQuota(newJob(), generous);
    if (!inserted.ok) throw new Error('refused');
    await here.transition(inserted.job.id, 'queued', { remoteId: `video_${inserted.job.id}` });
    return here.transition(inserted.job.id, 'completed', { completedAt: time.now() });
  }

  return {
    time,
    here,
    there,
    delivery,
    uploads,
    ensured,
    downloadsDown,
    completed,
    holdNextUpload() {
      let arrived = () => {};
      let release = () => {};
      const arrival = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      hold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
      return { arrived: arrival, release };
    },
  };
}

async function expectUploadedOnce(t: Awaited<ReturnType<typeof setUp>>, job: Job): Promise<void> {
  expect(t.uploads).toEqual([{ jobId: job.id, files: 1 }]);
  expect((await t.here.get(job.id))?.state).toBe('delivered');
}

describe('delivery shared by two processes', () => {
  it('leaves a job whose delivery another live process holds, and delivers it once that one lets go', async () => {
    const t = await setUp();
    const job = await t.completed();
    expect(await t.there.claimDelivery(job.id, leaseMs)).toBeDefined();

    await t.delivery.deliver(job);
    expect(t.ensured).toEqual([]);
    expect(t.uploads).toEqual([]);
    expect((await t.here.get(job.id))?.state).toBe('completed');

    await t.there.releaseDelivery(job.id);
    await t.delivery.deliver(job);
    await expectUploadedOnce(t, job);
  });

  it('takes over a delivery whose holder died, once its lease has run out', async () => {
    const t = await setUp();
    const job = await t.completed();
    await t.there.claimDelivery(job.id, leaseMs);
    await t.there.close();
    t.time.advance(leaseMs);
    await t.delivery.deliver(job);
    await expectUploadedOnce(t, job);
  });

  it('lets go of its claim when an attempt fails in passing, so any process may make the next one', async () => {
    const t = await setUp();
    const job = await t.completed();
    t.downloadsDown.add(job.id);
    await t.delivery.deliver(job);
    expect(t.ensured).toEqual([job.id]);
    expect(await t.there.claimDelivery(job.id, leaseMs)).toMatchObject({ id: job.id, state: 'delivering' });
  });

  it('does not upload when its claim ran out while the upload waited for a slot and another process took it', async () => {
    const t = await setUp();
    const first = await t.completed();
    const second = await t.completed();
    const upload = t.holdNextUpload();
    const delivering = [t.delivery.deliver(first), t.delivery.deliver(second)];
    await upload.arrived;
    // The first upload is slow; the second waits for the one slot past its lease, and the other
    // process, seeing the lease run out, takes the job over.
    t.time.advance(leaseMs);
    expect(await t.there.claimDelivery(second.id, leaseMs)).toBeDefined();
    upload.release();
    await Promise.all(delivering);
    expect(t.uploads).toEqual([{ jobId: first.id, files: 1 }]);
    expect(t.ensured).toEqual([first.id, second.id]);
    expect((await t.here.get(second.id))?.state).toBe('delivering');
  });
});
