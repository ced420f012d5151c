// Localised refusals: one place turns a problem into the sentence a member reads.

import { TimestampStyles, time } from 'discord.js';
import type { MessageKey, Vars } from '../i18n/index.ts';
import { listText, t } from '../i18n/index.ts';
import type { FailureKind, QuotaRefusal, ReferenceProblem, VideoProblem } from '../jobs/index.ts';
import {
  mayHaveBeenAccepted,
  type ProviderError,
  referenceUnreadableCode,
  tooManyReferencesCode,
} from '../provider/index.ts';
import { escapeUntrusted } from './render.ts';

const problemKeys: Record<VideoProblem['problem'], MessageKey> = {
  prompt_empty: 'error.prompt_empty',
  prompt_too_long: 'error.prompt_too_long',
  unknown_model: 'error.unknown_model',
  bad_duration: 'error.bad_duration',
  bad_size: 'error.bad_size',
  bad_takes: 'error.bad_takes',
  too_many_references: 'error.too_many_references',
};

export function problemText(locale: string, problem: VideoProblem): string {
  if (problem.problem === 'too_many_references' && problem.max === 0) {
    return t(locale, 'error.no_references', { model: escapeUntrusted(problem.model, 60) });
  }
  const { problem: kind, ...vars } = problem;
  // A model or size the member typed comes back in the sentence: shown as text, never as markdown.
  // The list of allowed values is the catalogue's own, shown whole, with the locale's separators.
  const typed = new Set(['model', 'size']);
  const shown: Vars = Object.fromEntries(
    Object.entries(vars).map(([name, value]: [string, string | number | readonly (string | number)[]]) => [
      name,
      typeof value === 'object'
        ? listText(locale, value)
        : typeof value === 'string' && typed.has(name)
          ? escapeUntrusted(value, 200)
          : value,
    ]),
  );
  return t(locale, problemKeys[kind], shown);
}

/** The refusal for an attachment that is not an image; its file name is the member's text. */
export function notAnImageText(locale: string, fileName: string): string {
  return t(locale, 'error.attachment_not_image', { name: escapeUntrusted(fileName, 100) });
}

/** Why the member's reference image cannot be used, in their language. */
export function referenceProblemText(locale: string, problem: ReferenceProblem, fileName: string): string {
  switch (problem.problem) {
    case 'not_image':
      return notAnImageText(locale, fileName);
    case 'undecodable':
      return t(locale, 'failure.reference_unreadable');
    case 'zero_size':
      return t(locale, 'error.reference_zero_size');
    case 'too_large_side':
      return t(locale, 'error.reference_too_large_side', {
        width: problem.width,
        height: problem.height,
        max: problem.max,
      });
    case 'animated':
      return t(locale, 'error.reference_animated', {
        model: escapeUntrusted(problem.model, 60),
        frames: problem.frames,
      });
  }
}

export function quotaText(locale: string, refusal: QuotaRefusal): string {
  if (refusal.takes) return takesQuotaText(locale, refusal, refusal.takes);
  switch (refusal.limit) {
    case 'in_flight':
      return t(locale, 'error.quota_in_flight', { max: refusal.max });
    case 'user_daily':
      return t(locale, 'error.quota_user_daily', { max: refusal.max, when: relativeTime(refusal.freesAt) });
    case 'guild_seconds':
      return t(locale, 'error.quota_guild_seconds', {
        max: refusal.max,
        used: refusal.used,
        when: relativeTime(refusal.freesAt),
      });
    case 'guild_seconds_never':
      return t(locale, 'error.quota_guild_seconds_never', { max: refusal.max, seconds: refusal.seconds });
  }
}

/** A request of several takes refused whole: which limit, and how many of them would fit now. */
function takesQuotaText(
  locale: string,
  refusal: QuotaRefusal,
  takes: { requested: number; fits: number },
): string {
  const fits =
    takes.fits > 0
      ? t(locale, 'error.quota_takes_fit', { fits: takes.fits })
      : t(locale, 'error.quota_takes_none');
  const vars = { max: refusal.max, requested: takes.requested, fits };
  switch (refusal.limit) {
    case 'in_flight':
      return t(locale, 'error.quota_takes_in_flight', vars);
    case 'user_daily':
      return t(locale, 'error.quota_takes_user_daily', vars);
    case 'guild_seconds':
      return t(locale, 'error.quota_takes_guild_seconds', {
        ...vars,
        left: Math.max(0, refusal.max - refusal.used),
      });
    case 'guild_seconds_never':
      return t(locale, 'error.quota_takes_guild_seconds_never', {
        ...vars,
        seconds: Math.round(refusal.seconds / takes.requested),
      });
  }
}

/** Discord renders <t:…:R> in the reader's own time zone and language ("in 3 hours"). */
export function relativeTime(ms: number): string {
  return time(Math.ceil(ms / 1000), TimestampStyles.RelativeTime);
}

/** What a member reads when the provider refused their job; `model` is the job's. */
export function providerErrorText(locale: string, error: ProviderError, model = ''): string {
  const keys: Partial<Record<ProviderError['kind'], MessageKey>> = {
    moderation: 'failure.moderation',
    invalid_request: 'failure.invalid_request',
    bad_key: 'failure.bad_key',
    quota: 'failure.quota',
    rate_limited: 'failure.rate_limited',
    model_unavailable: 'failure.model_unavailable',
  };
  if (error.code === referenceUnreadableCode) return t(locale, 'failure.reference_unreadable');
  if (error.code === tooManyReferencesCode) {
    return t(locale, 'failure.too_many_references', { model: escapeUntrusted(model, 60) });
  }
  // "Nothing was charged" only where that is sure: a refusal, or a request that never left.
  if (mayHaveBeenAccepted(error)) return t(locale, 'failure.provider_unclear');
  // The provider's message may echo the prompt: it is shown as text, never as markdown or mentions.
  return t(locale, keys[error.kind] ?? 'failure.provider_down', {
    message: escapeUntrusted(error.message, 300),
    model: escapeUntrusted(model, 60),
  });
}

/** The short name of a failure kind, as /video-admin usage and the CSV export show it. */
export const failureKindKeys: Record<FailureKind, MessageKey> = {
  moderation: 'failure_kind.moderation',
  invalid_request: 'failure_kind.invalid_request',
  provider_down: 'failure_kind.provider_down',
  timed_out: 'failure_kind.timed_out',
  interrupted: 'failure_kind.interrupted',
  bad_key: 'failure_kind.bad_key',
  quota: 'failure_kind.quota',
  provider_failed: 'failure_kind.provider_failed',
  delivery_failed: 'failure_kind.delivery_failed',
  not_a_video: 'failure_kind.not_a_video',
  not_found: 'failure_kind.not_found',
  model_unavailable: 'failure_kind.model_unavailable',
};

/** A failure kind as stored (a string, possibly from an older or newer reelbot) in the member's words. */
export function failureKindName(locale: string, kind: string): string {
  return t(locale, failureKindKeys[kind as FailureKind] ?? 'failure_kind.unknown');
}
