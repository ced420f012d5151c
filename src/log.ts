// Structured logging. Secrets are redacted by path, whatever object they travel in; what members
// wrote never reaches a line at info or above, even inside an error (see scrubValue).
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export const redactedPaths = [
  'token',
  'apiKey',
  'authorization',
  'password',
  '*.token',
  '*.apiKey',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'config.discord.token',
  'config.video.apiKey',
  'config.databaseUrl',
  'config.webhooks.secret',
  'interactionToken',
  '*.interactionToken',
];

export interface LogOptions {
  level: string;
  /** Human-readable lines instead of JSON; `auto`: when `isTerminal`. */
  pretty?: boolean | 'auto';
  /** Whether standard output is a terminal (process.stdout.isTTY); only `pretty: 'auto'` reads it. */
  isTerminal?: boolean;
  /** Where JSON lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
  /** Values to scrub wherever they appear in a message (the bot token, the API key). */
  secrets?: string[];
}

export function createLogger(options: LogOptions): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  const scrub = (text: string) =>
    secretPatterns.reduce(
      (out, [pattern, replacement]) => out.replace(pattern, replacement),
      secrets.reduce((out, secret) => out.replaceAll(secret, '[Redacted]'), text),
    );
  // The level of the line being written, set around each call (pino formats it synchronously):
  // the provider's own words are kept only in lines below info.
  let keepQuotes = false;
  const base: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[Redacted]' },
    base: { app: 'reelbot' },
    // A secret can also hide inside free text (an error message quoting a URL or a header).
    hooks: {
      logMethod(args, method, level) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrub(arg) : arg));
        keepQuotes = level < infoLevel;
        try {
          method.apply(this, scrubbed as Parameters<typeof method>);
        } finally {
          keepQuotes = false;
        }
      },
    },
    formatters: {
      log: (object) => scrubObject(object, { scrub, keepQuotes }),
    },
    // The formatter above has already made errors plain; pino's own would rename their type.
    serializers: { err: (value: unknown) => value },
  };
  if (wantsPretty(options.pretty ?? false, options.isTerminal ?? false) && !options.destination) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** LOG_PRETTY: `auto` is human-readable on a terminal and JSON lines anywhere else (a pipe, a file, a collector). */
export function wantsPretty(setting: boolean | 'auto', isTerminal: boolean): boolean {
  return setting === 'auto' ? isTerminal : setting;
}

/** pino's number for info: lines below it (debug, trace) may carry what members wrote. */
const infoLevel = 30;

/** Secrets with a recognisable shape, whoever they belong to: credentials and interaction tokens in URLs. */
const secretPatterns: [RegExp, string][] = [
  [/\bBearer\s+[\w.~+/-]+=*/g, 'Bearer [Redacted]'],
  [/\bBot\s+[\w-]{20,}\.[\w-]+\.[\w-]+/g, 'Bot [Redacted]'],
  [/(\/(?:webhooks|interactions)\/\d+\/)[\w.-]+/g, '$1[Redacted]'],
];

/** Fields whose value is a credential, at any depth (an error's request headers, say). */
const secretKeys =
  /^(authorization|proxy-authorization|x-api-key|api[-_]?key|token|interaction[-_]?token|password|secret)$/i;

const maxDepth = 6;
const maxEntries = 50;

interface Scrubbing {
  /** Removes secrets from free text. */
  scrub: (text: string) => string;
  /** The line is below info: a provider's own words (which may echo a prompt) may stay. */
  keepQuotes: boolean;
}

function scrubObject(value: Record<string, unknown>, how: Scrubbing): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKeys.test(key) ? '[Redacted]' : scrubValue(inner, how, 0, seen);
  }
  return out;
}

/**
 * discord.js's DiscordAPIError and HTTPError carry the request they answer as `requestBody`: the
 * whole message the bot tried to send (the embed with the prompt, the reference file's name, the
 * requester's mention). Only its shape is written: how many files, their bytes, whether JSON went.
 */
function requestBodySummary(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object') return { json: '[omitted]' };
  const { files, json } = body as { files?: unknown; json?: unknown };
  const summary: Record<string, unknown> = {};
  if (Array.isArray(files)) {
    summary.files = files.length;
    summary.bytes = files.reduce<number>((sum, file: { data?: unknown }) => sum + byteLength(file?.data), 0);
  }
  if (json !== undefined) summary.json = '[omitted]';
  return summary;
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return data.byteLength;
  return 0;
}

/** Stands for a provider's words in a line at info or above; the same line at debug keeps them. */
const quoteOmitted = "[the provider's words: logged at debug only]";

/** A ProviderError whose message is the provider's own (see ProviderError.quotesProvider). */
const quotesProvider = (error: Error) => (error as { quotesProvider?: unknown }).quotesProvider === true;

/**
 * A copy that is safe to write and small enough to read: errors keep their own fields (a
 * ProviderError's kind, discord.js's code/status/method/url) and their cause chain, bytes are
 * summarised, cycles and depth are cut. Member text is left out: a discord.js error's request body
 * is summarised, and a provider's words are kept only below info.
 */
function scrubValue(value: unknown, how: Scrubbing, depth: number, seen: WeakSet<object>): unknown {
  const { scrub } = how;
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > maxDepth) return '[Truncated]';
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value.toISOString();
  seen.add(value);
  const inner = (item: unknown) => scrubValue(item, how, depth + 1, seen);
  if (Array.isArray(value)) {
    const items = value.slice(0, maxEntries).map(inner);
    seen.delete(value);
    return items;
  }
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    const omit = quotesProvider(value) && !how.keepQuotes;
    out.type = value.name;
    out.message = omit ? quoteOmitted : scrub(value.message);
    if (value.stack) {
      // The stack's first line repeats the message.
      out.stack = scrub(omit ? value.stack.split(value.message).join(quoteOmitted) : value.stack);
    }
  }
  for (const [key, field] of Object.entries(value).slice(0, maxEntries)) {
    if (key in out) continue;
    if (secretKeys.test(key)) out[key] = '[Redacted]';
    else if (key === 'requestBody') out[key] = requestBodySummary(field);
    else out[key] = inner(field);
  }
  if (value instanceof Error) {
    // Both are non-enumerable on the platform's errors.
    if (value.cause !== undefined && !('cause' in out)) out.cause = inner(value.cause);
    if (value instanceof AggregateError && !('errors' in out)) out.errors = inner(value.errors);
  }
  // Only ancestors count as cycles: an object met twice side by side is written twice.
  seen.delete(value);
  return out;
}

/** One child logger per job, so every line about a job carries its ids. */
export function jobLogger(
  logger: Logger,
  job: { id: number | string; guildId?: string | null; remoteId?: string | null },
): Logger {
  return logger.child({
    jobId: job.id,
    guildId: job.guildId ?? undefined,
    videoId: job.remoteId ?? undefined,
  });
}
