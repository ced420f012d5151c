// What a request is made with once a server's styles and a channel's defaults and caps are taken
// into account. Pure: the caller reads the channel's settings and the style from the store.
//
// Precedence, for each of model, size and duration:
//   1. the member's own option;
//   2. the style's own setting, when the member picked the style;
//   3. the channel's default;
//   4. the style's own setting, when the style is the channel's default;
//   5. the deployment's default (the default model, its first size, its middle duration).
// A style's settings stand with whoever chose the style: picked by the member, they count as the
// member's choice (only an explicit option beats them); given by the channel, they come after the
// channel's own defaults. A setting the member did not give is used only when the model that is
// finally used makes it (a channel's 1080x1920 does not refuse a member who picked a model without
// it: that model's own default applies). A duration the member did not give is brought under the
// channel's cap when the model has one short enough.
import type { Catalogue, ModelSpec } from '../provider/index.ts';
import type {
  AppliedStyle,
  ChannelSettings,
  DefaultedSetting,
  ServerStyle,
  StylePlacement,
} from './store/index.ts';
import { defaultSeconds, normalisePrompt } from './validate.ts';

export const maxStyleNameLength = 32;
export const maxStyleTextLength = 300;

/** The prompt the provider is sent: the member's prompt with the style's text before or after it. */
export function styledPrompt(prompt: string, style: AppliedStyle | null | undefined): string {
  if (!style) return prompt;
  return style.placement === 'before' ? `${style.text} ${prompt}` : `${prompt} ${style.text}`;
}

/** A job's row keeps its style as it was: the style it is made with again (Regenerate, Remix). */
export function jobStyle(job: {
  styleName: string | null;
  styleText: string | null;
  stylePlacement: StylePlacement | null;
}): AppliedStyle | null {
  return job.styleName !== null && job.styleText !== null && job.stylePlacement !== null
    ? { name: job.styleName, text: job.styleText, placement: job.stylePlacement }
    : null;
}

export type StyleProblem =
  | { problem: 'style_name_invalid'; max: number }
  | { problem: 'style_text_invalid'; max: number }
  | { problem: 'style_unknown_model'; model: string; allowed: readonly string[] }
  | { problem: 'style_bad_duration'; seconds: number; allowed: readonly number[] }
  | { problem: 'style_bad_size'; size: string; allowed: readonly string[] };

const letterOrDigit = /[\p{L}\p{N}]/u;
const controlOrInvisible = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A style as an admin asks for it, checked: a name of 1 to 32 characters on one line with at least
 * one letter or digit, a text of at most 300 characters that shows something, and a model, size
 * and duration this deployment offers (a size or duration without a model: one some offered model makes).
 */
export function checkStyle(
  input: {
    name: string;
    text: string;
    placement?: StylePlacement | null;
    model?: string | null;
    size?: string | null;
    seconds?: number | null;
  },
  catalogue: Catalogue,
):
  | {
      ok: true;
      style: Pick<ServerStyle, 'name' | 'text' | 'placement' | 'model' | 'size' | 'seconds'>;
    }
  | ({ ok: false } & StyleProblem) {
  // One line: spaces collapse, but a newline, a tab or an invisible character is refused.
  const written = normalisePrompt(input.name);
  const name = written.replace(/ +/g, ' ');
  if (
    !letterOrDigit.test(name) ||
    controlOrInvisible.test(written) ||
    /[^\S ]/.test(name) ||
    [...name].length > maxStyleNameLength
  ) {
    return { ok: false, problem: 'style_name_invalid', max: maxStyleNameLength };
  }
  const text = normalisePrompt(input.text);
  if (!letterOrDigit.test(text) || [...text].length > maxStyleTextLength) {
    return { ok: false, problem: 'style_text_invalid', max: maxStyleTextLength };
  }
  const settings = checkSettings(input, catalogue);
  if (!settings.ok) return settings;
  return { ok: true, style: { name, text, placement: input.placement ?? 'after', ...settings.settings } };
}

export type SettingsProblem = Extract<
  StyleProblem,
  { problem: 'style_unknown_model' | 'style_bad_duration' | 'style_bad_size' }
>;

/**
 * A model, size and duration an admin gives a style or a channel's defaults: each one this
 * deployment offers (a size or duration without a model: one that some offered model makes).
 */
export function checkSettings(
  input: { model?: string | null; size?: string | null; seconds?: number | null },
  catalogue: Catalogue,
):
  | { ok: true; settings: { model: string | null; size: string | null; seconds: number | null } }
  | ({ ok: false } & SettingsProblem) {
  const modelId = input.model?.trim() || null;
  const model = modelId ? catalogue.find(modelId) : undefined;
  if (modelId && !model) {
    return {
      ok: false,
      problem: 'style_unknown_model',
      model: modelId,
      allowed: catalogue.offered.map((m) => m.id),
    };
  }
  const makers = model ? [model] : catalogue.offered;
  const seconds = input.seconds ?? null;
  if (seconds !== null && !makers.some((m) => m.seconds.includes(seconds))) {
    const allowed = [...new Set(makers.flatMap((m) => m.seconds))].sort((a, b) => a - b);
    return { ok: false, problem: 'style_bad_duration', seconds, allowed };
  }
  const size = input.size ? input.size.replace('×', 'x').trim() : null;
  if (size !== null && !makers.some((m) => m.sizes.includes(size))) {
    return {
      ok: false,
      problem: 'style_bad_size',
      size,
      allowed: [...new Set(makers.flatMap((m) => m.sizes))],
    };
  }
  return { ok: true, settings: { model: model?.id ?? null, size, seconds } };
}

