// HTTP plumbing for the video API: one undici agent, timeouts, error mapping, retries.
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { timerMs } from '../timers.ts';
import { parseErrorBody } from './schemas.ts';
import { ProviderError } from './types.ts';

export interface HttpOptions {
  timeoutMs: number;
  /** Retries for requests that are safe to repeat (see each call's retry rule). */
  retries: number;
  /** A Retry-After longer than this is not waited out here: the error goes up so the caller can pause. */
  maxRetryWaitMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  dispatcher: Dispatcher;
}

const defaultRetries = 3;
const defaultMaxRetryWaitMs = 10_000;

export function defaultHttpOptions(timeoutMs: number): HttpOptions {
  return {
    timeoutMs,
    retries: defaultRetries,
    maxRetryWaitMs: defaultMaxRetryWaitMs,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, timerMs(ms))),
    random: Math.random,
    dispatcher: new Agent({
      connections: 32,
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    }),
  };
}

/**
 * Abandons a response body we will not read. undici's BodyReadable emits an AbortError when
 * destroyed unread; nobody listens for it any more, so without a listener it would be uncaught.
 */
export function abandonBody(body: Readable): void {
  body.once('error', () => {});
  body.destroy();
}

/**
 * The longest one request with its retries can take: every try runs into its timeout and every
 * wait between tries is as long as it may be (a longer Retry-After is not waited out here).
 */
export function longestRequestMs(
  timeoutMs: number,
  options: { retries: number; maxRetryWaitMs: number } = {
    retries: defaultRetries,
    maxRetryWaitMs: defaultMaxRetryWaitMs,
  },
): number {
  let total = (options.retries + 1) * timeoutMs;
  for (let attempt = 0; attempt < options.retries; attempt++) {
    total += Math.max(
      retryDelayMs(attempt, () => 1, null),
      options.maxRetryWaitMs,
    );
  }
  return total;
}

/** Exponential backoff with full jitter, floored at the provider's own Retry-After. */
export function retryDelayMs(attempt: number, random: () => number, retryAfterMs: number | null): number {
  const exponential = Math.min(8_000, 500 * 2 ** attempt);
  const jittered = exponential / 2 + (random() * exponential) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}

