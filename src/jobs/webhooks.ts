// Provider webhooks, the domain half: a verified event is a hint that one video changed. Its job is
// made due for a poll now (in the store, so whichever process polls sees it) and this process's
// tracker is woken; the poll decides what happened. An event for a video no job has yet (the
// create's answer is still on its way) is kept until submit stores the id. While events arrive,
// polling becomes a sparse safety net (schedule.ts: withWebhooks), in every process: the time of
// the last verified event is a shared value.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { WebhookVerdict } from '../provider/index.ts';
import { type WebhookSchedule, webhooksLive } from './schedule.ts';
import type { JobStore } from './store/index.ts';

/** Where providers send events: the bot's own HTTP endpoint. */
export const webhookPath = '/webhooks/video';

/** The shared value holding when the last verified webhook arrived (ms). */
export const lastWebhookKey = 'provider_webhook_last_event';

/**
 * Applied delivery ids and events kept for a video no job has are forgotten after this long: far
 * past the 5 minutes a signature's timestamp is accepted (an older replay is refused by its
 * timestamp), and far past the longest create (an event no job claimed by then never will be).
 */
export const webhookMemoryMs = 60 * 60_000;
/** How long a process trusts its last reading of whether webhooks arrive. */
const liveRecheckMs = 1_000;

export interface WebhookSettings {
  /** While webhooks arrive, each job is polled this often. */
  safetyPollMs: number;
  /** Webhooks count as arriving for this long after the last verified one. */
  liveMs: number;
}

export interface WebhookState {
  /** Whether webhooks arrive now, and the safety net's interval; read from the store at most once a second. */
  schedule(): Promise<WebhookSchedule>;
  /** A verified event arrived at `at`: every process sees webhooks as arriving. */
  noteEvent(at: number): Promise<void>;
}

export function createWebhookState(
  store: JobStore,
  settings: WebhookSettings,
  now: () => number,
): WebhookState {
  let cached: { at: number; lastEventAt: number | null } | undefined;
  return {
    async schedule() {
      const at = now();
      if (!cached || at - cached.at >= liveRecheckMs || at < cached.at) {
        const saved = Number(await store.readValue(lastWebhookKey));
        cached = { at, lastEventAt: Number.isFinite(saved) && saved > 0 ? saved : null };
      }
      return {
        live: webhooksLive(cached.lastEventAt, at, settings.liveMs),
        safetyPollMs: settings.safetyPollMs,
      };
    },
    async noteEvent(at) {
      // One write per event at most every recheck: a burst of events is one write, not one each.
      if (cached?.lastEventAt && at - cached.lastEventAt < liveRecheckMs) return;
      await store.writeValue(lastWebhookKey, String(at));
      cached = { at, lastEventAt: at };
    },
  };
}

/** What an HTTP request to the webhook endpoint is answered. */
export interface WebhookAnswer {
  status: number;
  body: string;
  /** What became of the event, for the metrics. */
  outcome: 'polling' | 'ended' | 'ignored' | 'duplicate' | 'kept' | 'refused';
}

export interface WebhookReceiverDeps {
  store: JobStore;
  verify: (body: Buffer, headers: IncomingHttpHeaders) => WebhookVerdict;
  state: WebhookState;
  logger: Logger;
  now?: () => number;
  /** Job `jobId` is due now (its row says so): wakes this process's tracker, when it runs one. */
  onDue?: (jobId: number) => void;
}

export type WebhookReceiver = (body: Buffer, headers: IncomingHttpHeaders) => Promise<WebhookAnswer>;

const answer = (status: number, outcome: WebhookAnswer['outcome'], extra: Record<string, unknown> = {}) => ({
  status,
  outcome,
  body: JSON.stringify(outcome === 'refused' ? { error: 'invalid webhook', ...extra } : { status: outcome }),
});

export function createWebhookReceiver(deps: WebhookReceiverDeps): WebhookReceiver {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;

  /** Makes the job polled now: whether a job has this video, and whether it still waited. */
  async function pollNow(videoId: string, at: number): Promise<'polling' | 'ended' | 'unknown'> {
    const found = await store.pollRemoteNow(videoId, at);
    if (!found) return 'unknown';
    if (!found.polled) return 'ended';
    deps.onDue?.(found.jobId);
    logger.info({ jobId: found.jobId, videoId }, 'provider webhook: polling the job now');
    return 'polling';
  }

  return async (body, headers) => {
    const verdict = deps.verify(body, headers);
    // Nothing about an unverified request is trusted or written, not even its id.
    if (!verdict.ok) {
      logger.warn({ reason: verdict.reason }, 'provider webhook refused: not verified');
      return answer(400, 'refused', { reason: verdict.reason });
    }
    const { event } = verdict;
    const at = now();
    if (!(await store.recordWebhookDelivery(event.webhookId, at))) {
      // A replay, or the provider retrying a delivery whose answer it lost: applied once already.
      logger.info({ webhookId: event.webhookId }, 'provider webhook already applied: ignored');
      return answer(200, 'duplicate');
    }
    await deps.state.noteEvent(at);
    if (!event.videoId) {
      logger.debug(
        { webhookId: event.webhookId, type: event.type },
        'provider webhook names no video to poll',
      );
      return answer(200, 'ignored');
    }
    const first = await pollNow(event.videoId, at);
    // A job that ended already: a late or repeated event, nothing to do.
    if (first !== 'unknown') return answer(200, first);
    await store.keepPendingEvent({ remoteId: event.videoId, event: event.type ?? '', receivedAt: at });
    // Submit may have stored the id after the look above and before the event was kept: look again
    // (submit looks for a kept event after storing the id, so one of the two always sees the other).
    const again = await pollNow(event.videoId, at);
    if (again !== 'unknown') {
      await store.takePendingEvent(event.videoId);
      return answer(200, again);
    }
    logger.info(
      { webhookId: event.webhookId, videoId: event.videoId, type: event.type },
      'provider webhook for a video no job has yet: kept until its job is stored',
    );
    return answer(202, 'kept');
  };
}

/**
 * After submit stored a job's provider id: an event that arrived before (kept by the receiver) is
 * applied now, the job polled at once instead of at its first scheduled poll. True when there was one.
 */
export async function applyPendingEvent(store: JobStore, remoteId: string, at: number): Promise<boolean> {
  if (!(await store.takePendingEvent(remoteId))) return false;
  return (await store.pollRemoteNow(remoteId, at))?.polled ?? false;
}

/** Forgets applied delivery ids past any replay window and events no job ever claimed. */
export function pruneWebhooks(store: JobStore, at: number): Promise<number> {
  return store.pruneWebhooks(at - webhookMemoryMs);
}
