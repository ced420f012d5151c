// The environment schema: every setting reelbot reads, validated once at start.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { minVideoBytes } from './jobs/videoCheck.ts';
import { webhookPath } from './jobs/webhooks.ts';
import { httpPortOf, type ProcessRole, readProcessRole, shardPlanProblems } from './processRole.ts';
import { buildCatalogue, type Catalogue, modelSpecSchema } from './provider/catalogue.ts';
import { maxTimerMs } from './timers.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const defaultModelId = 'veo-3.1-fast-generate-preview';

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const url = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((value) => /^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value), 'must be an http(s) URL')
    .transform((value) => value.replace(/\/+$/, ''));

/** The allowed range of a numeric setting, and why it is bounded (said in the error). */
interface NumericRange {
  min: number;
  max: number;
  why: string;
}

const wholeNumberWithin = (value: string, range: NumericRange) =>
  /^\d+$/.test(value) && Number(value) >= range.min && Number(value) <= range.max;

const rangeProblem = (range: NumericRange) =>
  `must be a whole number from ${range.min} to ${range.max}: ${range.why}`;

const integer = (fallback: number, range: NumericRange) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .refine((value) => wholeNumberWithin(value, range), rangeProblem(range))
    .transform(Number);

/** A whole number within `range`, or undefined when unset (a default worked out elsewhere). */
const optionalInteger = (range: NumericRange) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .refine((value) => value === undefined || wholeNumberWithin(value, range), rangeProblem(range))
    .transform((value) => (value === undefined ? undefined : Number(value)));

const ranges = {
  uploadKbps: {
    min: 1,
    max: 1_000_000,
    why: 'KiB per second; the slowest uplink an upload timeout is sized for (a 10 MB video at 100 KiB/s may take 100 s)',
  },
  uploadsAtOnce: {
    min: 1,
    max: 16,
    why: 'uploads; each holds its whole video in memory, so a few at a time keep memory bounded',
  },
  timeoutMs: {
    min: 1_000,
    max: 600_000,
    why: `milliseconds; under a second even a healthy gateway times out, over ten minutes a stalled request holds a poll and the shutdown far too long (and past ${maxTimerMs} ms, 2^31-1, Node timers fire at once)`,
  },
  videoBytes: {
    min: minVideoBytes,
    max: 4 * 1024 ** 3,
    why: `bytes; a download under ${minVideoBytes / 1024} KiB is refused as not a video (no generated video is that small), and 4 GiB is the largest file Node.js holds in one buffer (an upload reads the video whole)`,
  },
  retentionHours: {
    min: 1,
    max: 8_760,
    why: 'hours; at least one so Regenerate and links find the files, at most a year so the media folder does not only grow',
  },
  linkTtlHours: {
    min: 1,
    max: 8_760,
    why: 'hours; a link must live long enough to be opened, and one valid for more than a year never expires in practice',
  },
  jobMaxAgeMinutes: {
    min: 5,
    max: 1_440,
    why: 'minutes; a video takes minutes to make, and providers drop unfinished jobs within hours, not days',
  },
  inFlight: { min: 1, max: 100, why: 'the range /video-admin quota accepts' },
  jobsPerDay: { min: 1, max: 10_000, why: 'the range /video-admin quota accepts' },
  guildSeconds: { min: 1, max: 1_000_000, why: 'the range /video-admin quota accepts' },
  port: { min: 0, max: 65_535, why: 'a TCP port (0 picks a free one)' },
  leaseMs: {
    min: 1_000,
    max: 86_400_000,
    why: "milliseconds; a claim shorter than a second could lapse while it is being taken, and one longer than a day leaves a dead process's jobs waiting a day",
  },
  safetyPollSeconds: {
    min: 1,
    max: 3_600,
    why: 'seconds between two polls of a job while webhooks arrive; a lost webhook delays its job by about this much, and over an hour a job would outlive its polls',
  },
  liveMinutes: {
    min: 1,
    max: 1_440,
    why: 'minutes since the last verified webhook during which webhooks count as arriving (polls stay sparse); past it, polling goes back to its own schedule',
  },
  poolSize: {
    min: 1,
    max: 100,
    why: "connections each process keeps open to PostgreSQL; every process has its own pool, and the server's max_connections (100 by default) bounds them all",
  },
} satisfies Record<string, NumericRange>;

