// Starting a public thread on a job's card (Channels › Start Thread from Message): the thread takes
// the message's id, so a card has at most one, and a second start answers 160004.
import { DiscordAPIError, type REST, RESTJSONErrorCodes, Routes } from 'discord.js';
import { threadName } from './threads.ts';

export type ThreadStart =
  | { ok: true; threadId: string }
  /** The bot lacks Create Public Threads (or cannot see the channel). */
  | { ok: false; reason: 'permissions' }
  /** Discord refused for another reason (the message is gone, a 5xx, a timeout). */
  | { ok: false; reason: 'failed'; error: unknown };

export async function startThreadOn(
  rest: REST,
  where: { channelId: string; messageId: string; prompt: string },
): Promise<ThreadStart> {
  try {
    const thread = (await rest.post(Routes.threads(where.channelId, where.messageId), {
      body: { name: threadName(where.prompt) },
    })) as { id: string };
    return { ok: true, threadId: thread.id };
  } catch (error) {
    if (error instanceof DiscordAPIError) {
      const code = Number(error.code);
      // Someone opened one on the card already (Discord's own menu): it is the card's thread.
      if (code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage)
        return { ok: true, threadId: where.messageId };
      if (code === RESTJSONErrorCodes.MissingPermissions || code === RESTJSONErrorCodes.MissingAccess) {
        return { ok: false, reason: 'permissions' };
      }
    }
    return { ok: false, reason: 'failed', error };
  }
}
