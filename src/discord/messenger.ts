// Puts a job's message in front of its member, whatever happened to the interaction token:
// the interaction webhook while the token lives, then the bot's channel routes, then a new
// message in the channel, then a DM. A job made from a message (Make a video) starts on the
// channel route: its card is the bot's own reply to that message.
import {
  type APIMessage,
  type APIUser,
  DiscordAPIError,
  type RawFile,
  type REST,
  RESTJSONErrorCodes,
  Routes,
  SnowflakeUtil,
  userMention,
} from 'discord.js';
import type { Logger } from 'pino';
import { t } from '../i18n/index.ts';
import { firstCardPending, type Job, type JobStore, jobTag } from '../jobs/index.ts';
import { timerMs } from '../timers.ts';
import { jobCustomId, numberedJobCustomId } from './customIds.ts';
import { cardChannelId, cardInThread } from './threads.ts';

/** Discord kills interaction tokens after 15 minutes; stop using them a minute early. */
export const tokenLifetimeMs = 14 * 60_000;

export type EditRoute = 'webhook' | 'channel' | 'new_message' | 'dm';

export interface JobMessageBody {
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  attachments?: { id: number; filename: string }[];
  allowed_mentions?: { parse: string[]; users?: string[]; replied_user?: boolean };
}

export interface JobMessenger {
  /**
   * Shows `body` as the job's message. A progress update (`final: false`) only edits in place;
   * a final one falls back to a new message or a DM so the member always learns the result.
   */
  edit(
    job: Job,
    body: JobMessageBody,
    options?: { final?: boolean; files?: RawFile[] },
  ): Promise<EditRoute | null>;
  /**
   * Posts the job's first card as the bot's reply to the message `targetMessageId` of the job's
   * channel (a plain message should it be gone), pinging nobody, and makes it the job's message.
   * Exactly once: the row says a post is under way before it is sent, the post carries the job's
   * nonce (a repeat of it returns the first message), and a card whose id the row never got is
   * found again by the next edit. Null when the bot may not post there.
   */
  reply(job: Job, targetMessageId: string, body: JobMessageBody): Promise<APIMessage | null>;
  /**
   * Posts the job's first card as the bot's message in the job's thread (its `threadId`), exactly
   * once as `reply` is, and makes it the job's message. A thread that is gone (deleted, archived
   * and locked, or closed to the bot) takes nothing with it: the row stops pointing at it and the
   * card is posted in the channel instead, replying to `channelReplyTo` when given. Null when the
   * bot may post in neither.
   */
  postInThread(job: Job, body: JobMessageBody, channelReplyTo: string | null): Promise<APIMessage | null>;
  /** A separate short message: edits never ping, so endings are announced with one. */
  notify(job: Job, body: JobMessageBody): Promise<void>;
  /**
   * The job's message as Discord has it now, or null when Discord says it is gone or unreadable
   * (unknown message, dead token, no access). Any other error (5xx, network, rate limit) is thrown:
   * it proves nothing about the message.
   */
  fetch(job: Job): Promise<APIMessage | null>;
  /**
   * The new channel message or DM that a final edit posted for this job, found among the bot's
   * recent messages where the row says a fallback post was (or was about to be) made: a crash
   * between Discord accepting the post and the row recording it must not post twice. A message
   * found in the job's channel becomes the job's message. Transient errors are thrown.
   */
  findFallback(job: Job): Promise<APIMessage | null>;
}

type JobIdentity = Pick<Job, 'id' | 'mediaKey' | 'madeBeforeMediaKeys'>;

/** The uploaded video's name: the job's number and tag, so another database's job N never matches. */
export function videoFileName(job: Pick<Job, 'id' | 'mediaKey'>): string {
  return `reelbot-${job.id}-${jobTag(job)}.mp4`;
}

/** The names this job's video may have on Discord (a job made before tags was uploaded by number). */
function videoFileNames(job: JobIdentity): string[] {
  return job.madeBeforeMediaKeys ? [videoFileName(job), `reelbot-${job.id}.mp4`] : [videoFileName(job)];
}

