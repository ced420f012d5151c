// What a Make a video form was opened on, kept from the command until the form is submitted: a
// modal brings back only its fields, and without the Message Content intent the bot cannot read the
// message's attachments again later. In memory, like the interaction itself: a form opened before a
// restart is refused with a sentence saying to open it again. The member's guild is always handled
// by the same process (its shard), so no other process needs it.
import type { AttachedImage } from './checkedReference.ts';

export interface MessageDraft {
  /** Who opened the form: only they may submit it. */
  userId: string;
  guildId: string;
  channelId: string;
  messageId: string;
  authorId: string;
  /** The author's name as the member's client showed it: the card names them by it, never a mention. */
  authorName: string;
  /** The message's images, as the interaction described them. */
  images: AttachedImage[];
}

export interface MessageDrafts {
  put(key: string, draft: MessageDraft): void;
  /** The draft, removed: a form is submitted once. Undefined when unknown or older than the time allowed. */
  take(key: string): MessageDraft | undefined;
}

/** Long enough to write a prompt; a form left open longer is opened again. */
export const draftLifetimeMs = 60 * 60_000;
/** Open forms kept at most (the oldest go first): a bound on memory, far above any real use. */
const maxDrafts = 2_000;

export function createMessageDrafts(now: () => number = Date.now): MessageDrafts {
  const drafts = new Map<string, { draft: MessageDraft; at: number }>();
  return {
    put(key, draft) {
      drafts.delete(key);
      drafts.set(key, { draft, at: now() });
      // A Map iterates in insertion order: the first keys are the oldest.
      for (const oldest of drafts.keys()) {
        if (drafts.size <= maxDrafts) break;
        drafts.delete(oldest);
      }
    },
    take(key) {
      const kept = drafts.get(key);
      drafts.delete(key);
      return kept && now() - kept.at < draftLifetimeMs ? kept.draft : undefined;
    },
  };
}
