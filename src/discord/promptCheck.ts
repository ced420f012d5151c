// The server's blocked words, checked on every prompt before anything is spent: /video, the text
// Make a video takes from a message (when its form opens and when it is sent), Regenerate and the
// Remix prompt.
import { t } from '../i18n/index.ts';
import { containsBlockedWord } from '../jobs/index.ts';
import type { BotContext } from './context.ts';

/**
 * The neutral refusal to show the member when `prompt` contains one of the server's blocked words
 * (it never says which), or null. Each refusal is counted for the moderators (`/video-admin usage`);
 * the prompt itself is not kept, and the log says only that a prompt was refused.
 */
export async function blockedPromptRefusal(
  interaction: { guildId: string | null; user: { id: string }; locale: string },
  context: Pick<BotContext, 'store' | 'logger'>,
  prompt: string,
): Promise<string | null> {
  const guildId = interaction.guildId;
  if (!guildId) return null;
  const words = (await context.store.blockedWords(guildId)).map((entry) => entry.word);
  if (!containsBlockedWord(prompt, words)) return null;
  await context.store.recordRefusal(guildId, interaction.user.id, 'blocked_word');
  context.logger.info({ guildId, reason: 'blocked_word' }, 'prompt refused');
  return t(interaction.locale, 'error.prompt_blocked');
}
