// A request as the channel and the server shape it: the member's options, the style they picked
// (or the channel's), the channel's defaults, checked against the catalogue and the channel's caps
// (src/jobs/requestSettings.ts decides; this reads the store and says it in the member's language).
import { listText, type MessageKey, t } from '../i18n/index.ts';
import {
  type AppliedStyle,
  type CapProblem,
  type ChannelSettings,
  capProblem,
  type DefaultedSetting,
  resolveRequest,
  type StylePlacement,
  type StyleProblem,
  styleSource,
  type ValidVideoRequest,
  type VideoOptions,
  validateVideoOptions,
} from '../jobs/index.ts';
import type { BotContext } from './context.ts';
import { threadParentId } from './permissions.ts';
import { escapeUntrusted } from './render.ts';
import { problemText } from './replies.ts';

type Where = Parameters<typeof threadParentId>[0];

/** The channel whose settings apply: a thread's parent, else the channel itself. */
export async function settingsChannelId(interaction: Where): Promise<string> {
  return (await threadParentId(interaction)) ?? interaction.channelId ?? '';
}

/** The channel's settings for this interaction (a thread: its parent's). */
export async function channelSettingsOf(interaction: Where, context: BotContext): Promise<ChannelSettings> {
  return context.store.channelSettings(interaction.guildId ?? '', await settingsChannelId(interaction));
}

/** A request checked whole, with the style it is made with and which settings were the channel's. */
export interface SettledRequest {
  request: ValidVideoRequest;
  style: AppliedStyle | null;
  defaultsApplied: DefaultedSetting[];
  /**
   * The channel opens a thread on every card (`/video-admin threads on`), and this is not asked
   * in a thread already (where no thread can be started).
   */
  opensThread: boolean;
}

/**
 * The member's options with their style (by name, this server's only) and the channel's defaults,
 * validated, within the channel's caps: the request, or the refusal to show. Reads only.
 */
export async function settleRequest(
  interaction: Where,
  context: BotContext,
  options: VideoOptions & { style?: string | null },
): Promise<{ refusal: string } | SettledRequest> {
  const locale = interaction.locale;
  const guildId = interaction.guildId ?? '';
  const settingsChannel = await settingsChannelId(interaction);
  const channel = await context.store.channelSettings(guildId, settingsChannel);
  const wanted = options.style?.trim() || null;
  const picked = wanted ? await context.store.style(guildId, wanted) : undefined;
  if (wanted && !picked) {
    return { refusal: t(locale, 'error.style_unknown', { name: escapeUntrusted(wanted, 40) }) };
  }
  // A channel's default style removed since is no style at all, not a refusal.
  const channelStyle =
    !picked && channel.styleName ? await context.store.style(guildId, channel.styleName) : undefined;
  const resolved = resolveRequest(options, channel, styleSource(picked, channelStyle), context.catalogue);
  const validated = validateVideoOptions(
    { ...options, model: resolved.model, seconds: resolved.seconds, size: resolved.size },
    context.catalogue,
  );
  if (!validated.ok) return { refusal: problemText(locale, validated) };
  const cap = capProblem(validated.value, channel);
  if (cap) return { refusal: capText(locale, cap) };
  return {
    request: validated.value,
    style: resolved.style,
    defaultsApplied: resolved.defaultsApplied,
    opensThread: channel.threads === true && settingsChannel === interaction.channelId,
  };
}

/** The channel's caps for a job made again (Regenerate, Remix): the refusal, or null. */
export async function capRefusal(
  interaction: Where,
  context: BotContext,
  request: { seconds: number; takes: number },
): Promise<string | null> {
  const cap = capProblem(request, await channelSettingsOf(interaction, context));
  return cap ? capText(interaction.locale, cap) : null;
}

export function capText(locale: string, problem: CapProblem): string {
  return problem.problem === 'channel_max_seconds'
    ? t(locale, 'error.channel_max_seconds', { seconds: problem.seconds, max: problem.max })
    : t(locale, 'error.channel_max_takes', { takes: problem.takes, max: problem.max });
}

/** Where a style's text goes, as the admin and the CSV read it. */
export const placementKeys: Record<StylePlacement, MessageKey> = {
  before: 'admin.placement_before',
  after: 'admin.placement_after',
};

/** Why an admin's style (or a channel's default) cannot be kept, in their language. */
export function styleProblemText(locale: string, problem: StyleProblem): string {
  switch (problem.problem) {
    case 'style_name_invalid':
      return t(locale, 'error.style_name_invalid', { max: problem.max });
    case 'style_text_invalid':
      return t(locale, 'error.style_text_invalid', { max: problem.max });
    case 'style_unknown_model':
      return t(locale, 'error.unknown_model', {
        model: escapeUntrusted(problem.model, 100),
        allowed: listText(locale, problem.allowed),
      });
    case 'style_bad_duration':
      return t(locale, 'error.style_bad_duration', {
        seconds: problem.seconds,
        allowed: listText(locale, problem.allowed),
      });
    case 'style_bad_size':
      return t(locale, 'error.style_bad_size', {
        size: escapeUntrusted(problem.size, 40),
        allowed: listText(locale, problem.allowed),
      });
  }
}

/** This server's styles whose names contain what the member typed, as autocomplete choices. */
export async function styleChoices(
  context: BotContext,
  guildId: string | null,
  typed: string,
): Promise<{ name: string; value: string }[]> {
  if (!guildId) return [];
  const needle = typed.normalize('NFKC').toLowerCase();
  return (await context.store.styles(guildId))
    .filter((style) => style.name.normalize('NFKC').toLowerCase().includes(needle))
    .slice(0, 25)
    .map((style) => ({ name: style.name, value: style.name }));
}