const flagWords = ['true', 'false', '1', '0', 'yes', 'no'];
const trueWords = ['true', '1', 'yes'];

const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(String(fallback))
    .refine((value) => flagWords.includes(value), 'must be true or false')
    .transform((value) => trueWords.includes(value));

/** `auto`, or a flag forcing it: VIDEO_SIMULATED (auto: without an API key), LOG_PRETTY (auto: on a terminal). */
const autoFlag = z
  .string()
  .trim()
  .toLowerCase()
  .default('auto')
  .transform((value) => value || 'auto')
  .refine((value) => value === 'auto' || flagWords.includes(value), 'must be auto, true or false')
  .transform((value): 'auto' | boolean => (value === 'auto' ? 'auto' : trueWords.includes(value)));

const required = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .min(1, `is required: ${what}`);

const snowflake = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || undefined)
  .refine(
    (value) => value === undefined || /^\d{17,20}$/.test(value),
    'must be a Discord server id (digits)',
  );

/** A postgres:// URL; checked without ever quoting it (it carries the password). */
const databaseUrl = optionalText.refine(
  (value) => value === undefined || (/^postgres(ql)?:\/\/\S+$/.test(value) && URL.canParse(value)),
  'must be a postgres:// or postgresql:// URL, such as postgres://reelbot:PASSWORD@db.example.com:5432/reelbot (or unset for the SQLite file at DATABASE_PATH)',
);

const instanceName = optionalText.refine(
  (value) => value === undefined || /^[A-Za-z0-9._-]{1,100}$/.test(value),
  'must be up to 100 letters, digits, dots, dashes or underscores (it names this process in the database)',
);

/** A Standard Webhooks secret as providers hand it out: `whsec_` and base64. Never quoted in an error. */
const webhookSecret = optionalText.refine(
  (value) => value === undefined || /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(value),
  'must be the signing secret the provider shows, whsec_ followed by base64 (at least 16 characters)',
);

/** A comma-separated list of webhook event types, such as video.completed,video.failed. */
const eventList = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((value) => value || fallback)
    .transform((value) =>
      value
        .split(',')
        .map((event) => event.trim())
        .filter(Boolean),
    )
    .refine(
      (events) => events.length > 0 && events.every((event) => /^[\w.:-]{1,100}$/.test(event)),
      'must be event types separated by commas, such as video.completed,video.failed',
    );

const jsonPath = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((value) => value || fallback)
    .refine(
      (value) => /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,7}$/.test(value),
      'must be field names joined by dots, such as data.id',
    )
    .transform((value) => value.split('.'));

const fieldName = optionalText.refine(
  (value) => value === undefined || /^[A-Za-z0-9_]{1,64}$/.test(value),
  'must be a request field name, such as callback_url',
);

