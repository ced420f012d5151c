// The SQLite job store. Every state change is one transaction; the process may die at any line.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { newMediaKey } from './keptFiles.ts';
import { migrate } from './migrations.ts';
import {
  canTransition,
  IllegalTransitionError,
  inFlightStates,
  type JobState,
  pollingStates,
} from './states.ts';
import { createSubmissions } from './submissions.ts';

export interface Job {
  id: number;
  remoteId: string | null;
  guildId: string;
  channelId: string;
  userId: string;
  applicationId: string | null;
  interactionId: string | null;
  interactionToken: string | null;
  interactionCreatedAt: number | null;
  replyMessageId: string | null;
  ephemeral: boolean;
  attachmentSizeLimit: number | null;
  locale: string;
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  referenceUrl: string | null;
  referenceName: string | null;
  /** The member's image as decoded (WIDTHxHEIGHT), to say when it was fitted to the video's size. */
  referenceSize: string | null;
  remixOfJobId: number | null;
  state: JobState;
  progress: number;
  reportsProgress: boolean;
  errorKind: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  videoUrl: string | null;
  videoExpiresAt: number | null;
  mediaPath: string | null;
  mediaBytes: number | null;
  charged: boolean;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  deliveredAt: number | null;
  nextPollAt: number | null;
  pollAttempts: number;
  progressChangedAt: number | null;
  deliveryAttempts: number;
  /** Where a final edit posted (or was about to post) a new message or DM; checked after a restart. */
  fallbackChannelId: string | null;
  /** Random, made with the row: names the job's kept files and is signed into its links. */
  mediaKey: string;
  /** Made by a version without media keys: its cards carry buttons and file names by number alone. */
  madeBeforeMediaKeys: boolean;
}

export interface NewJob {
  guildId: string;
  channelId: string;
  userId: string;
  applicationId?: string | null;
  interactionId?: string | null;
  interactionToken?: string | null;
  interactionCreatedAt?: number | null;
  ephemeral?: boolean;
  attachmentSizeLimit?: number | null;
  locale?: string;
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  referenceUrl?: string | null;
  referenceName?: string | null;
  referenceSize?: string | null;
  remixOfJobId?: number | null;
}

/** Columns a transition or poll may write, besides state. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'remoteId'
    | 'replyMessageId'
    | 'progress'
    | 'reportsProgress'
    | 'errorKind'
    | 'errorCode'
    | 'errorMessage'
    | 'videoUrl'
    | 'videoExpiresAt'
    | 'mediaPath'
    | 'mediaBytes'
    | 'charged'
    | 'completedAt'
    | 'deliveredAt'
    | 'nextPollAt'
    | 'pollAttempts'
    | 'progressChangedAt'
    | 'deliveryAttempts'
    | 'fallbackChannelId'
    | 'interactionToken'
    | 'ephemeral'
  >
>;

export interface QuotaLimits {
  inFlightPerUser: number;
  jobsPerUserPerDay: number;
  secondsPerGuildPerDay: number;
}

export type QuotaRefusal =
  /** Frees up when one of the member's running jobs ends, which no clock can say. */
  | { limit: 'in_flight'; max: number; frees: 'when_a_running_job_ends' }
  | { limit: 'user_daily'; max: number; freesAt: number }
  | { limit: 'guild_seconds'; max: number; used: number; freesAt: number }
  /** The video alone is longer than the whole daily allowance: waiting will never help. */
  | { limit: 'guild_seconds_never'; max: number; seconds: number };

