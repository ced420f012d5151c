// Every component and modal custom id is built and parsed here. Ids carry no authority:
// handlers re-check the clicker's permissions and the job's guild.
import { type Job, jobTag } from '../jobs/index.ts';

export const jobActions = ['cancel', 'regen', 'remix', 'remix-modal', 'thread', 'remove'] as const;
export type JobAction = (typeof jobActions)[number];

const prefix = 'reelbot';

type JobIdentity = Pick<Job, 'id' | 'mediaKey' | 'madeBeforeMediaKeys'>;

/** `reelbot:<action>:<job number>:<job tag>`: the tag tells this job from another database's job N. */
export function jobCustomId(action: JobAction, job: Pick<Job, 'id' | 'mediaKey'>): string {
  return `${prefix}:${action}:${job.id}:${jobTag(job)}`;
}

/** The id a version without media keys drew (`reelbot:<action>:<job number>`): still on older cards. */
export function numberedJobCustomId(action: JobAction, jobId: number): string {
  return `${prefix}:${action}:${jobId}`;
}

export interface ParsedJobCustomId {
  action: JobAction;
  jobId: number;
  /** Null on a card drawn before media keys. */
  tag: string | null;
}

export function parseJobCustomId(customId: string): ParsedJobCustomId | null {
  const [head, action, id, tag, ...rest] = customId.split(':');
  if (head !== prefix || !jobActions.includes(action as JobAction) || !id || !/^\d{1,15}$/.test(id))
    return null;
  if (rest.length > 0 || (tag !== undefined && !/^[0-9a-f]{8}$/.test(tag))) return null;
  return { action: action as JobAction, jobId: Number(id), tag: tag ?? null };
}

/** The id names this very job: its tag, or (on an older card) a job made before tags existed. */
export function customIdNamesJob(parsed: ParsedJobCustomId, job: JobIdentity): boolean {
  return parsed.tag === null ? job.madeBeforeMediaKeys : parsed.tag === jobTag(job);
}

export const remixPromptField = 'prompt';

/** History paging: who may page (the viewer), whose list, which filter, and the keyset cursor. */
export interface HistoryCursor {
  action: 'next' | 'prev' | 'csv';
  viewerId: string;
  targetId: string;
  status: string;
  cursor: number;
}

export function historyCustomId(cursor: HistoryCursor): string {
  return `${prefix}:hist:${cursor.action}:${cursor.viewerId}:${cursor.targetId}:${cursor.status}:${cursor.cursor}`;
}

export function parseHistoryCustomId(customId: string): HistoryCursor | null {
  const match = /^reelbot:hist:(next|prev|csv):(\d{1,20}):(\d{1,20}):(\w{1,16}):(\d{1,15})$/.exec(customId);
  if (!match) return null;
  const [, action, viewerId, targetId, status, cursor] = match;
  return {
    action: action as HistoryCursor['action'],
    viewerId: viewerId ?? '',
    targetId: targetId ?? '',
    status: status ?? 'all',
    cursor: Number(cursor),
  };
}

/** The Make a video form opened by the message command `interactionId` (its draft's key). */
export function makeVideoModalId(interactionId: string): string {
  return `${prefix}:make:${interactionId}`;
}

/** The draft key of a Make a video form, or null for any other id. */
export function parseMakeVideoModalId(customId: string): string | null {
  return /^reelbot:make:(\d{1,20})$/.exec(customId)?.[1] ?? null;
}

/** The fields of the Make a video form. */
export const makeVideoFields = {
  prompt: 'prompt',
  model: 'model',
  /** One select for both: a modal holds at most 5 fields, and takes and images need theirs. */
  durationAndSize: 'duration_size',
  takes: 'takes',
  images: 'images',
} as const;