const envSchema = z.object({
  DISCORD_TOKEN: required('the bot token from the Discord Developer Portal (Bot → Reset Token)'),
  DISCORD_API_URL: url('https://discord.com/api'),
  DISCORD_GUILD_ID: snowflake,
  DISCORD_REGISTER_ON_START: flag(true),
  DISCORD_UPLOAD_MIN_KBPS: integer(100, ranges.uploadKbps),
  DISCORD_UPLOADS_AT_ONCE: integer(2, ranges.uploadsAtOnce),
  VIDEO_API_BASE_URL: url('https://models.hingnet.com.cn/v1'),
  VIDEO_API_KEY: optionalText,
  VIDEO_SIMULATED: autoFlag,
  VIDEO_API_TIMEOUT_MS: integer(30_000, ranges.timeoutMs),
  POLL_LEASE_MS: optionalInteger(ranges.leaseMs),
  DELIVERY_LEASE_MS: optionalInteger(ranges.leaseMs),
  DATABASE_PATH: z.string().trim().min(1).default('./data/reelbot.db'),
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: integer(10, ranges.poolSize),
  INSTANCE_NAME: instanceName,
  MEDIA_DIR: z.string().trim().min(1).optional(),
  MEDIA_RETENTION_HOURS: integer(72, ranges.retentionHours),
  MAX_VIDEO_BYTES: integer(200 * 1024 * 1024, ranges.videoBytes),
  JOB_MAX_AGE_MINUTES: integer(60, ranges.jobMaxAgeMinutes),
  QUOTA_IN_FLIGHT_PER_USER: integer(4, ranges.inFlight),
  QUOTA_JOBS_PER_USER_PER_DAY: integer(10, ranges.jobsPerDay),
  QUOTA_SECONDS_PER_GUILD_PER_DAY: integer(600, ranges.guildSeconds),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .default('info')
    .refine(
      (value) => (logLevels as readonly string[]).includes(value),
      `must be one of ${logLevels.join(', ')}`,
    )
    .transform((value) => value as (typeof logLevels)[number]),
  LOG_PRETTY: autoFlag,
  HTTP_PORT: optionalInteger(ranges.port),
  HTTP_HOST: z.string().trim().default('0.0.0.0'),
  PUBLIC_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .refine(
      (value) => value === undefined || (/^https?:\/\/\S+$/.test(value) && URL.canParse(value)),
      'must be an http(s) URL, e.g. https://reelbot.example.com',
    )
    .transform((value) => value?.replace(/\/+$/, '')),
  MEDIA_LINK_TTL_HOURS: integer(24, ranges.linkTtlHours),
  TRACKER: flag(true),
  VIDEO_WEBHOOK_SECRET: webhookSecret,
  VIDEO_WEBHOOK_EVENTS: eventList('video.completed,video.failed'),
  VIDEO_WEBHOOK_ID_PATH: jsonPath('data.id'),
  VIDEO_WEBHOOK_CALLBACK_FIELD: fieldName,
  VIDEO_WEBHOOK_SAFETY_POLL_SECONDS: integer(60, ranges.safetyPollSeconds),
  VIDEO_WEBHOOK_LIVE_MINUTES: integer(15, ranges.liveMinutes),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  discord: {
    token: string;
    apiUrl: string;
    guildId?: string;
    registerOnStart: boolean;
    /** The slowest upload tolerated, in KiB per second: an upload's timeout is its size at this speed. */
    uploadMinKbps: number;
    uploadsAtOnce: number;
  };
  video: {
    baseUrl: string;
    apiKey: string;
    simulated: boolean;
    timeoutMs: number;
    maxVideoBytes: number;
    catalogue: Catalogue;
  };
  databasePath: string;
  /** The PostgreSQL store (DATABASE_URL) instead of the SQLite file; it holds the password. */
  databaseUrl?: string;
  databasePoolSize: number;
  /** Names this process slot in the database's claims (INSTANCE_NAME; by default host and shard). */
  instance: string;
  media: { dir: string; retentionHours: number; linkTtlHours: number };
  http: { port?: number; host: string; publicUrl?: string };
  jobs: { maxAgeMinutes: number };
  /**
   * How long this process's claims hold a job (POLL_LEASE_MS, DELIVERY_LEASE_MS); unset, each is
   * worked out from the timeouts it must outlast (src/bot.ts).
   */
  leases: { pollMs?: number; deliveryMs?: number };
  quotas: { inFlightPerUser: number; jobsPerUserPerDay: number; secondsPerGuildPerDay: number };
  log: { level: Env['LOG_LEVEL']; pretty: Env['LOG_PRETTY'] };
  /** The one bot process, the manager of shard processes (SHARDS), or one shard under it. */
  role: ProcessRole;
  /**
   * Provider webhooks (VIDEO_WEBHOOK_SECRET): POST /webhooks/video takes signed events as hints to
   * poll a job now. Absent when off.
   */
  webhooks?: WebhookConfig;
  /** Whether this process runs the tracker loop, the restart and delivery sweeps and pruning (TRACKER). */
  tracker: boolean;
  /** Things the operator should know at start, though the bot can run (the simulated provider). */
  warnings: string[];
}

export interface WebhookConfig {
  /** The Standard Webhooks signing secret (`whsec_…`). */
  secret: string;
  /** The event types that name a video to poll now (OpenAI's video.completed and video.failed by default). */
  events: string[];
  /** Where the video id is in the event's JSON, field by field (`data.id` → ['data', 'id']). */
  idPath: string[];
  /** Gateways that take a callback URL per create: the request field, and the URL sent in it. */
  callback?: { field: string; url: string };
  /** While webhooks arrive, each job is polled this often as a safety net. */
  safetyPollMs: number;
  /** Webhooks count as arriving for this long after the last verified one. */
  liveMs: number;
}

export type ConfigResult =
  | { ok: true; config: Config }
  /** `notes` say what would happen once the problems are fixed. */
  | { ok: false; problems: string[]; notes: string[] };

const simulatedNote =
  'VIDEO_API_KEY is not set, so reelbot would run its built-in simulated provider (sample clips, no real videos, nothing billed); set it for real videos.';

/**
 * Adds the settings of `.env` (when there is one) to the process environment; variables already
 * set win. Node's --env-file-if-exists would do the same but prints a line when the file is absent.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * The database settings alone, for tools that touch nothing else (npm run migrate): no Discord
 * token or provider key is asked for.
 */
export function loadDatabaseSettings(
  env: Record<string, string | undefined>,
): { ok: true; databasePath: string; databaseUrl?: string } | { ok: false; problems: string[] } {
  const parsed = envSchema.pick({ DATABASE_PATH: true, DATABASE_URL: true }).safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`),
    };
  }
  return { ok: true, databasePath: parsed.data.DATABASE_PATH, databaseUrl: parsed.data.DATABASE_URL };
}

/**
 * Reads the environment. Every problem is reported at once: each check reads the raw values,
 * so one malformed setting hides no other. No message ever contains a value.
 */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  const hasKey = Boolean(env.VIDEO_API_KEY?.trim());
  const simulatedAsked = autoFlag.safeParse(env.VIDEO_SIMULATED);
  const simulated =
    simulatedAsked.success && (simulatedAsked.data === 'auto' ? !hasKey : simulatedAsked.data);
  if (!hasKey && simulatedAsked.success && simulatedAsked.data === false) {
    problems.push(
      'VIDEO_API_KEY is required when VIDEO_SIMULATED=false: the API key of your video gateway (or leave VIDEO_SIMULATED unset to try reelbot with its built-in simulated provider)',
    );
  }
  if (env.PUBLIC_URL?.trim() && !env.HTTP_PORT?.trim()) {
    problems.push(
      'PUBLIC_URL is set but HTTP_PORT is not: the links would point at an endpoint that is not running',
    );
  }
  problems.push(...webhookProblems(env));
  const models = parseModels({
    VIDEO_MODELS: env.VIDEO_MODELS?.trim() || undefined,
    VIDEO_MODELS_JSON: env.VIDEO_MODELS_JSON?.trim() || undefined,
    VIDEO_DEFAULT_MODEL: env.VIDEO_DEFAULT_MODEL?.trim() || defaultModelId,
  });
  problems.push(...models.problems);
  const { role, problems: roleProblems } = readProcessRole(env);
  problems.push(...roleProblems, ...(role ? shardPlanProblemsOf(role, env) : []));
  if (!parsed.success || problems.length > 0 || !models.catalogue || !role) {
    return { ok: false, problems, notes: simulated && !hasKey ? [simulatedNote] : [] };
  }
  const values = parsed.data;
  const warnings: string[] = [];
  if (simulated) {
    warnings.push(
      hasKey
        ? 'VIDEO_SIMULATED=true: running the simulated provider; no real videos are made'
        : 'VIDEO_API_KEY is not set: running the simulated provider; no real videos are made',
    );
  }
  return {
    ok: true,
    config: {
      discord: {
        token: values.DISCORD_TOKEN,
        apiUrl: values.DISCORD_API_URL,
        guildId: values.DISCORD_GUILD_ID,
        registerOnStart: values.DISCORD_REGISTER_ON_START,
        uploadMinKbps: values.DISCORD_UPLOAD_MIN_KBPS,
        uploadsAtOnce: values.DISCORD_UPLOADS_AT_ONCE,
      },
      video: {
        baseUrl: values.VIDEO_API_BASE_URL,
        apiKey: values.VIDEO_API_KEY ?? '',
        simulated,
        timeoutMs: values.VIDEO_API_TIMEOUT_MS,
        maxVideoBytes: values.MAX_VIDEO_BYTES,
        catalogue: models.catalogue,
      },
      databasePath: values.DATABASE_PATH,
      databaseUrl: values.DATABASE_URL,
      databasePoolSize: values.DATABASE_POOL_SIZE,
      instance: values.INSTANCE_NAME ?? defaultInstance(role),
      media: {
        // Beside the database by default: the two belong together and move together.
        dir: values.MEDIA_DIR ?? join(dirname(values.DATABASE_PATH), 'media'),
        retentionHours: values.MEDIA_RETENTION_HOURS,
        linkTtlHours: values.MEDIA_LINK_TTL_HOURS,
      },
      http: {
        port: httpPortOf(role, values.HTTP_PORT),
        host: values.HTTP_HOST,
        publicUrl: values.PUBLIC_URL,
      },
      jobs: { maxAgeMinutes: values.JOB_MAX_AGE_MINUTES },
      leases: { pollMs: values.POLL_LEASE_MS, deliveryMs: values.DELIVERY_LEASE_MS },
      quotas: {
        inFlightPerUser: values.QUOTA_IN_FLIGHT_PER_USER,
        jobsPerUserPerDay: values.QUOTA_JOBS_PER_USER_PER_DAY,
        secondsPerGuildPerDay: values.QUOTA_SECONDS_PER_GUILD_PER_DAY,
      },
      log: { level: values.LOG_LEVEL, pretty: values.LOG_PRETTY },
      role,
      tracker: values.TRACKER,
      webhooks: webhookConfig(values),
      warnings,
    },
  };
}

/** The cross-field checks of the webhook settings, on the raw values. */
function webhookProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const secret = Boolean(env.VIDEO_WEBHOOK_SECRET?.trim());
  if (secret && !env.HTTP_PORT?.trim()) {
    problems.push(
      'VIDEO_WEBHOOK_SECRET is set but HTTP_PORT is not: webhooks arrive at the HTTP endpoint (POST /webhooks/video), which would not be running',
    );
  }
  if (env.VIDEO_WEBHOOK_CALLBACK_FIELD?.trim()) {
    if (!secret) {
      problems.push(
        'VIDEO_WEBHOOK_CALLBACK_FIELD is set but VIDEO_WEBHOOK_SECRET is not: the gateway would call back an endpoint that refuses every event',
      );
    }
    if (!env.PUBLIC_URL?.trim()) {
      problems.push(
        'VIDEO_WEBHOOK_CALLBACK_FIELD is set but PUBLIC_URL is not: the callback URL sent with each create is PUBLIC_URL/webhooks/video',
      );
    }
  }
  return problems;
}

function webhookConfig(values: Env): WebhookConfig | undefined {
  if (!values.VIDEO_WEBHOOK_SECRET) return undefined;
  const field = values.VIDEO_WEBHOOK_CALLBACK_FIELD;
  return {
    secret: values.VIDEO_WEBHOOK_SECRET,
    events: values.VIDEO_WEBHOOK_EVENTS,
    idPath: values.VIDEO_WEBHOOK_ID_PATH,
    callback: field && values.PUBLIC_URL ? { field, url: `${values.PUBLIC_URL}${webhookPath}` } : undefined,
    safetyPollMs: values.VIDEO_WEBHOOK_SAFETY_POLL_SECONDS * 1_000,
    liveMs: values.VIDEO_WEBHOOK_LIVE_MINUTES * 60_000,
  };
}

/**
 * The host name, and the shard of a shard process: the same across restarts of one process slot,
 * different between the processes of one host (two processes of one host outside a shard manager
 * need INSTANCE_NAME each).
 */
function defaultInstance(role: ProcessRole): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'host';
  return role.kind === 'shard' ? `${host}-shard-${role.id}` : host;
}

/** SHARDS=N with TRACKER_SHARDS or HTTP_PORT: what that count rules out (auto: checked at launch). */
function shardPlanProblemsOf(role: ProcessRole, env: Record<string, string | undefined>): string[] {
  if (role.kind !== 'manager') return [];
  const problems =
    role.trackerShards && flag(true).safeParse(env.TRACKER).data === false
      ? ['TRACKER_SHARDS is set but TRACKER=false turns the tracker off in every process']
      : [];
  if (role.shards === 'auto') return problems;
  const port = env.HTTP_PORT?.trim();
  return [
    ...problems,
    ...shardPlanProblems(role.shards, {
      trackerShards: role.trackerShards,
      httpPort: port && /^\d+$/.test(port) ? Number(port) : undefined,
    }),
  ];
}

function parseModels(values: {
  VIDEO_MODELS: string | undefined;
  VIDEO_MODELS_JSON: string | undefined;
  VIDEO_DEFAULT_MODEL: string;
}): {
  catalogue?: Catalogue;
  problems: string[];
} {
  let custom: z.infer<typeof modelSpecSchema>[] = [];
  if (values.VIDEO_MODELS_JSON) {
    let json: unknown;
    try {
      json = JSON.parse(values.VIDEO_MODELS_JSON);
    } catch {
      return { problems: ['VIDEO_MODELS_JSON is not valid JSON (expected an array of model objects)'] };
    }
    const parsed = z.array(modelSpecSchema).safeParse(json);
    if (!parsed.success) {
      return {
        problems: parsed.error.issues.map(
          (issue) => `VIDEO_MODELS_JSON[${issue.path.join('.')}] ${issue.message}`,
        ),
      };
    }
    custom = parsed.data;
  }
  const enabledIds = (values.VIDEO_MODELS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return buildCatalogue({ enabledIds, custom, defaultModelId: values.VIDEO_DEFAULT_MODEL });
}

/**
 * The settings of a one-off command (`npm run backup`, `npm run migrate-to-postgres`): read like
 * `npm start`'s, without needing the Discord token or the provider; on problems it prints them
 * and exits 1.
 */
export function loadToolConfig(): Config {
  loadDotEnv();
  const result = loadConfig({ DISCORD_TOKEN: 'unused', VIDEO_SIMULATED: 'true', ...process.env });
  if (result.ok) return result.config;
  process.stderr.write(`${describeProblems(result.problems)}\n`);
  process.exit(1);
}

/** The plain-words report printed by `npm start` when the settings are not usable. */
export function describeProblems(problems: string[], notes: string[] = []): string {
  return [
    'reelbot cannot start: the configuration has problems.',
    ...problems.map((problem) => `  - ${problem}`),
    'Set them in the environment or in a .env file (see .env.example and the README).',
    ...notes,
  ].join('\n');
}
