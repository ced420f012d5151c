// The job store's contract: what the rest of the bot may ask of the database, and nothing else.
// Two implementations keep it: SQLite (./sqlite/, the embedded default) and PostgreSQL
// (./postgres/, when DATABASE_URL is set). Both pass one conformance suite (test/jobs/store/).
//
// Every method is asynchronous, so a network database fits behind it. Every state change is one
// transaction with conditional writes: a transition is applied only from the state the caller
// saw, a claim only when nobody else holds it. That is what makes polling and delivery
// exactly-once across several processes sharing one database.
import type { JobState } from '../states.ts';

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
  /** The member's reference images, in the order given (none, or 1 to 3). */
  referenceImages: JobReferenceImage[];
  remixOfJobId: number | null;
  /** How the job came to be: a command, a message, a Regenerate or Remix of a job, a later take. */
  originKind: OriginKind;
  /** The job it was made from: Regenerate's or Remix's job, or a take's request (its first take). */
  originJobId: number | null;
  /** Where it came from in Discord: the member's message, or the card of the job it was made from. */
  originChannelId: string | null;
  originMessageId: string | null;
  /** Who wrote the message it was made from (kind `message`), and their name then, shown escaped. */
  originAuthorId: string | null;
  originAuthorName: string | null;
  /** The first take's job id, on every take of a request of several; null for a job asked alone. */
  requestId: number | null;
  /** This job is take `takeIndex` (from 1) of `takeCount` made from one request. */
  takeIndex: number;
  takeCount: number;
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
  /**
   * Until when the process that took the command is still drawing the job's first card: no other
   * process edits the card before then (it could be painted over by the older first card). Null
   * once the first card is shown (or given up on).
   */
  firstCardPendingUntil: number | null;
  /**
   * The thread this job's card and results go to (a thread opened on its card, or inherited from
   * the job it was made from); null for the channel itself.
   */
  threadId: string | null;
  /** The server style it was made with, as it was then: its name, its text and where the text went. */
  styleName: string | null;
  styleText: string | null;
  stylePlacement: StylePlacement | null;
  /** Which of its settings came from the channel's defaults rather than the member. */
  defaultsApplied: DefaultedSetting[];
  /** When and by whom its delivered video was removed; null while it stands. */
  removedAt: number | null;
  removedBy: string | null;
  removedByRole: RemoverRole | null;
}

/** Where a style's text goes: before the member's prompt or after it. */
export type StylePlacement = 'before' | 'after';
export const defaultedSettings = ['model', 'size', 'seconds', 'style'] as const;
export type DefaultedSetting = (typeof defaultedSettings)[number];
export type RemoverRole = 'requester' | 'moderator';

/** The style a new job is made with, copied into the row (a later change of the style does not touch it). */
export interface AppliedStyle {
  name: string;
  text: string;
  placement: StylePlacement;
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
  referenceImages?: JobReferenceImage[];
  remixOfJobId?: number | null;
  origin?: JobOrigin;
  firstCardPendingUntil?: number | null;
  threadId?: string | null;
  style?: AppliedStyle | null;
  defaultsApplied?: DefaultedSetting[];
}

/** A reference image as the job keeps it: where Discord had it, its file name, its decoded size. */
export interface JobReferenceImage {
  url: string;
  name: string;
  /** WIDTHxHEIGHT as decoded, to say when it was fitted to the video's size; null when unknown. */
  size: string | null;
}

export const originKinds = ['command', 'message', 'regenerate', 'remix', 'take'] as const;
export type OriginKind = (typeof originKinds)[number];

/** Where a new job comes from (a take's request is filled in by the store). */
export type JobOrigin =
  | { kind: 'command' }
  | { kind: 'message'; channelId: string; messageId: string; authorId: string; authorName: string }
  /** `channelId`/`messageId`: the card of the job it was made from, where the button was clicked. */
  | { kind: 'regenerate' | 'remix'; jobId: number; channelId: string | null; messageId: string | null };

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
    | 'firstCardPendingUntil'
    | 'originChannelId'
    | 'originMessageId'
    | 'threadId'
    | 'removedAt'
    | 'removedBy'
    | 'removedByRole'
  >
>;

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

export interface QuotaLimits {
  inFlightPerUser: number;
  jobsPerUserPerDay: number;
  secondsPerGuildPerDay: number;
}

