// Puts a job's message in front of its member, whatever happened to the interaction token:
// the interaction webhook while the token lives, then the bot's channel routes, then a new
// message in the channel, then a DM.
import { type APIMessage, DiscordAPIError, type RawFile, type REST, Routes } from 'discord.js';
import type { Logger } from 'pino';
import type { Job, JobStore } from '../jobs/index.ts';

/** Discord kills interaction tokens after 15 minutes; stop using them a minute early. */
export const tokenLifetimeMs = 14 * 60_000;

export type EditRoute = 'webhook' | 'channel' | 'new_message' | 'dm';

export interface JobMessageBody {
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  attachments?: { id: number; filename: string }[];
  allowed_mentions?: { parse: string[]; users?: string[] };
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
  /** A separate short message: edits never ping, so endings are announced with one. */
  notify(job: Job, body: JobMessageBody): Promise<void>;
  /** The job's message as Discord has it now, or null when it cannot be read. */
  fetch(job: Job): Promise<APIMessage | null>;
}

/** The token is dead, or the message or our access to it is gone: try the next route. */
const unusable = new Set([50027, 10015, 10008, 10003, 50001, 50013, 50007]);

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

export function createMessenger(deps: {
  rest: REST;
  store: JobStore;
  logger: Logger;
  now?: () => number;
}): JobMessenger {
  const { rest, store, logger } = deps;
  const now = deps.now ?? Date.now;

  const webhookOriginal = (job: Job) =>
    Routes.webhookMessage(job.applicationId ?? '', job.interactionToken ?? '', '@original');

  async function attempt<T>(job: Job, route: EditRoute, send: () => Promise<T>): Promise<T | null> {
    try {
      return await send();
    } catch (error) {
      if (!isUnusable(error)) throw error;
      logger.info(
        { jobId: job.id, route, code: (error as DiscordAPIError).code },
        'message route unusable; trying the next',
      );
      if (route === 'webhook') store.update(job.id, { interactionToken: null });
      return null;
    }
  }

  async function postInChannel(
    job: Job,
    body: JobMessageBody,
    files?: RawFile[],
  ): Promise<APIMessage | null> {
    const mention = `<@${job.userId}>`;
    const withMention = {
      ...body,
      content: body.content ? `${mention} ${body.content}` : mention,
      allowed_mentions: { parse: [], users: [job.userId] },
    };
    return attempt(
      job,
      'new_message',
      () =>
        rest.post(Routes.channelMessages(job.channelId), { body: withMention, files }) as Promise<APIMessage>,
    );
  }

  async function sendDm(job: Job, body: JobMessageBody, files?: RawFile[]): Promise<APIMessage | null> {
    return attempt(job, 'dm', async () => {
      const channel = (await rest.post(Routes.userChannels(), { body: { recipient_id: job.userId } })) as {
        id: string;
      };
      return (await rest.post(Routes.channelMessages(channel.id), { body, files })) as APIMessage;
    });
  }

  return {
    async edit(job, body, options = {}) {
      const { files, final = false } = options;
      if (tokenAlive(job, now())) {
        const sent = await attempt(job, 'webhook', () =>
          rest.patch(webhookOriginal(job), { body, files, auth: false }),
        );
        if (sent) return 'webhook';
      }
      if (!job.ephemeral && job.replyMessageId) {
        const sent = await attempt(job, 'channel', () =>
          rest.patch(Routes.channelMessage(job.channelId, job.replyMessageId ?? ''), { body, files }),
        );
        if (sent) return 'channel';
      }
      if (!final) return null;
      const posted = await postInChannel(job, body, files);
      if (posted) {
        store.update(job.id, { replyMessageId: posted.id, ephemeral: false });
        return 'new_message';
      }
      return (await sendDm(job, body, files)) ? 'dm' : null;
    },

    async notify(job, body) {
      const reference =
        job.replyMessageId && !job.ephemeral
          ? { message_reference: { message_id: job.replyMessageId, fail_if_not_exists: false } }
          : {};
      const sent = await attempt(job, 'new_message', () =>
        rest.post(Routes.channelMessages(job.channelId), { body: { ...body, ...reference } }),
      );
      if (sent) return;
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

    async fetch(job) {
      try {
        if (tokenAlive(job, now()))
          return (await rest.get(webhookOriginal(job), { auth: false })) as APIMessage;
        if (job.replyMessageId) {
          return (await rest.get(Routes.channelMessage(job.channelId, job.replyMessageId))) as APIMessage;
        }
      } catch (error) {
        if (!isUnusable(error)) throw error;
      }
      return null;
    },
  };
}