/** The message carries the job's uploaded video. */
export function carriesVideo(message: APIMessage, job: JobIdentity): boolean {
  const names = videoFileNames(job);
  return message.attachments.some((attachment) => names.includes(attachment.filename));
}

/** A final render of the job: only those carry the Regenerate button, or the uploaded video. */
export function showsJobResult(message: APIMessage, job: JobIdentity): boolean {
  const markers = [jobCustomId('regen', job)];
  if (job.madeBeforeMediaKeys) markers.push(numberedJobCustomId('regen', job.id));
  return (
    carriesVideo(message, job) ||
    (message.components ?? []).some(
      (row) =>
        'components' in row &&
        row.components.some((component) => 'custom_id' in component && markers.includes(component.custom_id)),
    )
  );
}

function fileSize(file: RawFile): number {
  return typeof file.data === 'string'
    ? Buffer.byteLength(file.data)
    : ArrayBuffer.isView(file.data)
      ? file.data.byteLength
      : 0;
}

/**
 * Discord made the message after the interaction that started the job. A message of another
 * database's job with the same number (before a reset, or a restored backup) is older than this
 * job, so its file name, buttons or footer are never taken for this job's.
 */
export function madeSinceJobStarted(
  messageId: string,
  job: Pick<Job, 'interactionCreatedAt' | 'createdAt'>,
): boolean {
  return SnowflakeUtil.timestampFrom(messageId) >= (job.interactionCreatedAt ?? job.createdAt);
}

/** A card rendered for this job (its footer names the job), whatever state it shows. */
function isJobCard(message: APIMessage, job: Pick<Job, 'id' | 'locale'>): boolean {
  const footer = t(job.locale, 'render.footer', { id: job.id });
  return message.embeds.some(
    (embed) => embed.footer?.text === footer || embed.footer?.text?.startsWith(`${footer} `),
  );
}

/** How far back a restart looks for a fallback post: the bot's own recent messages. */
const fallbackSearchLimit = 50;

/**
 * The nonce of the job's card posted as a reply (Discord takes up to 25 characters): its number
 * and tag, so another database's job N never collides with it.
 */
export function cardNonce(job: Pick<Job, 'id' | 'mediaKey'>): string {
  return `${job.id}-${jobTag(job)}`;
}

/** The token is dead, or the message or our access to it is gone: try the next route. */
const unusable = new Set<number>([
  RESTJSONErrorCodes.InvalidWebhookToken,
  RESTJSONErrorCodes.UnknownWebhook,
  RESTJSONErrorCodes.UnknownMessage,
  RESTJSONErrorCodes.UnknownChannel,
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotSendMessagesToThisUser,
  // A thread archived (a card in it cannot be edited) or archived and locked (nothing is posted).
  RESTJSONErrorCodes.InvalidActionOnArchivedThread,
  RESTJSONErrorCodes.ThreadLocked,
]);

function isUnusable(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (unusable.has(Number(error.code)) || [401, 403, 404].includes(error.status))
  );
}

export function tokenAlive(job: Job, now: number): boolean {
  return Boolean(
    job.interactionToken &&
      job.applicationId &&
      job.interactionCreatedAt !== null &&
      now - job.interactionCreatedAt < tokenLifetimeMs,
  );
}

/** The floor of an upload's timeout: even a small file may meet a slow start. */
export const uploadTimeoutFloorMs = 30_000;

/**
 * How long an upload of `bytes` may take: its size at the slowest speed tolerated
 * (DISCORD_UPLOAD_MIN_KBPS, in KiB per second), never less than the floor, and never more than a
 * timer holds (4 GiB at 1 KiB/s would be 48 days, which Node would fire after 1 ms).
 */
export function uploadTimeoutMs(bytes: number, minKbps: number): number {
  return timerMs(Math.max(uploadTimeoutFloorMs, Math.ceil((bytes / (minKbps * 1024)) * 1000)));
}

/**
 * Where requests that carry files go. discord.js's REST client applies one timeout to every
 * request (15 s by default), too short for a large video, and repeats a request that timed out;
 * so uploads use their own REST client (without retries: delivery retries later, with backoff),
 * and each upload gets a deadline that fits its size through its `signal`.
 */