export type QuotaRefusal =
  /** Frees up when one of the member's running jobs ends, which no clock can say. */
  (
    | { limit: 'in_flight'; max: number; frees: 'when_a_running_job_ends' }
    | { limit: 'user_daily'; max: number; freesAt: number }
    | { limit: 'guild_seconds'; max: number; used: number; freesAt: number }
    /** The video alone is longer than the whole daily allowance: waiting will never help. */
    | { limit: 'guild_seconds_never'; max: number; seconds: number }
  ) & {
    /** A request of several takes, refused whole: how many were asked for, and how many would fit now. */
    takes?: { requested: number; fits: number };
  };

/**
 * What a member has used of the limits now (rolling 24 hours), for /video-quota: the figures the
 * quota rules count, and when the oldest of them leaves the window.
 */
export interface QuotaUsage {
  /** When the figures were read. */
  at: number;
  /** The member's jobs in this guild submitting or waiting on the provider. */
  inFlight: number;
  /** The member's charged jobs in this guild in the last 24 hours. */
  jobsToday: number;
  /** When the member's oldest of those leaves the window (their count drops); null when none. */
  nextJobFreesAt: number | null;
  /** Charged seconds of the whole guild in the last 24 hours. */
  guildSeconds: number;
  /** When the guild's oldest charged job leaves the window, and the seconds it gives back; null when none. */
  nextSecondsFree: { at: number; seconds: number } | null;
}

export interface GuildSettings {
  guildId: string;
  inFlightPerUser: number | null;
  jobsPerUserPerDay: number | null;
  secondsPerDay: number | null;
  allowedChannelIds: string[];
  moderatorRoleId: string | null;
}

export interface AuditEntry {
  id: number;
  guildId: string;
  actorId: string;
  action: string;
  target: string | null;
  details: string | null;
  createdAt: number;
}

export interface HistoryQuery {
  guildId: string;
  userId: string;
  /** The last id of a page: gives the next (older) page. */
  beforeId?: number;
  /** The first id of a page: gives the previous (newer) page. */
  afterId?: number;
  limit: number;
  states?: readonly JobState[];
}

/** Rows and their transitions (./jobs.ts in each implementation). */
export interface JobRows {
  get(id: number): Promise<Job | undefined>;
  byState(states: readonly JobState[]): Promise<Job[]>;
  /** Moves a job to `to` (checked against the state machine) and writes `patch`, atomically; throws IllegalTransitionError. */
  transition(id: number, to: JobState, patch?: JobPatch, note?: TransitionNote): Promise<Job>;
  /**
   * Like transition, but undefined instead of throwing when the job moved on meanwhile, or (with
   * `from`) when it is no longer in one of the states the caller saw.
   */
  tryTransition(
    id: number,
    to: JobState,
    patch?: JobPatch,
    from?: readonly JobState[],
    note?: TransitionNote,
  ): Promise<Job | undefined>;
  /** Writes columns without changing state (progress, next poll, reply message id). */
  update(id: number, patch: JobPatch): Promise<Job>;
  /** Writes columns only while the job is in one of `states`; undefined when it has moved on. */
  updateWhile(id: number, states: readonly JobState[], patch: JobPatch): Promise<Job | undefined>;
  /**
   * Marks a delivered job's video removed at `at` by `by` (as `role`) and forgets its kept file
   * (`mediaPath`), in one conditional write: only while the job is `delivered` and `removedAt` is
   * still null. Of two removals at once exactly one gets the job back as written; the other (and
   * any later one, or one of a job not delivered) gets undefined and writes nothing.
   */
  markRemoved(id: number, by: string, role: RemoverRole, at: number): Promise<Job | undefined>;
}

