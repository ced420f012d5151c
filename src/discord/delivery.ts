// Delivering a finished video: download it at once, upload it as an attachment, or fall back
// to a thumbnail and a link. Exactly once: the row is marked before and after the upload, and a
// restart in between re-reads the message (and any fallback post) before uploading again.
import { readFile } from 'node:fs/promises';
import { type APIMessage, DiscordAPIError, type RawFile, RESTJSONErrorCodes } from 'discord.js';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import {
  type FailureKind,
  type Job,
  type JobStore,
  type MediaStore,
  StoreUnavailableError,
  sniffImageType,
  type TransitionNote,
} from '../jobs/index.ts';
import { type ProviderError, readAll, type VideoClient } from '../provider/index.ts';
import {
  carriesVideo,
  type JobMessenger,
  showsJobResult,
  uploadTimeoutMs,
  videoFileName,
} from './messenger.ts';
import { type Delivery, type LinkReason, type RenderContext, renderJob, renderNotice } from './render.ts';

/** Discord's upload limit for servers without boosts; interactions tell us the real one. */
export const defaultAttachmentLimit = 10 * 1024 * 1024;
const thumbnailMaxBytes = 4 * 1024 * 1024;
const maxDeliveryAttempts = 5;
/** What a delivery claim allows besides the upload itself: reading the message back, the download's start. */
const deliveryLeaseMarginMs = 60_000;

/**
 * How long a delivery claim holds a job: the slowest upload allowed (the largest video at
 * DISCORD_UPLOAD_MIN_KBPS), plus a margin. Renewed before the upload starts, so a wait for an
 * upload slot does not eat into it. A process that dies mid-delivery delays the job by this at most.
 */
export function deliveryLeaseMs(maxVideoBytes: number, uploadMinKbps: number): number {
  return uploadTimeoutMs(maxVideoBytes, uploadMinKbps) + deliveryLeaseMarginMs;
}

export interface DeliveryDeps {
  store: JobStore;
  media: MediaStore;
  messenger: JobMessenger;
  client: Pick<VideoClient, 'download'>;
  logger: Logger;
  now?: () => number;
  renderContext: (job: Job) => Omit<RenderContext, 'now' | 'delivery'>;
  /** A link served by the bot's own HTTP endpoint; absent when no public URL is configured. */
  publicLink?: (job: Job) => { url: string; expiresAt: number } | null;
  /** Waits before a retry; injected so tests need not sleep. */
  retryLater?: (job: Job, attempt: number) => void;
  /** Told when a job reaches `delivered` (metrics). */
  onDelivered?: (job: Job) => void;
  /**
   * Video uploads in flight at once (DISCORD_UPLOADS_AT_ONCE). Each holds its whole file in
   * memory: discord.js sends files from buffers, never from streams.
   */
  uploadsAtOnce?: number;
  /** How long a delivery claim holds a job (see deliveryLeaseMs). */
  leaseMs?: number;
}

/** How a delivered video reached Discord. */
type DeliveryKind = NonNullable<TransitionNote['delivery']>;

/** What an upload attempt came to. */
type UploadOutcome =
  | { kind: 'uploaded' }
  /** Discord answered 413 / 40005: the server's real limit is lower than the one we knew. */
  | { kind: 'too_large' }
  /** Discord refused the request for another reason: retrying the same upload will not help. */
  | { kind: 'refused' }
  /** 5xx, network, rate limits used up, or no route could show it: worth another try later. */
  | { kind: 'transient' };

/** Discord's "Request entity too large": the HTTP status, or the JSON error code. */
function isEntityTooLarge(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.status === 413 || Number(error.code) === RESTJSONErrorCodes.RequestEntityTooLarge)
  );
}

