// For the e2e tests of server styles and channel settings: /video-admin's subcommands as an admin
// sends them, autocomplete answers, and the jobs and cards they lead to.
import { ApplicationCommandOptionType, ChannelType, InteractionResponseType } from 'discord.js';
import type { RecordedCall } from '../fakes/discord.ts';
import {
  body,
  channelId,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  moderator,
  moderatorPermissions,
  otherChannelId,
  until,
} from './harness.ts';

type Option = { name: string; type: ApplicationCommandOptionType; value: unknown };

export const text = (name: string, value: string): Option => ({
  name,
  type: ApplicationCommandOptionType.String,
  value,
});
export const integer = (name: string, value: number): Option => ({
  name,
  type: ApplicationCommandOptionType.Integer,
  value,
});
export const channel = (id: string): Option => ({
  name: 'channel',
  type: ApplicationCommandOptionType.Channel,
  value: id,
});

/** Discord resolves a channel option with the channel's type and the member's permissions there. */
const resolvedChannels = {
  channels: Object.fromEntries(
    [channelId, otherChannelId].map((id) => [
      id,
      { id, type: ChannelType.GuildText, name: 'videos', permissions: '0' },
    ]),
  ),
};

/**
 * `/video-admin <group> <subcommand> …` (or `/video-admin <subcommand> …` without a group) by an
 * admin of `guild`; resolves to the ephemeral answer's text.
 */
export async function admin(
  h: Harness,
  path: [string] | [string, string],
  options: Option[] = [],
  input: { guild?: string; channel?: string; locale?: string; permissions?: string } = {},
): Promise<string> {
  const [first, second] = path;
  const command = second
    ? {
        name: first,
        type: ApplicationCommandOptionType.SubcommandGroup,
        options: [{ name: second, type: ApplicationCommandOptionType.Subcommand, options }],
      }
    : { name: first, type: ApplicationCommandOptionType.Subcommand, options };
  const { token } = h.discord.sendCommand({
    guildId: input.guild ?? guildId,
    channelId: input.channel ?? channelId,
    user: moderator,
    memberPermissions: input.permissions ?? moderatorPermissions,
    locale: input.locale,
    name: 'video-admin',
    options: [command],
    resolved: resolvedChannels,
  });
  return ephemeralReply(h, token);
}

/** The choices an autocomplete answered with. */
export async function autocompleteChoices(h: Harness, token: string): Promise<unknown> {
  const call = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
  const answer = body(call);
  if (answer.type !== InteractionResponseType.ApplicationCommandAutocompleteResult) {
    throw new Error(`not an autocomplete answer: ${JSON.stringify(answer)}`);
  }
  return (answer.data as { choices: unknown }).choices;
}

/** The delivered jobs, oldest first, once there are `count`. */
export const delivered = (h: Harness, count = 1) =>
  until(async () => {
    const rows = await h.bot.store.byState(['delivered']);
    return rows.length >= count ? rows.sort((a, b) => a.id - b.id) : undefined;
  });

/** An edit of the interaction's reply that draws a card. */
export const isCardEdit = (token: string) => (call: RecordedCall) =>
  call.method === 'PATCH' && call.path.includes(token) && embedText(call).length > 0;
