// Localised refusals: one place turns a problem into the sentence a member reads.
import type { MessageKey, Vars } from '../i18n/index.ts';
import { t } from '../i18n/index.ts';
import type { QuotaRefusal, VideoProblem } from '../jobs/index.ts';
import type { ProviderError } from '../provider/index.ts';

export function problemText(locale: string, problem: VideoProblem): string {
  const { problem: key, ...vars } = problem;
  return t(locale, `error.${key}` as MessageKey, vars as Vars);
}

export function quotaText(locale: string, refusal: QuotaRefusal): string {
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

/** Discord renders <t:…:R> in the reader's own time zone and language ("in 3 hours"). */
export function relativeTime(ms: number): string {
  return `<t:${Math.ceil(ms / 1000)}:R>`;
}

export function providerErrorText(locale: string, error: ProviderError): string {
  const keys: Partial<Record<ProviderError['kind'], MessageKey>> = {
    moderation: 'failure.moderation',
    invalid_request: 'failure.invalid_request',
    bad_key: 'failure.bad_key',
    quota: 'failure.quota',
    rate_limited: 'failure.rate_limited',
  };
  return t(locale, keys[error.kind] ?? 'failure.provider_down', { message: error.message.slice(0, 300) });
}