export interface UploadRoute {
  rest: REST;
  minKbps: number;
  /** Aborts every upload in flight (a stop that ran out of time). */
  stopped?: AbortSignal;
}

export function createMessenger(deps: {
  rest: REST;
  /** Where uploads go; without it, they share `rest` and its timeout. */
  uploads?: UploadRoute;
  store: JobStore;
  logger: Logger;
  now?: () => number;
}): JobMessenger {
  const { rest, store, logger } = deps;
  const now = deps.now ?? Date.now;

  /** The client and the deadline for a request with `files`; ordinary requests keep `rest`'s. */
  function via(files: RawFile[] | undefined): { rest: REST; signal?: AbortSignal } {
    if (!deps.uploads || !files?.length) return { rest };
    const bytes = files.reduce((sum, file) => sum + fileSize(file), 0);
    const deadline = AbortSignal.timeout(uploadTimeoutMs(bytes, deps.uploads.minKbps));
    const stopped = deps.uploads.stopped;
    return { rest: deps.uploads.rest, signal: stopped ? AbortSignal.any([deadline, stopped]) : deadline };
  }

  /**
   * The job's card among the interaction's messages: the original response, or (a later take of a
   * request) its own follow-up message, by id; null while that id is not known.
   */
  const webhookCard = (job: Job) => {
    const message = isFollowUpCard(job) ? job.replyMessageId : '@original';
    return message
      ? Routes.webhookMessage(job.applicationId ?? '', job.interactionToken ?? '', message)
      : null;
  };

  async function attempt<T>(job: Job, route: EditRoute, send: () => Promise<T>): Promise<T | null> {
    try {
      return await send();
    } catch (error) {
      if (!isUnusable(error)) throw error;
      logger.info(
        { jobId: job.id, route, code: (error as DiscordAPIError).code },
        'message route unusable; trying the next',
      );
      if (route === 'webhook') await store.update(job.id, { interactionToken: null });
      return null;
    }
  }

  async function postInChannel(
    job: Job,
    body: JobMessageBody,
    files?: RawFile[],
  ): Promise<APIMessage | null> {
    const mention = userMention(job.userId);
    const withMention = {
      ...body,
      content: body.content ? `${mention} ${body.content}` : mention,
      allowed_mentions: { parse: [], users: [job.userId] },
    };
    // Written before the post: if the process dies before the answer, a restart looks there first.
    await store.update(job.id, { fallbackChannelId: job.channelId });
    const posted = await attempt(job, 'new_message', () => {
      const upload = via(files);
      return upload.rest.post(Routes.channelMessages(job.channelId), {
        body: withMention,
        files,
        signal: upload.signal,
      }) as Promise<APIMessage>;
    });
    if (posted) {
      await store.update(job.id, {
        replyMessageId: posted.id,
        ephemeral: false,
        fallbackChannelId: null,
        // The card is now a message of the channel: the job no longer lives in a thread.
        ...(job.threadId ? { threadId: null } : {}),
      });
    }
    return posted;
  }

  /**
   * The job's card was in a thread that no longer takes it (archived, locked or deleted): the row
   * stops pointing at the thread and at the card, so what follows goes to the channel.
   */
  async function leaveThread(job: Job): Promise<Job> {
    logger.info({ jobId: job.id }, "the job's thread is gone; its results go to the channel");
    return store.update(job.id, { threadId: null, replyMessageId: null, fallbackChannelId: null });
  }

  /** Posts the job's first card in `channelId`, once (its nonce), optionally replying to a message there. */
  async function postCard(
    job: Job,
    channelId: string,
    body: JobMessageBody,
    replyTo: string | null,
  ): Promise<APIMessage | null> {
    // Written before the post: a restart that finds no card id looks for the card there.
    await store.update(job.id, { fallbackChannelId: channelId });
    const posted = await attempt(
      job,
      'new_message',
      () =>
        rest.post(Routes.channelMessages(channelId), {
          body: {
            ...body,
            ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
            // discord.js repeats a post that timed out: Discord answers the repeat with the first.
            nonce: cardNonce(job),
            enforce_nonce: true,
            allowed_mentions: { parse: [], users: [], replied_user: false },
          },
        }) as Promise<APIMessage>,
    );
    if (posted) {
      await store.update(job.id, { replyMessageId: posted.id, ephemeral: false, fallbackChannelId: null });
    }
    return posted;
  }

  /**
   * Posts `body` in the member's DM with the bot (Discord opens it, or gives the one it has). With
   * `record`, the DM channel is written to the row before the post, so a restart can look there.
   */
  async function sendDm(
    job: Job,
    body: JobMessageBody,
    options: { files?: RawFile[]; record?: boolean } = {},
  ): Promise<APIMessage | null> {
    return attempt(job, 'dm', async () => {
      const channel = (await rest.post(Routes.userChannels(), { body: { recipient_id: job.userId } })) as {
        id: string;
      };
      if (options.record) await store.update(job.id, { fallbackChannelId: channel.id });
      const upload = via(options.files);
      return (await upload.rest.post(Routes.channelMessages(channel.id), {
        body,
        files: options.files,
        signal: upload.signal,
      })) as APIMessage;
    });
  }

  /**
   * A final body in a DM, its channel recorded first. Without the job's buttons: Regenerate and
   * Remix apply the server's rules (blocks, allowed channels, quotas, moderators), which a click in
   * a DM cannot be checked against.
   */
  const sendFinalDm = (job: Job, card: JobMessageBody, files?: RawFile[]) =>
    sendDm(job, { ...card, components: [] }, { files, record: true });

  let botUserId: string | undefined;
  async function ownUserId(): Promise<string> {
    botUserId ??= ((await rest.get(Routes.user())) as APIUser).id;
    return botUserId;
  }

  return {
    async edit(given, body, options = {}) {
      const { files, final = false } = options;
      const job = await withRecoveredCard(given);
      const card = webhookCard(job);
      if (card && tokenAlive(job, now())) {
        const sent = await attempt(job, 'webhook', () => {
          const upload = via(files);
          return upload.rest.patch(card, { body, files, auth: false, signal: upload.signal });
        });
        if (sent) return 'webhook';
      }
      let current = job;
      if (!current.ephemeral && current.replyMessageId) {
        const sent = await attempt(current, 'channel', () => {
          const upload = via(files);
          return upload.rest.patch(
            Routes.channelMessage(cardChannelId(current), current.replyMessageId ?? ''),
            {
              body,
              files,
              signal: upload.signal,
            },
          );
        });
        if (sent) return 'channel';
        if (cardInThread(current)) current = await leaveThread(current);
      }
      if (!final) return null;
      if (await postInChannel(current, body, files)) return 'new_message';
      return (await sendFinalDm(current, body, files)) ? 'dm' : null;
    },

    reply: (job, targetMessageId, body) => postCard(job, job.channelId, body, targetMessageId),

    async postInThread(job, body, channelReplyTo) {
      if (job.threadId) {
        const posted = await postCard(job, job.threadId, body, null);
        if (posted) return posted;
      }
      const inChannel = job.threadId ? await leaveThread(job) : job;
      return postCard(inChannel, inChannel.channelId, body, channelReplyTo);
    },

    async notify(job, body) {
      const reference =
        job.replyMessageId && !job.ephemeral
          ? { message_reference: { message_id: job.replyMessageId, fail_if_not_exists: false } }
          : {};
      const sent = await attempt(job, 'new_message', () =>
        rest.post(Routes.channelMessages(cardChannelId(job)), { body: { ...body, ...reference } }),
      );
      if (sent) return;
      // A thread gone since the card was posted: the channel still hears of it.
      if (cardInThread(job)) {
        const inChannel = await attempt(job, 'new_message', () =>
          rest.post(Routes.channelMessages(job.channelId), { body }),
        );
        if (inChannel) return;
      }
      if (tokenAlive(job, now())) {
        const followed = await attempt(job, 'webhook', () =>
          rest.post(Routes.webhook(job.applicationId ?? '', job.interactionToken ?? ''), {
            body,
            auth: false,
          }),
        );
        if (followed) return;
      }
      await sendDm(job, body);
    },

    async fetch(given) {
      const job = await withRecoveredCard(given);
      const card = webhookCard(job);
      if (card && tokenAlive(job, now())) {
        const message = await attempt(
          job,
          'webhook',
          () => rest.get(card, { auth: false }) as Promise<APIMessage>,
        );
        if (message) return message;
      }
      if (!job.ephemeral && job.replyMessageId) {
        return attempt(
          job,
          'channel',
          () =>
            rest.get(
              Routes.channelMessage(cardChannelId(job), job.replyMessageId ?? ''),
            ) as Promise<APIMessage>,
        );
      }
      return null;
    },

    findFallback: (job) =>
      // Only final cards are ever sent by DM, and without buttons: there, the job's card is its result.
      findOwnMessage(
        job,
        (message, inDm) => showsJobResult(message, job) || (inDm && isJobCard(message, job)),
      ),
  };

  /**
   * The bot's recent message in the channel the row names as a fallback that `matches`, made since
   * the job started. One found in the job's channel becomes the job's message.
   */
  async function findOwnMessage(
    job: Job,
    matches: (message: APIMessage, inDm: boolean) => boolean,
  ): Promise<APIMessage | null> {
    const channelId = job.fallbackChannelId;
    if (!channelId) return null;
    const self = await ownUserId();
    // The job's channel, or its thread (where its card was posted): anywhere else is the DM.
    const inDm = channelId !== job.channelId && channelId !== job.threadId;
    const recent = await attempt(
      job,
      inDm ? 'dm' : 'new_message',
      () =>
        rest.get(Routes.channelMessages(channelId), {
          query: new URLSearchParams({ limit: String(fallbackSearchLimit) }),
        }) as Promise<APIMessage[]>,
    );
    const found = (recent ?? []).find(
      (message) =>
        message.author.id === self &&
        message.id !== job.replyMessageId &&
        madeSinceJobStarted(message.id, job) &&
        matches(message, inDm),
    );
    if (found && !inDm) {
      // A card found in the channel while the job lived in a thread: it lives in the channel now.
      const leftThread = job.threadId && found.channel_id === job.channelId && found.id !== job.threadId;
      await store.update(job.id, {
        replyMessageId: found.id,
        ephemeral: false,
        fallbackChannelId: null,
        ...(leftThread ? { threadId: null } : {}),
      });
    }
    return found ?? null;
  }

  /**
   * The row has no message but says a post in the job's own channel was under way (a reply to a
   * member's message, a later take's follow-up card, or a fallback post): the process stopped
   * between Discord's answer and the row. The card is found among the bot's recent messages there
   * and becomes the job's message, so it is edited, not posted again. When it is not there, the
   * post never landed and the row stops pointing at the channel, unless the first card may still
   * be on its way. The interaction's original response needs none of this while its token lives:
   * the token edits it whatever the row lacks.
   */
  async function withRecoveredCard(job: Job): Promise<Job> {
    const postedWhere = job.fallbackChannelId;
    if (job.replyMessageId || job.ephemeral || !postedWhere) return job;
    if (postedWhere !== job.channelId && postedWhere !== job.threadId) return job;
    if (!isFollowUpCard(job) && tokenAlive(job, now())) return job;
    const found = await findOwnMessage(
      job,
      (message) => isJobCard(message, job) || showsJobResult(message, job),
    );
    if (found) {
      logger.info({ jobId: job.id }, "found the job's card its row had lost; editing it");
      return (await store.get(job.id)) ?? { ...job, replyMessageId: found.id, fallbackChannelId: null };
    }
    if (firstCardPending(job, now())) return job;
    return store.update(job.id, { fallbackChannelId: null });
  }
}

/**
 * A later take's card is a follow-up message of the interaction; the first take's is its reply.
 * (A take replying to a member's message has no token: its card is edited through the channel.)
 */
export function isFollowUpCard(job: Pick<Job, 'takeIndex'>): boolean {
  return job.takeIndex > 1;
}