/** Spend limits, checked in the same transaction that inserts a job (./quotas.ts). */
export interface Quotas {
  /**
   * Which limit a new job (or `takes` jobs of these settings) would hit now, if any: a cheap
   * pre-check before acknowledging.
   */
  quotaRefusal(job: NewJob, limits: QuotaLimits, takes?: number): Promise<QuotaRefusal | null>;
  /** The member's figures against the limits now, read in one snapshot (/video-quota). */
  quotaUsage(guildId: string, userId: string): Promise<QuotaUsage>;
  /**
   * Inserts a `submitting` row, or refuses (leaving nothing behind) when a quota is hit. Two
   * processes inserting for one guild at once are serialised: the limit is never overshot.
   */
  insertWithinQuota(
    job: NewJob,
    limits: QuotaLimits,
  ): Promise<{ ok: true; job: Job } | { ok: false; refusal: QuotaRefusal }>;
  /**
   * Inserts `takes` rows of one request in one transaction, or none when they do not all fit (the
   * refusal says how many would). Each is take i of `takes`; with several, each has the first's id
   * as `requestId`, and those after the first have origin `take` of the first.
   */
  insertTakesWithinQuota(
    job: NewJob,
    takes: number,
    limits: QuotaLimits,
  ): Promise<{ ok: true; jobs: Job[] } | { ok: false; refusal: QuotaRefusal }>;
}

/**
 * Leases (./claims.ts). A poll claim and a delivery claim each name their holder (`claimedBy`, the
 * store's `holder`) and expire: a process that dies holding one delays the job by the lease at
 * most, and then any process takes it over. Any write of `nextPollAt` ends a poll claim.
 */
export interface Claims {
  /**
   * Claims up to `limit` jobs due for a poll (next_poll_at <= now, waiting on the provider), for
   * `leaseMs`: their next poll moves to now + leaseMs, so nobody else sees them due until the
   * lease runs out. On PostgreSQL with FOR UPDATE SKIP LOCKED: two processes never get one job.
   * Jobs in `skip` (polls this process still has out) are never handed out. The jobs come back as
   * they were when due (their `nextPollAt` is when they fell due), so a poll's lag can be measured.
   */
  claimDue(limit: number, leaseMs: number, skip?: readonly number[]): Promise<Job[]>;
  /**
   * At start: makes due now the polls claimed by an earlier run of this same instance (its claims
   * died with it) and jobs waiting on the provider that were never scheduled, and frees that run's
   * delivery claims (delivery reads the card back before any upload, so taking them at once is
   * safe, and a lone bot killed mid-upload does not wait out its delivery lease). Claims of other
   * live instances are left to their leases. Returns how many claims it released.
   */
  releaseOwnStaleClaims(): Promise<number>;
  /** When the earliest scheduled poll is due, or null when nothing waits. */
  nextDueAt(): Promise<number | null>;
  /**
   * Claims the delivery of a `completed` or `delivering` job for `leaseMs`: undefined when another
   * live holder has it, or the job is no longer waiting for delivery. A holder may renew its own.
   */
  claimDelivery(id: number, leaseMs: number): Promise<Job | undefined>;
  /** Ends this holder's delivery claim (after a delivery or before a retry later). */
  releaseDelivery(id: number): Promise<void>;
  /**
   * Finished jobs not delivered that delivery should pick up again: those whose rows nobody wrote
   * for `idleMs` and whose delivery nobody holds (a lost retry), and those whose delivery claim
   * lapsed, however recently they were written (their holder died mid-delivery).
   */
  undeliveredIdle(at: number, idleMs: number): Promise<Job[]>;
}

/** Per-guild settings (./settings.ts). */
export interface Settings {
  /** The guild's settings, or the defaults (all null, no channels) when never written. */
  guildSettings(guildId: string): Promise<GuildSettings>;
  updateGuildSettings(
    guildId: string,
    patch: Partial<Omit<GuildSettings, 'guildId'>>,
  ): Promise<GuildSettings>;
}

/**
 * A channel's own settings: defaults for what a member leaves out, caps on what they may ask, and
 * whether every /video there opens a thread. Null means "not set" (the server's rules apply).
 */
export interface ChannelSettings {
  guildId: string;
  channelId: string;
  model: string | null;
  size: string | null;
  seconds: number | null;
  styleName: string | null;
  threads: boolean | null;
  maxSeconds: number | null;
  maxTakes: number | null;
}

/** Per-channel settings (./channels.ts). */
export interface ChannelSettingsRows {
  /** The channel's settings, or all null when never written. */
  channelSettings(guildId: string, channelId: string): Promise<ChannelSettings>;
  /** Writes the fields `patch` names (null clears one), keeping the others. */
  updateChannelSettings(
    guildId: string,
    channelId: string,
    patch: Partial<Omit<ChannelSettings, 'guildId' | 'channelId'>>,
  ): Promise<ChannelSettings>;
  /** The guild's channels with any setting, by channel id. */
  channelSettingsList(guildId: string): Promise<ChannelSettings[]>;
}

