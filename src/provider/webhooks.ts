// Provider webhooks as they arrive: Standard Webhooks signatures (the `standardwebhooks` package:
// HMAC-SHA256 over `id.timestamp.body`, a timestamp within 5 minutes) and the event's shape, which
// varies by provider (OpenAI: `video.completed` with the id at `data.id`; OpenRouter:
// `video.generation.completed`, also at `data.id`). Only this room knows the wire format.
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export interface WebhookEventSettings {
  /** The signing secret, `whsec_` and base64. */
  secret: string;
  /** Event types that name a video to poll now; any other verified event is acknowledged and left alone. */
  events: readonly string[];
  /** Where the video id is in the event, field by field. */
  idPath: readonly string[];
}

/** A verified event, reduced to what the bot may trust: that something happened to this video. */
export interface WebhookEvent {
  /** The delivery's `webhook-id`: the same for every retry of one event. */
  webhookId: string;
  /** The event's `type`, or null when it has none. */
  type: string | null;
  /** The video it names, when its type is one of `events` and the id is where `idPath` says. */
  videoId: string | null;
}

export type WebhookVerdict =
  | { ok: true; event: WebhookEvent }
  /** Not from the provider, too old or too new, or not an event at all: refused, nothing changes. */
  | { ok: false; reason: string };

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const field of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[field];
  }
  return current;
}

/**
 * Checks a delivery's signature and timestamp (the package measures them against the system
 * clock, as the sender signs with its own) and reads the event. The body must be the bytes as they
 * arrived: a re-serialised payload no longer matches its signature.
 */
export function createWebhookVerifier(
  settings: WebhookEventSettings,
): (body: Buffer, headers: IncomingHttpHeaders) => WebhookVerdict {
  const webhook = new Webhook(settings.secret);
  const events = new Set(settings.events);
  return (body, headers) => {
    const webhookId = header(headers, 'webhook-id');
    const signed = {
      'webhook-id': webhookId ?? '',
      'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
      'webhook-signature': header(headers, 'webhook-signature') ?? '',
    };
    let payload: unknown;
    try {
      payload = webhook.verify(body, signed);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return { ok: false, reason: error.message };
      // Signed, but not JSON: no provider sends that.
      if (error instanceof SyntaxError) return { ok: false, reason: 'the body is not JSON' };
      throw error;
    }
    if (!webhookId) return { ok: false, reason: 'Missing required headers' };
    const type = at(payload, ['type']);
    const id = at(payload, settings.idPath);
    const named = typeof type === 'string' && events.has(type);
    return {
      ok: true,
      event: {
        webhookId,
        type: typeof type === 'string' ? type : null,
        videoId: named && typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : null,
      },
    };
  };
}