export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  now: number,
): number | null {
  const ms = first(headers['retry-after-ms']);
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = first(headers['retry-after']);
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Codes gateways answer for a model they do not, or no longer, serve. */
const modelGoneCodes =
  /^(model_not_found|model_not_available|model_unavailable|model_deprecated|model_retired|unsupported_model|invalid_model|unknown_model)$/i;

/**
 * Messages naming the model as unknown, unavailable or retired: "The model `x` does not exist",
 * "Model x has been retired", "unknown model", "no such model".
 */
const modelGonePhrases = [
  /\bmodel\b[^.;:]*?\b(does not exist|doesn't exist|not found|is unknown|is not available|is unavailable|no longer available|(has been |was |is )?(retired|deprecated|discontinued|shut down))/i,
  /\b(unknown|unsupported|retired|deprecated|invalid) model\b/i,
  /\bno such model\b/i,
];

/** A passing trouble, not a model gone: retrying later may work, so it is not called retired. */
const passingTrouble = /temporar|overload|busy|capacity|try again/i;

/**
 * True when a 400/404 answer to a create (or remix) says that the model itself is not served:
 * by its code, by its words, or by naming the model as gone (gateways have answered
 * `fail_to_fetch_task` with a 404 "… is no longer available").
 */
function saysModelUnavailable(
  status: number,
  code: string | null,
  text: string,
  model: string | null,
): boolean {
  if (status !== 400 && status !== 404) return false;
  if (code && modelGoneCodes.test(code)) return true;
  if (passingTrouble.test(text)) return false;
  if (code === 'fail_to_fetch_task' && status === 404 && /no longer available/i.test(text)) return true;
  if (modelGonePhrases.some((phrase) => phrase.test(text))) return true;
  return Boolean(
    model &&
      text.includes(model) &&
      /no longer available|not available|unavailable|retired|deprecated/i.test(text),
  );
}

/**
 * Maps an HTTP error answer onto the categories the UI can explain to a member. `creating` is
 * given for the answer to a create or a remix (with the model asked for, when known): only there
 * can a 400/404 mean that the model is gone. A poll's 404 is an unknown job, whatever it says.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  now: number,
  creating?: { model: string | null },
): ProviderError {
  const { message, type, code } = parseErrorBody(body);
  const text = message ?? `HTTP ${status}`;
  const details = {
    status,
    code,
    retryAfterMs: parseRetryAfter(headers, now),
    quotesProvider: message !== null,
  };
  const mentions = (pattern: RegExp) => pattern.test(`${code ?? ''} ${type ?? ''}`);
  if (status === 401 || status === 403) return new ProviderError('bad_key', text, details);
  if (status === 402 || mentions(/insufficient_quota|billing|quota_exceeded|insufficient_balance/i)) {
    return new ProviderError('quota', text, details);
  }
  if (mentions(/moderation|content_policy|safety/i) || /moderation|safety system/i.test(text)) {
    return new ProviderError('moderation', text, details);
  }
  if (creating && saysModelUnavailable(status, code, text, creating.model)) {
    return new ProviderError('model_unavailable', text, details);
  }
  if (status === 429) return new ProviderError('rate_limited', text, details);
  if (status === 404) return new ProviderError('not_found', text, details);
  if (status === 408) return new ProviderError('timeout', text, details);
  if (status >= 500) return new ProviderError('provider_down', text, details);
  if (status === 413) return new ProviderError('too_large', text, details);
  return new ProviderError('invalid_request', text, details);
}

/** Turns undici's and the platform's failures into typed errors; a ProviderError passes through. */
export function errorFromThrown(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  ) {
    return new ProviderError('timeout', 'the video API did not answer in time', { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ProviderError('network', `could not reach the video API (${reason})`, { cause: error });
}

/**
 * True when the request surely never reached the provider: the connection was refused or
 * could not be opened in time, so not a byte of it was sent.
 */
export function neverSent(error: ProviderError): boolean {
  const codes = connectionCodes(error.cause);
  return codes.length > 0 && codes.every((code) => notSentCodes.has(code));
}

const notSentCodes = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);

/** Failures whose answer proves nothing about whether the provider took the request. */
const unclearKinds = new Set<ProviderError['kind']>(['provider_down', 'timeout', 'network', 'bad_response']);

/**
 * True when a create (or remix) that failed may still have been accepted, and billed, by the
 * provider: it was sent, and what came back proves nothing (a 5xx, no answer in time, a connection
 * lost after sending, an answer that cannot be read). A refusal (4xx, 429) or a request never sent
 * surely was not.
 */
export function mayHaveBeenAccepted(error: ProviderError): boolean {
  return unclearKinds.has(error.kind) && !neverSent(error);
}

/** Node reports a refused connection to every address of a host as an AggregateError. */
function connectionCodes(cause: unknown): string[] {
  if (cause instanceof AggregateError && cause.errors.length > 0)
    return cause.errors.flatMap(connectionCodes);
  const code = cause instanceof Error && 'code' in cause ? cause.code : undefined;
  return typeof code === 'string' ? [code] : [];
}

/** Which failures a request may be repeated after. */
export type RetryRule = (error: ProviderError) => boolean;

/** Reads: every transient failure. */
export const retryTransient: RetryRule = (error) => error.transient;

/**
 * Requests that make the provider start (and bill) a video: only when it surely did not
 * process them. A timeout or a 5xx may come after the provider accepted the job, and most
 * gateways ignore Idempotency-Key, so repeating those could bill twice.
 */
export const retryUnprocessed: RetryRule = (error) => error.kind === 'rate_limited' || neverSent(error);

/** Retries `attempt` while `retryable` allows it, up to `options.retries`, when the wait is short enough. */
export async function withRetries<T>(
  options: HttpOptions,
  attempt: () => Promise<T>,
  retryable: RetryRule = retryTransient,
): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (thrown) {
      const error = errorFromThrown(thrown);
      const retryAfter = error.retryAfterMs;
      const canWait = retryAfter === null || retryAfter <= options.maxRetryWaitMs;
      if (!retryable(error) || tries >= options.retries || !canWait) throw error;
      await options.sleep(retryDelayMs(tries, options.random, retryAfter));
    }
  }
}
