// A member's message as the first draft of a prompt: mentions, custom emoji and other Discord
// markup in plain words, cut to the prompt limit. Pure: the names come from the interaction.
import { t } from '../i18n/index.ts';
import { maxPromptLength } from '../jobs/index.ts';

/** The names Discord resolved for the message's mentions; undefined for one it did not. */
export interface MentionNames {
  user(id: string): string | undefined;
  role(id: string): string | undefined;
  channel(id: string): string | undefined;
}

/**
 * One pass over every kind of markup, so a display name that itself looks like markup is never
 * read again: users, roles, channels, custom emoji (still or animated), slash-command mentions,
 * timestamps.
 */
const markup =
  /<@!?(\d{1,20})>|<@&(\d{1,20})>|<#(\d{1,20})>|<a?:(\w{1,32}):\d{1,20}>|<\/([^:<>]{1,100}):\d{1,20}>|<t:(-?\d{1,13})(?::[tTdDfFR])?>/g;

/** A Discord timestamp as a reader in any time zone would read it back: the date and UTC time. */
function plainTime(unixSeconds: string): string {
  const date = new Date(Number(unixSeconds) * 1000);
  return Number.isNaN(date.getTime()) ? '' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * `text` with its markup in words: `<@1>` → `@Bob`, `<@&2>` → `@mods`, `<#3>` → `#general`,
 * `<:ship:4>` → `:ship:`. A mention Discord did not resolve is named by its kind, in `locale`.
 */
export function plainWords(text: string, names: MentionNames, locale = 'en-US'): string {
  return text.replace(
    markup,
    (
      _whole,
      user?: string,
      role?: string,
      channel?: string,
      emoji?: string,
      command?: string,
      at?: string,
    ) => {
      if (user) return `@${names.user(user) ?? t(locale, 'make.unnamed_user')}`;
      if (role) return `@${names.role(role) ?? t(locale, 'make.unnamed_role')}`;
      if (channel) return `#${names.channel(channel) ?? t(locale, 'make.unnamed_channel')}`;
      if (emoji) return `:${emoji}:`;
      if (command) return `/${command}`;
      return plainTime(at ?? '');
    },
  );
}

/** The message's text as a prompt to edit: in plain words, trimmed, at most the prompt limit (whole characters). */
export function promptFromMessage(text: string, names: MentionNames, locale = 'en-US'): string {
  const chars = [...plainWords(text, names, locale).trim()];
  return chars.length > maxPromptLength ? chars.slice(0, maxPromptLength).join('').trimEnd() : chars.join('');
}
