// Maps what went wrong at the provider onto the few reasons a member is told.
import type { ProviderError, VideoJob } from '../provider/index.ts';
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
    too_large: 'delivery_failed',
  };
  return { kind: kinds[error.kind] ?? 'provider_down', code: error.code, message: error.message };
}

export function failureFromRemote(remote: VideoJob): Failure {
  const code = remote.error?.code ?? null;
  const message = remote.error?.message ?? 'the provider did not say why';
  const moderated = /moderation|safety|content_policy|blocked/i.test(`${code ?? ''} ${message}`);
  return { kind: moderated ? 'moderation' : 'provider_failed', code, message };
}