/** What the member gave (null or absent: nothing). */
export interface MemberOptions {
  model?: string | null;
  seconds?: number | null;
  size?: string | null;
}

/** Where the style came from, if any: the member's pick, or the channel's default. */
export type StyleSource =
  | { from: 'member'; style: ServerStyle }
  | { from: 'channel'; style: ServerStyle }
  | null;

/** The settings to validate (nulls: the deployment's defaults) and which came from the channel. */
export interface ResolvedRequest {
  model: string | null;
  seconds: number | null;
  size: string | null;
  style: AppliedStyle | null;
  defaultsApplied: DefaultedSetting[];
}

/**
 * Which style applies: the member's pick (by name, looked up by the caller), else the channel's
 * default. A member's pick that names no style of this server is the caller's refusal.
 */
export function styleSource(
  picked: ServerStyle | undefined,
  channelStyle: ServerStyle | undefined,
): StyleSource {
  if (picked) return { from: 'member', style: picked };
  if (channelStyle) return { from: 'channel', style: channelStyle };
  return null;
}

/** The duration a model makes nearest under `max` (the longest that fits), or null when none fits. */
function longestWithin(model: ModelSpec, max: number): number | null {
  const fitting = model.seconds.filter((seconds) => seconds <= max);
  return fitting.length > 0 ? Math.max(...fitting) : null;
}

/**
 * The request's settings by the precedence above. Settings the member did not give are only taken
 * when the final model makes them; `defaultsApplied` names those taken from the channel's own
 * defaults (and `style` when the style is the channel's).
 */
export function resolveRequest(
  options: MemberOptions,
  channel: Pick<ChannelSettings, 'model' | 'size' | 'seconds' | 'maxSeconds'>,
  source: StyleSource,
  catalogue: Catalogue,
): ResolvedRequest {
  const memberStyle = source?.from === 'member' ? source.style : null;
  const channelStyle = source?.from === 'channel' ? source.style : null;
  const given = <T>(value: T | null | undefined): T | null =>
    value === undefined || value === null || value === '' ? null : value;

  const defaultsApplied: DefaultedSetting[] = [];
  // The model first: the others are taken only when it makes them. The member's own is validated
  // as given; a default naming a model this deployment no longer offers is skipped.
  let model = given(options.model?.trim());
  if (model === null) {
    const candidates: [string | null, boolean][] = [
      [memberStyle?.model ?? null, false],
      [channel.model, true],
      [channelStyle?.model ?? null, false],
    ];
    const found = candidates.find(([candidate]) => candidate !== null && catalogue.find(candidate));
    if (found) {
      model = found[0];
      if (found[1]) defaultsApplied.push('model');
    }
  }
  const spec = catalogue.find(model ?? catalogue.defaultModel.id);

  const pick = <T>(
    member: T | null,
    candidates: [T | null, boolean][],
    makes: (value: T) => boolean,
    setting: DefaultedSetting,
  ): T | null => {
    if (member !== null) return member;
    for (const [candidate, fromChannel] of candidates) {
      if (candidate === null || !makes(candidate)) continue;
      if (fromChannel) defaultsApplied.push(setting);
      return candidate;
    }
    return null;
  };
  const size = pick(
    given(options.size),
    [
      [memberStyle?.size ?? null, false],
      [channel.size, true],
      [channelStyle?.size ?? null, false],
    ],
    (value) => spec?.sizes.includes(value) ?? false,
    'size',
  );
  let seconds = pick(
    given(options.seconds),
    [
      [memberStyle?.seconds ?? null, false],
      [channel.seconds, true],
      [channelStyle?.seconds ?? null, false],
    ],
    (value) => spec?.seconds.includes(value) ?? false,
    'seconds',
  );
  // A duration nobody asked for explicitly is kept under the channel's cap when the model allows.
  const cap = channel.maxSeconds;
  if (spec && cap !== null && given(options.seconds) === null) {
    const chosen = seconds ?? defaultSeconds(spec);
    const within = chosen > cap ? longestWithin(spec, cap) : null;
    if (within !== null) {
      seconds = within;
      // Brought under the cap, it is no longer the channel's default duration.
      const index = defaultsApplied.indexOf('seconds');
      if (index >= 0) defaultsApplied.splice(index, 1);
    }
  }
  if (source?.from === 'channel') defaultsApplied.push('style');
  const style = source
    ? { name: source.style.name, text: source.style.text, placement: source.style.placement }
    : null;
  return { model, seconds, size, style, defaultsApplied };
}

export type CapProblem =
  | { problem: 'channel_max_seconds'; seconds: number; max: number }
  | { problem: 'channel_max_takes'; takes: number; max: number };

/** The channel's caps on what a request makes: the first one it goes over, or null. */
export function capProblem(
  request: { seconds: number; takes: number },
  channel: Pick<ChannelSettings, 'maxSeconds' | 'maxTakes'>,
): CapProblem | null {
  if (channel.maxSeconds !== null && request.seconds > channel.maxSeconds) {
    return { problem: 'channel_max_seconds', seconds: request.seconds, max: channel.maxSeconds };
  }
  if (channel.maxTakes !== null && request.takes > channel.maxTakes) {
    return { problem: 'channel_max_takes', takes: request.takes, max: channel.maxTakes };
  }
  return null;
}