export interface GuildSettings {
  guildId: string;
  inFlightPerUser: number | null;
  jobsPerUserPerDay: number | null;
  secondsPerDay: number | null;
  allowedChannelIds: string[];
  moderatorRoleId: string | null;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The polling states spelled out, not bound: SQLite uses the partial index `jobs_due` only when a
 * query repeats its WHERE terms literally. Queries name the index: without statistics the planner
 * would pick `jobs_by_state` and sort every waiting job on each tick.
 */
const pollingList = pollingStates.map((state) => `'${state}'`).join(', ');

const columns: Record<keyof Job, string> = {
  id: 'id',
  remoteId: 'remote_id',
  guildId: 'guild_id',
  channelId: 'channel_id',
  userId: 'user_id',
  applicationId: 'application_id',
  interactionId: 'interaction_id',
  interactionToken: 'interaction_token',
  interactionCreatedAt: 'interaction_created_at',
  replyMessageId: 'reply_message_id',
  ephemeral: 'ephemeral',
  attachmentSizeLimit: 'attachment_size_limit',
  locale: 'locale',
  model: 'model',
  prompt: 'prompt',
  seconds: 'seconds',
  size: 'size',
  referenceUrl: 'reference_url',
  referenceName: 'reference_name',
  referenceSize: 'reference_size',
  remixOfJobId: 'remix_of_job_id',
  state: 'state',
  progress: 'progress',
  reportsProgress: 'reports_progress',
  errorKind: 'error_kind',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  videoUrl: 'video_url',
  videoExpiresAt: 'video_expires_at',
  mediaPath: 'media_path',
  mediaBytes: 'media_bytes',
  charged: 'charged',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  completedAt: 'completed_at',
  deliveredAt: 'delivered_at',
  nextPollAt: 'next_poll_at',
  pollAttempts: 'poll_attempts',
  progressChangedAt: 'progress_changed_at',
  deliveryAttempts: 'delivery_attempts',
  fallbackChannelId: 'fallback_channel_id',
  mediaKey: 'media_key',
  madeBeforeMediaKeys: 'made_before_media_keys',
};
const booleanColumns = new Set<keyof Job>(['ephemeral', 'reportsProgress', 'charged', 'madeBeforeMediaKeys']);
const selectList = Object.entries(columns)
  .map(([key, column]) => `${column} AS "${key}"`)
  .join(', ');

type Row = Record<string, unknown>;

function toJob(row: Row): Job {
  for (const key of booleanColumns) row[key] = row[key] === 1;
  return row as unknown as Job;
}

function toSql(key: keyof Job, value: unknown): unknown {
  if (booleanColumns.has(key)) return value ? 1 : 0;
  return value;
}

/** What the row alone does not say about a transition, for the job log. */
export interface TransitionNote {
  /** How a delivered video reached Discord. */
  delivery?: 'upload' | 'link' | 'unlinked';
  /** Who canceled the job (a Discord user id). */
  canceledBy?: string;
}

/** A state change, once committed. */
export interface JobTransition {
  job: Job;
  from: JobState;
  note?: TransitionNote;
}

export interface JobStoreOptions {
  path: string;
  now?: () => number;
  /** Told of every committed state change, after its transaction (the job log). Must not throw. */
  onTransition?: (change: JobTransition) => void;
}

export type JobStore = ReturnType<typeof openJobStore>;

export function openJobStore(options: JobStoreOptions) {
  const now = options.now ?? Date.now;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db: Database = new BetterSqlite3(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const get = (id: number): Job | undefined => {
    const row = prepare(`SELECT ${selectList} FROM jobs WHERE id = ?`).get(id) as Row | undefined;
    return row ? toJob(row) : undefined;
  };

  const mustGet = (id: number): Job => {
    const job = get(id);
    if (!job) throw new Error(`job ${id} does not exist`);
    return job;
  };

  const writePatch = (id: number, patch: JobPatch & { state?: JobState }) => {
    // A job that stops waiting on the provider is never due for a poll again.
    const settled = patch.state !== undefined && !pollingStates.includes(patch.state);
    const written = settled ? { ...patch, nextPollAt: null } : patch;
    const entries = Object.entries(written).filter(([, value]) => value !== undefined) as [
      keyof Job,
      unknown,
    ][];
    const assignments = [...entries.map(([key]) => `${columns[key]} = ?`), 'updated_at = ?'];
    // Any new schedule ends a claim: only a claim left by a dead process is brought forward at start.
    if (written.nextPollAt !== undefined) assignments.push('claimed_at = NULL');
    prepare(`UPDATE jobs SET ${assignments.join(', ')} WHERE id = ?`).run(
      ...entries.map(([key, value]) => toSql(key, value)),
      now(),
      id,
    );
  };

  const settings = (guildId: string): GuildSettings => {
    const row = prepare(
      `SELECT guild_id AS guildId, in_flight_per_user AS inFlightPerUser, jobs_per_user_per_day AS jobsPerUserPerDay,
              seconds_per_day AS secondsPerDay, allowed_channel_ids AS allowed, moderator_role_id AS moderatorRoleId
       FROM guild_settings WHERE guild_id = ?`,
    ).get(guildId) as (Omit<GuildSettings, 'allowedChannelIds'> & { allowed: string }) | undefined;
    if (!row) {
      return {
        guildId,
        inFlightPerUser: null,
        jobsPerUserPerDay: null,
        secondsPerDay: null,
        allowedChannelIds: [],
        moderatorRoleId: null,
      };
    }
    const { allowed, ...rest } = row;
    return { ...rest, allowedChannelIds: JSON.parse(allowed) as string[] };
  };

  const inFlightList = inFlightStates.map((state) => `'${state}'`).join(', ');

  /** Checks the limits against the rows as they are now; run inside the inserting transaction. */
  const checkQuota = (job: NewJob, limits: QuotaLimits): QuotaRefusal | null => {
    const at = now();
    const inFlight = prepare(
      `SELECT COUNT(*) AS n FROM jobs WHERE guild_id = ? AND user_id = ? AND state IN (${inFlightList})`,
    ).get(job.guildId, job.userId) as { n: number };
    if (inFlight.n >= limits.inFlightPerUser) {
      return { limit: 'in_flight', max: limits.inFlightPerUser, frees: 'when_a_running_job_ends' };
    }

    const userCount = prepare(
      'SELECT COUNT(*) AS n FROM jobs WHERE guild_id = ? AND user_id = ? AND charged = 1 AND created_at > ?',
    ).get(job.guildId, job.userId, at - dayMs) as { n: number };
    if (userCount.n >= limits.jobsPerUserPerDay) {
      // Frees up when the oldest job that keeps the count at the limit leaves the 24-hour window.
      const oldest = prepare(
        `SELECT created_at AS createdAt FROM jobs WHERE guild_id = ? AND user_id = ? AND charged = 1 AND created_at > ?
         ORDER BY created_at DESC LIMIT 1 OFFSET ?`,
      ).get(job.guildId, job.userId, at - dayMs, limits.jobsPerUserPerDay - 1) as
        | { createdAt: number }
        | undefined;
      return {
        limit: 'user_daily',
        max: limits.jobsPerUserPerDay,
        freesAt: (oldest?.createdAt ?? at) + dayMs,
      };
    }

    if (job.seconds > limits.secondsPerGuildPerDay) {
      return { limit: 'guild_seconds_never', max: limits.secondsPerGuildPerDay, seconds: job.seconds };
    }
    const guildUse = prepare(
      'SELECT COALESCE(SUM(seconds), 0) AS used FROM jobs WHERE guild_id = ? AND charged = 1 AND created_at > ?',
    ).get(job.guildId, at - dayMs) as { used: number };
    const used = guildUse.used;
    if (used + job.seconds > limits.secondsPerGuildPerDay) {
      // Frees up once enough of the oldest jobs leave the 24-hour window; only walked when refusing.
      const rows = prepare(
        `SELECT created_at AS createdAt, seconds FROM jobs WHERE guild_id = ? AND charged = 1 AND created_at > ?
         ORDER BY created_at ASC`,
      ).iterate(job.guildId, at - dayMs) as IterableIterator<{ createdAt: number; seconds: number }>;
      // The request fits the allowance on its own, so enough rows to free it always exist.
      let remaining = used;
      let freesAt = at;
      for (const row of rows) {
        remaining -= row.seconds;
        freesAt = row.createdAt + dayMs;
        if (remaining + job.seconds <= limits.secondsPerGuildPerDay) break;
      }
      return { limit: 'guild_seconds', max: limits.secondsPerGuildPerDay, used, freesAt };
    }
    return null;
  };

  const insertJob = (job: NewJob): Job => {
    const at = now();
    const result = prepare(
      `INSERT INTO jobs (guild_id, channel_id, user_id, application_id, interaction_id, interaction_token,
         interaction_created_at, ephemeral, attachment_size_limit, locale, model, prompt, seconds, size,
         reference_url, reference_name, reference_size, remix_of_job_id, media_key, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?)`,
    ).run(
      job.guildId,
      job.channelId,
      job.userId,
      job.applicationId ?? null,
      job.interactionId ?? null,
      job.interactionToken ?? null,
      job.interactionCreatedAt ?? null,
      job.ephemeral ? 1 : 0,
      job.attachmentSizeLimit ?? null,
      job.locale ?? 'en-US',
      job.model,
      job.prompt,
      job.seconds,
      job.size,
      job.referenceUrl ?? null,
      job.referenceName ?? null,
      job.referenceSize ?? null,
      job.remixOfJobId ?? null,
      newMediaKey(),
      at,
      at,
    );
    return mustGet(Number(result.lastInsertRowid));
  };

  const transitionNow = db.transaction((id: number, to: JobState, patch: JobPatch): JobTransition => {
    const job = mustGet(id);
    if (!canTransition(job.state, to)) throw new IllegalTransitionError(id, job.state, to);
    writePatch(id, { ...patch, state: to });
    return { job: mustGet(id), from: job.state };
  });

  const tryTransitionNow = db.transaction(
    (id: number, to: JobState, patch: JobPatch, from?: readonly JobState[]): JobTransition | undefined => {
      const job = get(id);
      if (!job || !canTransition(job.state, to)) return undefined;
      if (from && !from.includes(job.state)) return undefined;
      writePatch(id, { ...patch, state: to });
      return { job: mustGet(id), from: job.state };
    },
  );

  /** Called once the transaction has committed: a rolled-back change is never told. */
  const announce = (change: JobTransition, note?: TransitionNote): JobTransition => {
    const told = note ? { ...change, note } : change;
    options.onTransition?.(told);
    return told;
  };

  return {
    db,
    get,

    /** Which limit a new job would hit now, if any (a cheap pre-check before acknowledging). */
    quotaRefusal: (job: NewJob, limits: QuotaLimits): QuotaRefusal | null => checkQuota(job, limits),

    /** Inserts a `submitting` row, or refuses (leaving nothing behind) when a quota is hit. */
    insertWithinQuota: db.transaction(
      (job: NewJob, limits: QuotaLimits): { ok: true; job: Job } | { ok: false; refusal: QuotaRefusal } => {
        const refusal = checkQuota(job, limits);
        return refusal ? { ok: false, refusal } : { ok: true, job: insertJob(job) };
      },
    ),

    /** Moves a job to `to` (checked against the state machine) and writes `patch`, atomically. */
    transition(id: number, to: JobState, patch: JobPatch = {}, note?: TransitionNote): Job {
      return announce(transitionNow(id, to, patch), note).job;
    },

    /**
     * Like transition, but returns undefined instead of throwing when the job moved on meanwhile,
     * or (with `from`) when it is no longer in one of the states the caller saw.
     */
    tryTransition(
      id: number,
      to: JobState,
      patch: JobPatch = {},
      from?: readonly JobState[],
      note?: TransitionNote,
    ): Job | undefined {
      const change = tryTransitionNow(id, to, patch, from);
      return change ? announce(change, note).job : undefined;
    },

    /** Writes columns without changing state (progress, next poll, reply message id). */
    update: db.transaction((id: number, patch: JobPatch): Job => {
      writePatch(id, patch);
      return mustGet(id);
    }),

    /** Writes columns only while the job is in one of `states`; undefined when it has moved on. */
    updateWhile: db.transaction(
      (id: number, states: readonly JobState[], patch: JobPatch): Job | undefined => {
        const job = get(id);
        if (!job || !states.includes(job.state)) return undefined;
        writePatch(id, patch);
        return mustGet(id);
      },
    ),

    /**
     * Claims up to `limit` jobs due for a poll by pushing their next poll out by `leaseMs`,
     * so a crash mid-poll only delays them. Jobs in `skip` (polls this process still has out)
     * are never handed out, however long ago their claim was made.
     */
    claimDue: db.transaction((limit: number, leaseMs: number, skip: readonly number[] = []): Job[] => {
      const at = now();
      const rows = prepare(
        `SELECT ${selectList} FROM jobs INDEXED BY jobs_due WHERE next_poll_at IS NOT NULL
         AND next_poll_at <= ? AND state IN (${pollingList})
         AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY next_poll_at LIMIT ?`,
      ).all(at, JSON.stringify(skip), limit) as Row[];
      const lease = prepare('UPDATE jobs SET next_poll_at = ?, claimed_at = ? WHERE id = ?');
      for (const row of rows) lease.run(at + leaseMs, at, row.id);
      return rows.map(toJob);
    }),

    /**
     * Makes every job claimed by a process that died mid-poll (or never scheduled) due at `at`;
     * waits the provider asked for stay as they are. Returns how many.
     */
    releaseClaims(at: number): number {
      return prepare(
        `UPDATE jobs SET next_poll_at = ?, claimed_at = NULL WHERE state IN (${pollingList})
         AND remote_id IS NOT NULL AND (claimed_at IS NOT NULL OR next_poll_at IS NULL)`,
      ).run(at).changes;
    },

    /** When the earliest scheduled poll is due, or null when nothing waits. */
    nextDueAt(): number | null {
      const row = prepare(
        `SELECT next_poll_at AS at FROM jobs INDEXED BY jobs_due
         WHERE next_poll_at IS NOT NULL AND state IN (${pollingList}) ORDER BY next_poll_at LIMIT 1`,
      ).get() as { at: number } | undefined;
      return row?.at ?? null;
    },

    /**
     * Finished jobs not delivered whose rows nobody wrote for `idleMs`: a delivery that went quiet
     * (a lost retry, a crash). Never expired by the clock: delivery tries the download, and only
     * the provider saying the content is gone expires them.
     */
    undeliveredIdle(at: number, idleMs: number): Job[] {
      return (
        prepare(
          `SELECT ${selectList} FROM jobs WHERE state IN ('completed', 'delivering') AND updated_at < ? ORDER BY id`,
        ).all(at - idleMs) as Row[]
      ).map(toJob);
    },

    byState(states: readonly JobState[]): Job[] {
      const list = states.map(() => '?').join(', ');
      return (
        prepare(`SELECT ${selectList} FROM jobs WHERE state IN (${list}) ORDER BY id`).all(...states) as Row[]
      ).map(toJob);
    },

    /**
     * A member's jobs in a guild, newest first, by keyset: `beforeId` (the last id of a page) gives
     * the next page, `afterId` (the first id of a page) the previous one. Stable while jobs arrive.
     */
    history(query: {
      guildId: string;
      userId: string;
      beforeId?: number;
      afterId?: number;
      limit: number;
      states?: readonly JobState[];
    }): Job[] {
      const stateFilter = query.states?.length
        ? `AND state IN (${query.states.map(() => '?').join(', ')})`
        : '';
      const backwards = query.afterId !== undefined;
      const rows = prepare(
        `SELECT ${selectList} FROM jobs WHERE guild_id = ? AND user_id = ? AND id ${backwards ? '>' : '<'} ? ${stateFilter}
         ORDER BY id ${backwards ? 'ASC' : 'DESC'} LIMIT ?`,
      ).all(
        query.guildId,
        query.userId,
        backwards ? query.afterId : (query.beforeId ?? Number.MAX_SAFE_INTEGER),
        ...(query.states ?? []),
        query.limit,
      ) as Row[];
      const jobs = rows.map(toJob);
      return backwards ? jobs.reverse() : jobs;
    },

    /** Jobs by state and seconds generated in a guild since `since` (for admins and quotas). */
    guildCounts(
      guildId: string,
      since: number,
    ): { byState: Partial<Record<JobState, number>>; seconds: number } {
      const rows = prepare(
        `SELECT state, COUNT(*) AS n, SUM(CASE WHEN charged = 1 THEN seconds ELSE 0 END) AS s
         FROM jobs WHERE guild_id = ? AND created_at >= ? GROUP BY state`,
      ).all(guildId, since) as { state: JobState; n: number; s: number }[];
      const byState: Partial<Record<JobState, number>> = {};
      let seconds = 0;
      for (const row of rows) {
        byState[row.state] = row.n;
        seconds += row.s;
      }
      return { byState, seconds };
    },

    guildSettings: settings,

    /** The creates in flight in this process (the sweep skips their rows; a graceful stop waits). */
    submissions: createSubmissions(),

    /** A small durable value (the provider-wide pause), or null when never written. */
    readValue(key: string): string | null {
      const row = prepare('SELECT value FROM key_values WHERE key = ?').get(key) as
        | { value: string }
        | undefined;
      return row?.value ?? null;
    },

    writeValue(key: string, value: string): void {
      prepare(
        `INSERT INTO key_values (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ).run(key, value, now());
    },

    updateGuildSettings(guildId: string, patch: Partial<Omit<GuildSettings, 'guildId'>>): GuildSettings {
      const merged = { ...settings(guildId), ...patch };
      prepare(
        `INSERT INTO guild_settings (guild_id, in_flight_per_user, jobs_per_user_per_day, seconds_per_day,
           allowed_channel_ids, moderator_role_id, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (guild_id) DO UPDATE SET in_flight_per_user = excluded.in_flight_per_user,
           jobs_per_user_per_day = excluded.jobs_per_user_per_day, seconds_per_day = excluded.seconds_per_day,
           allowed_channel_ids = excluded.allowed_channel_ids, moderator_role_id = excluded.moderator_role_id,
           updated_at = excluded.updated_at`,
      ).run(
        guildId,
        merged.inFlightPerUser,
        merged.jobsPerUserPerDay,
        merged.secondsPerDay,
        JSON.stringify(merged.allowedChannelIds),
        merged.moderatorRoleId,
        now(),
      );
      return settings(guildId);
    },

    close(): void {
      db.close();
    },
  };
}