/** A server's named style: a text added to members' prompts, and optionally its own settings. */
export interface ServerStyle {
  guildId: string;
  /** As the admin wrote it (shown escaped); unique per guild without regard to case. */
  name: string;
  text: string;
  placement: StylePlacement;
  model: string | null;
  size: string | null;
  seconds: number | null;
  createdBy: string;
  createdAt: number;
}

/** A server's styles (./styles.ts). Every read and write is per guild: no guild sees another's. */
export interface Styles {
  /** The guild's styles, by name (case-folded). */
  styles(guildId: string): Promise<ServerStyle[]>;
  /** The guild's style of this name, whatever its case; undefined when there is none. */
  style(guildId: string, name: string): Promise<ServerStyle | undefined>;
  /** False (and nothing written) when the guild already has a style of this name, in any case. */
  addStyle(style: Omit<ServerStyle, 'createdAt'>): Promise<boolean>;
  /** The style removed, or undefined when the guild had none of this name. */
  removeStyle(guildId: string, name: string): Promise<ServerStyle | undefined>;
}

/** Blocked members and the audit log (./moderation.ts). */
export interface ModerationRows {
  isBlocked(guildId: string, userId: string): Promise<boolean>;
  /** False when the member was already blocked. */
  block(guildId: string, userId: string, actorId: string, reason: string | null): Promise<boolean>;
  /** False when the member was not blocked. */
  unblock(guildId: string, userId: string): Promise<boolean>;
  blocked(guildId: string): Promise<{ userId: string; reason: string | null; createdAt: number }[]>;
  audit(entry: {
    guildId: string;
    actorId: string;
    action: string;
    target?: string | null;
    details?: unknown;
  }): Promise<void>;
  /** Newest first; `beforeId` pages back. */
  auditLog(guildId: string, limit: number, beforeId?: number): Promise<AuditEntry[]>;
}

/** A word a server refuses in prompts, as an admin gave it. */
export interface BlockedWord {
  word: string;
  createdBy: string;
  createdAt: number;
}

/** A server's blocked words and the prompts refused for them (./words.ts). */
export interface WordLists {
  /** The guild's blocked words, in the order they were added. */
  blockedWords(guildId: string): Promise<BlockedWord[]>;
  /**
   * Adds `word`, kept under its normalised form (`word_key`, blockedWordKey): false when a word of
   * that form is already on the guild's list. Throws a RangeError for a word with nothing to match
   * (check it with blockedWordProblem first).
   */
  addBlockedWord(guildId: string, word: string, actorId: string): Promise<boolean>;
  /** Removes the word of `word`'s normalised form: the word as it was added, or null when none was. */
  removeBlockedWord(guildId: string, word: string): Promise<string | null>;
  /** Records that a member's prompt was refused (`reason`, e.g. 'blocked_word'); the prompt is not kept. */
  recordRefusal(guildId: string, userId: string, reason: string): Promise<void>;
  /** Prompts refused in the guild since `since`. */
  refusalCount(guildId: string, since: number): Promise<number>;
}

/** What members, moderators, metrics and admins read (./history.ts). */
export interface History {
  /** A member's jobs in a guild, newest first, by keyset: stable while jobs arrive. */
  history(query: HistoryQuery): Promise<Job[]>;
  /** The guild's jobs made from any of `jobIds` (their `originJobId`), oldest first, at most `limit`. */
  madeFrom(guildId: string, jobIds: readonly number[], limit: number): Promise<Job[]>;
  /** Jobs by state and charged seconds generated in a guild since `since`. */
  guildCounts(
    guildId: string,
    since: number,
  ): Promise<{ byState: Partial<Record<JobState, number>>; seconds: number }>;
  /** The five members with the most jobs since `since`. */
  topMembers(guildId: string, since: number): Promise<{ userId: string; jobs: number; seconds: number }[]>;
  /** Failed jobs since `since` by error kind ('unknown' when none was recorded). */
  failureReasons(guildId: string, since: number): Promise<{ kind: string; jobs: number }[]>;
  /** Every job in the database by state (metrics). */
  countsByState(): Promise<Partial<Record<JobState, number>>>;
}

