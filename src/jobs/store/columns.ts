// The jobs table's columns, shared by both implementations: one name per field of Job, the
// booleans each database spells differently, and how a patch becomes the assignments of one UPDATE.
import { type JobState, pollingStates } from '../states.ts';
import type { Job, JobOrigin, JobPatch, NewJob } from './contract.ts';

export const jobColumns: Record<keyof Job, string> = {
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
  referenceImages: 'reference_images',
  remixOfJobId: 'remix_of_job_id',
  originKind: 'origin_kind',
  originJobId: 'origin_job_id',
  originChannelId: 'origin_channel_id',
  originMessageId: 'origin_message_id',
  originAuthorId: 'origin_author_id',
  originAuthorName: 'origin_author_name',
  requestId: 'request_id',
  takeIndex: 'take_index',
  takeCount: 'take_count',
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
  firstCardPendingUntil: 'first_card_pending_until',
  threadId: 'thread_id',
  styleName: 'style_name',
  styleText: 'style_text',
  stylePlacement: 'style_placement',
  defaultsApplied: 'defaults_applied',
  removedAt: 'removed_at',
  removedBy: 'removed_by',
  removedByRole: 'removed_by_role',
};

/** Kept as 0/1 in SQLite, as BOOLEAN in PostgreSQL. */
export const booleanJobFields: ReadonlySet<keyof Job> = new Set<keyof Job>([
  'ephemeral',
  'reportsProgress',
  'charged',
  'madeBeforeMediaKeys',
]);

/**
 * Kept as JSON: TEXT in SQLite, JSONB in PostgreSQL (which hands it back parsed). A list of a
 * job's own, read and written whole, so a child table would buy nothing but a join.
 */
export const jsonJobFields: ReadonlySet<keyof Job> = new Set<keyof Job>([
  'referenceImages',
  'defaultsApplied',
]);

/** `column AS "field"` for every field: rows come back already shaped like a Job. */
export const jobSelectList = Object.entries(jobColumns)
  .map(([field, column]) => `${column} AS "${field}"`)
  .join(', ');

/** The polling states as SQL literals (SQLite's partial index is used only for literal terms). */
export const pollingStateList = pollingStates.map((state) => `'${state}'`).join(', ');

/** One `column = value` of an UPDATE, in the order the values are bound. */
export interface Assignment {
  column: string;
  value: unknown;
}

/**
 * What a write of `patch` (and maybe a new state) assigns, besides `updated_at`. A job that stops
 * waiting on the provider is never due for a poll again; any new schedule ends a poll claim.
 */
export function patchAssignments(
  patch: JobPatch & { state?: JobState },
  toDatabase: (field: keyof Job, value: unknown) => unknown,
): Assignment[] {
  const settled = patch.state !== undefined && !pollingStates.includes(patch.state);
  const written: JobPatch & { state?: JobState } = settled ? { ...patch, nextPollAt: null } : patch;
  const assignments: Assignment[] = [];
  for (const [field, value] of Object.entries(written) as [keyof Job, unknown][]) {
    if (value === undefined) continue;
    assignments.push({ column: jobColumns[field], value: toDatabase(field, value) });
  }
  if (written.nextPollAt !== undefined) {
    assignments.push({ column: 'claimed_by', value: null }, { column: 'claim_expires_at', value: null });
  }
  return assignments;
}

/** Which take of a request a new row is: the first (index 1) learns the request's id once inserted. */
export interface Take {
  index: number;
  count: number;
  /** The first take's id, for the takes after it. */
  requestId: number | null;
}

const aloneTake: Take = { index: 1, count: 1, requestId: null };

/** The origin columns of a new job: a later take comes from its request's first take. */
function originColumns(origin: JobOrigin | undefined, take: Take): Partial<Job> {
  if (take.index > 1) return { originKind: 'take', originJobId: take.requestId };
  if (!origin || origin.kind === 'command') return { originKind: 'command' };
  if (origin.kind === 'message') {
    return {
      originKind: 'message',
      originChannelId: origin.channelId,
      originMessageId: origin.messageId,
      originAuthorId: origin.authorId,
      originAuthorName: origin.authorName,
    };
  }
  return {
    originKind: origin.kind,
    originJobId: origin.jobId,
    originChannelId: origin.channelId,
    originMessageId: origin.messageId,
  };
}

/** What the INSERT of a new `submitting` job assigns: the request, its defaults and its media key. */
export function newJobAssignments(
  job: NewJob,
  mediaKey: string,
  at: number,
  toDatabase: (field: keyof Job, value: unknown) => unknown,
  take: Take = aloneTake,
): Assignment[] {
  const row: Partial<Job> = {
    guildId: job.guildId,
    channelId: job.channelId,
    userId: job.userId,
    applicationId: job.applicationId ?? null,
    interactionId: job.interactionId ?? null,
    interactionToken: job.interactionToken ?? null,
    interactionCreatedAt: job.interactionCreatedAt ?? null,
    ephemeral: job.ephemeral ?? false,
    attachmentSizeLimit: job.attachmentSizeLimit ?? null,
    locale: job.locale ?? 'en-US',
    model: job.model,
    prompt: job.prompt,
    seconds: job.seconds,
    size: job.size,
    referenceImages: job.referenceImages ?? [],
    remixOfJobId: job.remixOfJobId ?? null,
    ...originColumns(job.origin, take),
    requestId: take.requestId,
    takeIndex: take.index,
    takeCount: take.count,
    firstCardPendingUntil: job.firstCardPendingUntil ?? null,
    threadId: job.threadId ?? null,
    styleName: job.style?.name ?? null,
    styleText: job.style?.text ?? null,
    stylePlacement: job.style?.placement ?? null,
    defaultsApplied: job.defaultsApplied ?? [],
    mediaKey,
    state: 'submitting',
    createdAt: at,
    updatedAt: at,
  };
  return (Object.entries(row) as [keyof Job, unknown][]).map(([field, value]) => ({
    column: jobColumns[field],
    value: toDatabase(field, value),
  }));
}
