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
  pretty?: boolean;
  /** Where JSON lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
  /** Values to scrub wherever they appear in a message (the bot token, the API key). */
  secrets?: string[];
}

export function createLogger(options: LogOptions): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  const scrub = (text: string) => secrets.reduce((out, secret) => out.replaceAll(secret, '[Redacted]'), text);
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
      log: (object) => (secrets.length > 0 ? scrubObject(object, scrub) : object),
    },
  };
  if (options.pretty && !options.destination) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

function scrubObject(
  value: Record<string, unknown>,
  scrub: (text: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubValue(inner, scrub, 0);
  return out;
}

function scrubValue(value: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: scrub(value.message),
      stack: value.stack ? scrub(value.stack) : undefined,
    };
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubValue(inner, scrub, depth + 1);
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