/** Small durable values shared by every process (the provider-wide 429 pause) (./values.ts). */
export interface SharedValues {
  readValue(key: string): Promise<string | null>;
  writeValue(key: string, value: string): Promise<void>;
}

/** A provider's webhook event kept until the job it names has its provider id (the create's answer still on its way). */
export interface PendingWebhookEvent {
  remoteId: string;
  /** The event's type as the provider named it (`video.completed`, ...). */
  event: string;
  receivedAt: number;
}

/**
 * Provider webhooks (./webhooks.ts): which deliveries were applied (each `webhook-id` once, also
 * across restarts and processes), events waiting for their job, and the one write an event may
 * cause: its job is polled now. An event is a hint, never the result: the poll decides.
 */
export interface Webhooks {
  /** Records delivery `webhookId` as applied at `at`; false when it already was (a replay). */
  recordWebhookDelivery(webhookId: string, at: number): Promise<boolean>;
  /**
   * Makes the job with provider id `remoteId` due for a poll at `at`, when it is still waiting on
   * the provider (a write of nextPollAt: it ends any poll claim). Null when no job has that id (not
   * stored yet, or not ours); `polled` false when its job no longer waits (it already ended).
   */
  pollRemoteNow(remoteId: string, at: number): Promise<{ jobId: number; polled: boolean } | null>;
  /** Keeps an event for a provider id no job has yet; a later event for the same id replaces it. */
  keepPendingEvent(event: PendingWebhookEvent): Promise<void>;
  /** Removes and returns the event kept for `remoteId`, if any. */
  takePendingEvent(remoteId: string): Promise<PendingWebhookEvent | undefined>;
  /** Forgets deliveries and pending events received before `before`; how many rows went. */
  pruneWebhooks(before: number): Promise<number>;
}

/**
 * How long one kind of job (a model, a duration and a size) took to generate here, over its most
 * recent samples and its jobs still running: what the poll schedule predicts a job that reports
 * no progress by. Milliseconds.
 */
export interface GenerationQuantiles {
  /** Finished jobs the figures come from (at most `keptGenerationSamples`). */
  count: number;
  /** The kind's jobs still waiting on the provider, each known to take longer than its age so far. */
  running: number;
  /**
   * By when that share of the kind's jobs finished (Kaplan–Meier, running jobs counted as still
   * running). Null while the data do not reach it: no samples, or too many jobs still running.
   */
  p10: number | null;
  p50: number | null;
  p90: number | null;
}

/** Generation times of this deployment's finished jobs, per model, duration and size (./generationTimes.ts). */
export interface GenerationTimes {
  /**
   * Keeps one sample: a job of `model`, `seconds` and `size` took `durationMs` to generate,
   * finishing at `at`. Only the most recent `keptGenerationSamples` of each kind are kept: older
   * ones are removed in the same transaction.
   */
  recordGenerationTime(
    model: string,
    seconds: number,
    size: string,
    durationMs: number,
    at: number,
  ): Promise<void>;
  /**
   * The quantiles of the kind's kept samples, counting its jobs still waiting on the provider (in
   * `queued` or `in_progress`, aged by the store's clock) as running that long at least.
   */
  generationQuantiles(model: string, seconds: number, size: string): Promise<GenerationQuantiles>;
}

export interface JobStore
  extends JobRows,
    Webhooks,
    Quotas,
    Claims,
    Settings,
    ChannelSettingsRows,
    Styles,
    ModerationRows,
    WordLists,
    History,
    SharedValues,
    GenerationTimes {
  readonly kind: 'sqlite' | 'postgres';
  /** Who this store's claims name: `<instance>#<random per start>`. */
  readonly holder: string;
  /** False once closed, or (PostgreSQL) while the server cannot be reached. */
  isAvailable(): boolean;
  close(): Promise<void>;
}

export interface JobStoreOptions {
  now?: () => number;
  /**
   * A name that stays the same across restarts of one process slot (host and shard): lets a
   * restart take back its own stale claims at once instead of waiting for their leases.
   */
  instance?: string;
  /** Told of every committed state change, after its transaction (the job log). Must not throw. */
  onTransition?: (change: JobTransition) => void;
}

/** The store is unreachable (PostgreSQL down, connection lost): try again in a moment. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the job store cannot be reached', { cause });
    this.name = 'StoreUnavailableError';
  }
}
