// Delivering a finished video: download it at once, upload it as an attachment, or fall back
// to a thumbnail and a link. Exactly once: the row is marked before and after the upload, and a
// restart in between re-reads the message before uploading again.
import { readFile } from 'node:fs/promises';
import type { RawFile } from 'discord.js';
import type { Logger } from 'pino';
import type { Job, JobStore, MediaStore } from '../jobs/index.ts';
import { type ProviderError, readAll, type VideoClient } from '../provider/index.ts';
import type { JobMessenger } from './messenger.ts';
import { type Delivery, type RenderContext, renderJob, renderNotice } from './render.ts';

/** Discord's upload limit for servers without boosts; interactions tell us the real one. */
export const defaultAttachmentLimit = 10 * 1024 * 1024;
const thumbnailMaxBytes = 4 * 1024 * 1024;
const maxDeliveryAttempts = 5;

export interface DeliveryDeps {
  store: JobStore;
  media: MediaStore;
  messenger: JobMessenger;
  client: Pick<VideoClient, 'download'>;
  logger: Logger;
  now?: () => number;
  renderContext: (job: Job) => Omit<RenderContext, 'now' | 'delivery'>;
  /** A link served by the bot's own HTTP endpoint, when a public URL is configured. */
  publicLink?: (job: Job) => { url: string; expiresAt: number } | null;
  /** Waits before a retry; injected so tests need not sleep. */
  retryLater?: (job: Job, attempt: number) => void;
  /** Told when a job reaches `delivered` (metrics). */
  onDelivered?: (job: Job) => void;
}

export function videoFileName(job: Job): string {
  return `reelbot-${job.id}.mp4`;
}

