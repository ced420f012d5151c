// Structured logging. Secrets are redacted by path, whatever object they travel in.
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
  const base: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[Redacted]' },
    base: { app: 'reelbot' },
    // A secret can also hide inside free text (an error message quoting a URL or a header).
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrub(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (object) => scrubObject(object, scrub),
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

function scrubObject(
  value: Record<string, unknown>,
  scrub: (text: string) => string,
): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKeys.test(key) ? '[Redacted]' : scrubValue(inner, scrub, 0, seen);
  }
  return out;
}

/**
 * A copy that is safe to write and small enough to read: errors keep their own fields (a
 * ProviderError's kind, discord.js's code/status/method/url) and their cause chain, bytes are
 * summarised, cycles and depth are cut.
 */
function scrubValue(
  value: unknown,
  scrub: (text: string) => string,
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > maxDepth) return '[Truncated]';
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value.toISOString();
  seen.add(value);
  const inner = (item: unknown) => scrubValue(item, scrub, depth + 1, seen);
  if (Array.isArray(value)) {
    const items = value.slice(0, maxEntries).map(inner);
    seen.delete(value);
    return items;
  }
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = scrub(value.message);
    if (value.stack) out.stack = scrub(value.stack);
  }
  for (const [key, field] of Object.entries(value).slice(0, maxEntries)) {
    if (key in out) continue;
    out[key] = secretKeys.test(key) ? '[Redacted]' : inner(field);
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