/** A 4xx that says the request itself is wrong; anything else (5xx, network, timeout) may pass later. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError && error.status >= 400 && error.status < 500 && error.status !== 429
  );
}

export function createDelivery(deps: DeliveryDeps) {
  const { store, media, messenger, logger } = deps;
  const now = deps.now ?? Date.now;
  const leaseMs = deps.leaseMs ?? deliveryLeaseMs(defaultAttachmentLimit, 100);
  /** This process's deliveries: a second call for one of them returns at once, without asking the store. */
  const inProgress = new Set<number>();
  // p-limit: a small, well-kept queue with a concurrency bound, instead of a hand-written semaphore.
  const uploadSlots = pLimit(deps.uploadsAtOnce ?? 2);
  if (!deps.publicLink) {
    logger.warn(
      "PUBLIC_URL is not set: videos over a server's upload limit will not be linked (set PUBLIC_URL and HTTP_PORT to serve them)",
    );
  }

  const render = (job: Job, delivery?: Delivery) =>
    renderJob(job, job.locale, { ...deps.renderContext(job), now: now(), delivery });

  /**
   * After a restart mid-delivery: did the previous run's result reach Discord? Reads the job's
   * message, then any fallback post. Throws when Discord cannot tell (5xx, network): the caller
   * retries later rather than risk a second upload.
   */
  async function shownBefore(job: Job): Promise<APIMessage | null> {
    const message = await messenger.fetch(job);
    if (message && showsJobResult(message, job)) return message;
    return messenger.findFallback(job);
  }

  /** Marks the job delivered (`how` it reached Discord goes to the log) and pings the requester. */
  async function finish(job: Job, how: DeliveryKind): Promise<void> {
    const delivered = await store.tryTransition(job.id, 'delivered', { deliveredAt: now() }, undefined, {
      delivery: how,
    });
    if (!delivered) return;
    deps.onDelivered?.(delivered);
    const notice = renderNotice(delivered, delivered.locale, {
      ...deps.renderContext(delivered),
      unlinked: how === 'unlinked',
    });
    await messenger.notify(delivered, notice).catch((error: unknown) => {
      logger.warn({ err: error, jobId: job.id }, 'could not notify the requester');
    });
  }

  async function uploadAttachment(job: Job, path: string): Promise<UploadOutcome | { kind: 'taken_over' }> {
    // The bot stopped, or the database went away, while this upload waited for its turn: the job
    // is delivered later (by a retry, or the next start), and this wait costs it no attempt.
    if (!store.isAvailable())
      throw new StoreUnavailableError(new Error('the store went away before the upload'));
    // The wait for a slot may have outlasted the claim: renewed for the whole upload, or given up
    // when another process took the lapsed claim over (it delivers the job).
    if (!(await store.claimDelivery(job.id, leaseMs))) return { kind: 'taken_over' };
    const name = videoFileName(job);
    const finalJob = { ...job, state: 'delivered' as const, deliveredAt: now() };
    const body = {
      ...render(finalJob, { kind: 'attachment', fileName: name }),
      attachments: [{ id: 0, filename: name }],
    };
    const files: RawFile[] = [{ name, data: await readFile(path), contentType: 'video/mp4' }];
    try {
      const route = await messenger.edit(job, body, { final: true, files });
      return route === null ? { kind: 'transient' } : { kind: 'uploaded' };
    } catch (error) {
      logger.warn({ err: error, jobId: job.id, attempt: job.deliveryAttempts }, 'upload to Discord failed');
      if (isEntityTooLarge(error)) return { kind: 'too_large' };
      return isRefusal(error) ? { kind: 'refused' } : { kind: 'transient' };
    }
  }

  function link(job: Job): { url: string; expiresAt: number | null } | null {
    const own = deps.publicLink?.(job) ?? null;
    if (own) return own;
    const providerValid = job.videoExpiresAt === null || job.videoExpiresAt > now();
    return job.videoUrl && providerValid ? { url: job.videoUrl, expiresAt: job.videoExpiresAt } : null;
  }

  async function thumbnail(job: Job): Promise<RawFile | null> {
    if (!job.remoteId) return null;
    try {
      const download = await deps.client.download(job.remoteId, {
        maxBytes: thumbnailMaxBytes,
        variant: 'thumbnail',
      });
      const data = await readAll(download.stream);
      // Shown only when it is an image, by its bytes: a JSON error or an HTML page is no thumbnail.
      const type = sniffImageType(data);
      if (!type) {
        logger.debug({ jobId: job.id, contentType: download.contentType }, 'the thumbnail is not an image');
        return null;
      }
      return { name: `reelbot-${job.id}-thumbnail.${type.slice('image/'.length)}`, data, contentType: type };
    } catch {
      return null; // A thumbnail is a nicety: many gateways do not have one.
    }
  }

  /** The attempt failed in a way worth retrying: later while attempts remain, else `exhausted`. */
  function retryOr(job: Job, exhausted: () => Promise<void>): Promise<void> {
    if (job.deliveryAttempts < maxDeliveryAttempts) return retry(job);
    return exhausted();
  }

  async function retry(job: Job): Promise<void> {
    // The store cannot tell (the database is away, or closed by a stop): the job as this process
    // knows it is tried again later, when its claim is renewed and its row read afresh. A stopping
    // bot schedules nothing: the next start resumes the job from its row.
    const current = await store.get(job.id).catch((error: unknown) => {
      if (error instanceof StoreUnavailableError || !store.isAvailable()) return job;
      throw error;
    });
    if (current) deps.retryLater?.(current, current.deliveryAttempts);
  }

  /**
   * Shows the video as a link (with the thumbnail when there is one), or, when the video is too
   * large for the server and no link exists, says so and how to fix it. The job is marked
   * delivered only once Discord accepted the edit.
   */
  async function deliverWithoutUpload(job: Job, reason: LinkReason, sizeLimit: number): Promise<void> {
    const url = link(job);
    let delivery: Exclude<Delivery, { kind: 'attachment' }>;
    if (url) {
      delivery = { kind: 'link', url: url.url, linkExpiresAt: url.expiresAt, reason, sizeLimit };
    } else if (reason === 'too_large' || reason === 'upload_too_large') {
      // The video exists and is kept in MEDIA_DIR: failing the job would hide a paid-for result.
      delivery = { kind: 'unlinked', reason, sizeLimit };
    } else {
      return giveUp(job, 'no link to the video is available');
    }
    const thumb = await thumbnail(job);
    if (thumb) delivery.thumbnailName = thumb.name;
    const shown = (await store.get(job.id)) ?? job;
    let route: Awaited<ReturnType<JobMessenger['edit']>> = null;
    try {
      route = await messenger.edit(
        shown,
        {
          ...render({ ...shown, state: 'delivered' }, delivery),
          attachments: thumb ? [{ id: 0, filename: thumb.name }] : [],
        },
        { final: true, files: thumb ? [thumb] : undefined },
      );
    } catch (error) {
      logger.warn({ err: error, jobId: job.id, attempt: job.deliveryAttempts }, 'could not post the link');
    }
    if (route === null) {
      return retryOr(job, () => giveUp(job, 'Discord did not accept the message with the link'));
    }
    return finish((await store.get(job.id)) ?? job, delivery.kind);
  }

  /** Delivers `claimed`, whose delivery claim this process holds. */
  async function deliver(claimed: Job): Promise<void> {
    let current = claimed;
    const shown = current.state === 'delivering' ? await shownBefore(current) : null;
    if (shown) {
      // A card without the video and with no link to offer was the "too large, no link" one.
      const how = carriesVideo(shown, current) ? 'upload' : link(current) === null ? 'unlinked' : 'link';
      return finish((await store.get(current.id)) ?? current, how);
    }
    if (current.state === 'completed') {
      current = await store.transition(current.id, 'delivering', {
        deliveryAttempts: current.deliveryAttempts + 1,
      });
    } else {
      current = await store.update(current.id, { deliveryAttempts: current.deliveryAttempts + 1 });
    }

    const file = await media.ensure(current);
    if (!file.ok) return downloadFailed(current, file.error);
    // A download can outlast the sweep's patience; if the job expired meanwhile, that was announced.
    const kept = await store.updateWhile(current.id, ['delivering'], {
      mediaPath: file.path,
      mediaBytes: file.bytes,
    });
    if (!kept) return;
    current = kept;

    const limit = current.attachmentSizeLimit ?? defaultAttachmentLimit;
    if (file.bytes > limit) return deliverWithoutUpload(current, 'too_large', limit);
    const uploading = current;
    const outcome = await uploadSlots(() => uploadAttachment(uploading, file.path));
    switch (outcome.kind) {
      case 'uploaded':
        return finish((await store.get(current.id)) ?? current, 'upload');
      case 'taken_over':
        return;
      case 'too_large':
        return deliverWithoutUpload(current, 'upload_too_large', limit);
      case 'refused':
        return deliverWithoutUpload(current, 'upload_failed', limit);
      case 'transient': {
        const failedJob = current;
        return retryOr(failedJob, () => deliverWithoutUpload(failedJob, 'upload_failed', limit));
      }
    }
  }

  /**
   * The provider says the video is gone: 404 or 410 for the download, or any other refusal once
   * its stated (or assumed) expiry has passed. A 5xx, a timeout or a network failure proves
   * nothing, however late: the download is tried again.
   */
  function contentGone(job: Job, error: ProviderError): boolean {
    if (error.kind === 'not_found' || error.status === 410) return true;
    const refused = error.status !== null && error.status >= 400 && error.status < 500 && !error.transient;
    return refused && job.videoExpiresAt !== null && job.videoExpiresAt < now();
  }

  async function downloadFailed(job: Job, error: ProviderError): Promise<void> {
    logger.warn({ err: error, jobId: job.id, attempt: job.deliveryAttempts }, 'video download failed');
    // The line above leaves out the provider's own words (they may echo the prompt).
    logger.debug({ jobId: job.id, reason: error.message }, 'video download failure reason');
    if (contentGone(job, error)) {
      const expired = await store.tryTransition(job.id, 'expired', {});
      if (expired) await announceEnd(expired);
      return;
    }
    if (error.kind === 'too_large') {
      // Over MAX_VIDEO_BYTES: the provider's own link still shows it while it lasts.
      return deliverWithoutUpload(
        job,
        'over_download_limit',
        job.attachmentSizeLimit ?? defaultAttachmentLimit,
      );
    }
    // A wrong file (JSON, HTML, cut short) is retried like any transient failure, then named as such.
    const kind = error.kind === 'bad_content' ? 'not_a_video' : 'delivery_failed';
    return retryOr(job, () => giveUp(job, error.message, kind));
  }

  async function giveUp(job: Job, message: string, kind: FailureKind = 'delivery_failed'): Promise<void> {
    const failed = await store.tryTransition(job.id, 'failed', {
      errorKind: kind,
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
      const notice = renderNotice(job, job.locale, deps.renderContext(job));
      await messenger.notify(job, notice).catch((error: unknown) => {
        logger.warn({ err: error, jobId: job.id }, 'could not notify the requester');
      });
    }
  }

  return {
    /**
     * Delivers once per job at a time, across every process sharing the store: the job's delivery
     * claim is taken first, and a job another live process holds is left to it. Safe to call
     * again after a restart.
     */
    async deliver(job: Job): Promise<void> {
      if (inProgress.has(job.id)) return;
      inProgress.add(job.id);
      let claimed: Job | undefined;
      try {
        // Known to be away: not asked until it is back (the retry finds out).
        if (!store.isAvailable()) throw new StoreUnavailableError(new Error('the store is away'));
        // Undefined as well when the job is no longer waiting for delivery.
        claimed = await store.claimDelivery(job.id, leaseMs);
        if (claimed) await deliver(claimed);
        else logger.debug({ jobId: job.id }, 'delivery left to its claim holder, or no longer waiting');
      } catch (error) {
        if (error instanceof StoreUnavailableError) {
          // Whatever was written stays; what was not is done again from the row once it is back.
          logger.info({ jobId: job.id }, 'the job store cannot be reached: delivery is tried again later');
        } else {
          // Includes Discord not answering whether an earlier upload landed: never upload blind.
          logger.error({ err: error, jobId: job.id }, 'delivery failed; will retry');
        }
        await retry(job).catch((retryError: unknown) => {
          logger.warn({ err: retryError, jobId: job.id }, 'could not schedule the delivery retry');
        });
      } finally {
        // Released before the job leaves `inProgress`: a later call's renewed claim is never the one released.
        if (claimed && store.isAvailable()) {
          await store.releaseDelivery(job.id).catch((error: unknown) => {
            logger.warn({ err: error, jobId: job.id }, 'could not release the delivery claim');
          });
        }
        inProgress.delete(job.id);
      }
    },
    announceEnd,
  };
}

export type JobDelivery = ReturnType<typeof createDelivery>;
