// What command handlers are given: built once in src/main.ts, so handlers read no globals.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type {
  Job,
  JobStore,
  Moderation,
  PollPolicy,
  Submissions,
  Tracker,
  WebhookState,
} from '../jobs/index.ts';
import type { Catalogue, ProviderError, VideoClient } from '../provider/index.ts';
import type { JobDelivery } from './delivery.ts';
import type { MessageDrafts } from './messageDrafts.ts';
import type { JobMessenger } from './messenger.ts';
import type { Notifier } from './notifier.ts';
import type { RenderContext } from './render.ts';

export interface BotContext {
  config: Config;
  catalogue: Catalogue;
  store: JobStore;
  /** This process's creates in flight (submissions leave a `submitting` row the sweep must not fail). */
  submissions: Submissions;
  moderation: Moderation;
  videoClient: VideoClient;
  tracker: Tracker;
  notifier: Notifier;
  delivery: JobDelivery;
  /** Posts a job's card where no interaction reply can be (a reply to a member's message). */
  messenger: JobMessenger;
  /** The messages Make a video forms were opened on, until they are submitted. */
  messageDrafts: MessageDrafts;
  logger: Logger;
  now: () => number;
  pollPolicy: PollPolicy;
  /** Provider webhooks, when on: whether they arrive (the first poll of a new job follows it). */
  webhooks?: WebhookState;
  /** False while shutting down: new commands get a "restarting" reply. */
  accepting: () => boolean;
  /**
   * How long a command may check its input (download and decode an image) before it must
   * acknowledge: Discord forgets an interaction not answered within 3 seconds.
   */
  checkBeforeAcknowledgeMs: number;
  /** Downloads a member's attachment from Discord's CDN, capped at `maxBytes`. */
  fetchAttachment: (url: string, maxBytes: number) => Promise<Uint8Array>;
  renderContext: (job: Job) => Omit<RenderContext, 'now' | 'delivery'>;
  /** The server's video seconds per 24 hours (its setting, or the operator's default). */
  secondsPerDay: (guildId: string) => Promise<number>;
  /** The bot's own signed link to a job's kept video; null without PUBLIC_URL or a kept copy. */
  publicLink: (job: Job) => { url: string; expiresAt: number } | null;
  /** The bot's own signed link to a job's kept reference image `index` (from 1); null without PUBLIC_URL. */
  referenceLink: (job: Job, index: number) => string | null;
  /** The provider said it does not serve `model`: warns the operator, once per model, which setting to change. */
  modelUnavailable: (model: string, error: ProviderError) => void;
}