export function createDelivery(deps: DeliveryDeps) {
  const { store, media, messenger, logger } = deps;
  const now = deps.now ?? Date.now;
  const inProgress = new Set<number>();

  const render = (job: Job, delivery?: Delivery) =>
    renderJob(job, job.locale, { ...deps.renderContext(job), now: now(), delivery });

  async function alreadyUploaded(job: Job): Promise<boolean> {
    const message = await messenger.fetch(job).catch(() => null);
    return Boolean(message?.attachments.some((attachment) => attachment.filename === videoFileName(job)));
  }

  async function finish(job: Job, delivery: Delivery): Promise<void> {
    const delivered = store.tryTransition(job.id, 'delivered', { deliveredAt: now() });
    if (!delivered) return;
    deps.onDelivered?.(delivered);
    if (delivery.kind === 'link') {
      await messenger
        .edit(delivered, render(delivered, delivery), { final: true })
        .catch((error: unknown) => {
          logger.warn({ err: error, jobId: job.id }, 'could not show the delivered state');
        });
    }
    await messenger.notify(delivered, renderNotice(delivered, delivered.locale)).catch((error: unknown) => {
      logger.warn({ err: error, jobId: job.id }, 'could not notify the requester');
    });
  }

  async function uploadAttachment(job: Job, path: string): Promise<boolean> {
    const name = videoFileName(job);
    const finalJob = { ...job, state: 'delivered' as const, deliveredAt: now() };
    const body = {
      ...render(finalJob, { kind: 'attachment', fileName: name }),
      attachments: [{ id: 0, filename: name }],
    };
    const files: RawFile[] = [{ name, data: await readFile(path), contentType: 'video/mp4' }];
    try {
      return (await messenger.edit(job, body, { final: true, files })) !== null;
    } catch (error) {
      logger.warn({ err: error, jobId: job.id }, 'upload to Discord failed; falling back to a link');
      return false;
    }
  }

  async function linkDelivery(
    job: Job,
    reason: Delivery['reason'],
    sizeLimit: number,
  ): Promise<Delivery | null> {
    const own = deps.publicLink?.(job) ?? null;
    const providerLink =
      job.videoUrl && (job.videoExpiresAt === null || job.videoExpiresAt > now())
        ? { url: job.videoUrl, expiresAt: job.videoExpiresAt }
        : null;
    const link = own ?? providerLink;
    if (!link) return null;
    return { kind: 'link', url: link.url, linkExpiresAt: link.expiresAt, reason, sizeLimit };
  }

  async function thumbnail(job: Job): Promise<RawFile | null> {
    if (!job.remoteId) return null;
    try {
      const download = await deps.client.download(job.remoteId, {
        maxBytes: thumbnailMaxBytes,
        variant: 'thumbnail',
      });
      const data = await readAll(download.stream);
      return { name: `reelbot-${job.id}-thumbnail.webp`, data, contentType: download.contentType };
    } catch {
      return null; // A thumbnail is a nicety: many gateways do not have one.
    }
  }

  async function deliver(job: Job): Promise<void> {
    let current = store.get(job.id);
    if (!current || (current.state !== 'completed' && current.state !== 'delivering')) return;
    if (current.state === 'delivering' && (await alreadyUploaded(current))) {
      return finish(current, { kind: 'attachment' });
    }
    if (current.state === 'completed') {
      current = store.transition(current.id, 'delivering', {
        deliveryAttempts: current.deliveryAttempts + 1,
      });
    } else {
      current = store.update(current.id, { deliveryAttempts: current.deliveryAttempts + 1 });
    }

    let file: { path: string; bytes: number };
    try {
      file = await media.ensure(current);
      current = store.update(current.id, { mediaPath: file.path, mediaBytes: file.bytes });
    } catch (error) {
      return downloadFailed(current, error as ProviderError);
    }

    const limit = current.attachmentSizeLimit ?? defaultAttachmentLimit;
    if (file.bytes <= limit && (await uploadAttachment(current, file.path))) {
      return finish(current, { kind: 'attachment' });
    }
    const reason = file.bytes > limit ? 'too_large' : 'upload_failed';
    const delivery = await linkDelivery(current, reason, limit);
    if (!delivery) return giveUp(current, 'no link to the video is available');
    const thumb = await thumbnail(current);
    const body = thumb ? { ...delivery, thumbnailName: thumb.name } : delivery;
    const shown = store.get(current.id) ?? current;
    await messenger
      .edit(
        shown,
        {
          ...render({ ...shown, state: 'delivered' }, body),
          attachments: thumb ? [{ id: 0, filename: thumb.name }] : [],
        },
        {
          final: true,
          files: thumb ? [thumb] : undefined,
        },
      )
      .catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'could not post the link'));
    const delivered = store.tryTransition(current.id, 'delivered', { deliveredAt: now() });
    if (delivered)
      await messenger.notify(delivered, renderNotice(delivered, delivered.locale)).catch(() => undefined);
  }

  function downloadFailed(job: Job, error: ProviderError): void {
    logger.warn({ err: error, jobId: job.id, attempt: job.deliveryAttempts }, 'video download failed');
    if (error.kind === 'not_found' || (job.videoExpiresAt !== null && job.videoExpiresAt < now())) {
      const expired = store.tryTransition(job.id, 'expired', {});
      if (expired) void announceEnd(expired);
      return;
    }
    if (error.kind === 'too_large' || job.deliveryAttempts >= maxDeliveryAttempts) {
      void giveUp(job, error.message);
      return;
    }
    deps.retryLater?.(job, job.deliveryAttempts);
  }

  async function giveUp(job: Job, message: string): Promise<void> {
    const failed = store.tryTransition(job.id, 'failed', {
      errorKind: 'delivery_failed',
      errorMessage: message,
    });
    if (failed) await announceEnd(failed);
  }

  /** Shows a final state (failed, expired, canceled) and pings the requester. */
  async function announceEnd(job: Job): Promise<void> {
    await messenger.edit(job, render(job), { final: true }).catch((error: unknown) => {
      logger.warn({ err: error, jobId: job.id }, 'could not show the final state');
    });
    if (job.state !== 'canceled') {
      await messenger.notify(job, renderNotice(job, job.locale)).catch((error: unknown) => {
        logger.warn({ err: error, jobId: job.id }, 'could not notify the requester');
      });
    }
  }

  return {
    /** Delivers once per job at a time; safe to call again after a restart. */
    async deliver(job: Job): Promise<void> {
      if (inProgress.has(job.id)) return;
      inProgress.add(job.id);
      try {
        await deliver(job);
      } catch (error) {
        logger.error({ err: error, jobId: job.id }, 'delivery failed');
        const current = store.get(job.id);
        if (current) deps.retryLater?.(current, current.deliveryAttempts);
      } finally {
        inProgress.delete(job.id);
      }
    },
    announceEnd,
  };
}

export type JobDelivery = ReturnType<typeof createDelivery>;
