// Maps what went wrong at the provider onto the few reasons a member is told.
import { ProviderError, type ProviderErrorKind, type VideoJob } from '../provider/index.ts';
import type { FailureKind } from './states.ts';

export interface Failure {
  kind: FailureKind;
  code: string | null;
  message: string;
}

export function failureFromError(error: ProviderError): Failure {
  const kinds: Partial<Record<ProviderError['kind'], FailureKind>> = {
    moderation: 'moderation',
    invalid_request: 'invalid_request',
    bad_key: 'bad_key',
    quota: 'quota',
    not_found: 'not_found',
    model_unavailable: 'model_unavailable',
    too_large: 'delivery_failed',
    bad_content: 'not_a_video',
  };
  return { kind: kinds[error.kind] ?? 'provider_down', code: error.code, message: error.message };
}

export function failureFromRemote(remote: VideoJob): Failure {
  const code = remote.error?.code ?? null;
  const message = remote.error?.message ?? 'the provider did not say why';
  const moderated = /moderation|safety|content_policy|blocked/i.test(`${code ?? ''} ${message}`);
  return { kind: moderated ? 'moderation' : 'provider_failed', code, message };
}

/**
 * The error a member reads when the provider failed the job as it was created: a moderation block
 * stays a moderation block, not "rejected the request".
 */
export function providerErrorFromFailure(failure: Failure): ProviderError {
  const kinds: Partial<Record<FailureKind, ProviderErrorKind>> = {
    moderation: 'moderation',
    invalid_request: 'invalid_request',
    bad_key: 'bad_key',
    quota: 'quota',
    not_found: 'not_found',
    model_unavailable: 'model_unavailable',
    provider_down: 'provider_down',
    timed_out: 'timeout',
  };
  // What is left (provider_failed) is the provider refusing this request, with its own words.
  return new ProviderError(kinds[failure.kind] ?? 'invalid_request', failure.message, {
    code: failure.code,
    quotesProvider: true,
  });
}
