// A thread per idea (issue 12), the pure parts: where a job's card is, what a thread is called,
// and which of the permissions threads take the bot lacks.
import { PermissionFlagsBits, type PermissionsBitField } from 'discord.js';
import { listText, type MessageKey, t } from '../i18n/index.ts';
import type { Job } from '../jobs/index.ts';
import { escapeUntrusted } from './render.ts';

/** Discord's limit on a channel's (and so a thread's) name. */
export const threadNameMaxLength = 100;

/**
 * The channel the job's card is in. A job made in a thread (its threadId set, its card posted
 * there) has it in the thread; the job whose card the thread was opened on keeps its card in the
 * channel (a thread started from a message has that message's id), as does any job without one.
 */
export function cardChannelId(job: Pick<Job, 'channelId' | 'threadId' | 'replyMessageId'>): string {
  return job.threadId && job.threadId !== job.replyMessageId ? job.threadId : job.channelId;
}

/** The job's card lives in a thread (so a thread archived or deleted takes the card's place away). */
export function cardInThread(job: Pick<Job, 'channelId' | 'threadId' | 'replyMessageId'>): boolean {
  return cardChannelId(job) !== job.channelId;
}

/**
 * A thread's name from the member's prompt: escaped as everywhere else (no markdown, no mention),
 * on one line, and cut (with an ellipsis, never inside an escape or a character) so that the
 * escaped text fits Discord's 100 characters.
 */
export function threadName(prompt: string): string {
  for (let keep = threadNameMaxLength; keep > 1; keep--) {
    const name = escapeUntrusted(prompt, keep);
    if (name.length <= threadNameMaxLength) return name;
  }
  return '…';
}

/** What the bot needs for threads: starting one on a card, and posting the next cards in it. */
const threadPermissions: readonly { flag: bigint; key: MessageKey }[] = [
  { flag: PermissionFlagsBits.CreatePublicThreads, key: 'permission.create_public_threads' },
  { flag: PermissionFlagsBits.SendMessagesInThreads, key: 'permission.send_messages_in_threads' },
];

/**
 * The refusal naming each thread permission the bot lacks in the channel (from the interaction's
 * `app_permissions`), or null when it has both.
 */
export function missingThreadPermissions(
  appPermissions: Readonly<PermissionsBitField> | null,
  locale: string,
): string | null {
  const missing = threadPermissions.filter(({ flag }) => !appPermissions?.has(flag));
  if (missing.length === 0) return null;
  return t(locale, 'thread.missing_permissions', {
    permissions: listText(
      locale,
      missing.map(({ key }) => t(locale, key)),
    ),
  });
}
