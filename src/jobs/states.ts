// Job states and their legal transitions: pure, so every pair can be tested.

export const jobStates = [
  'submitting',
  'queued',
  'in_progress',
  'completed',
  'delivering',
  'delivered',
  'failed',
  'canceled',
  'expired',
] as const;
export type JobState = (typeof jobStates)[number];

export const finalStates: readonly JobState[] = ['delivered', 'failed', 'canceled', 'expired'];
/** Waiting on the provider: the tracker polls these. */
export const pollingStates: readonly JobState[] = ['queued', 'in_progress'];
/** Counted against the "jobs in flight" quota. */
export const inFlightStates: readonly JobState[] = ['submitting', 'queued', 'in_progress'];

const forward: Record<JobState, readonly JobState[]> = {
  submitting: ['queued', 'in_progress', 'completed'],
  queued: ['in_progress', 'completed'],
  in_progress: ['completed'],
  completed: ['delivering'],
  delivering: ['delivered'],
  delivered: [],
  failed: [],
  canceled: [],
  expired: [],
};

export function isFinal(state: JobState): boolean {
  return finalStates.includes(state);
}

/** A job may move forward along its path, or from any non-final state to failed, canceled or expired. */
export function canTransition(from: JobState, to: JobState): boolean {
  if (isFinal(from)) return false;
  if (to === 'failed' || to === 'canceled' || to === 'expired') return true;
  return forward[from].includes(to);
}

export class IllegalTransitionError extends Error {
  readonly from: JobState;
  readonly to: JobState;
  constructor(jobId: number, from: JobState, to: JobState) {
    super(`job ${jobId} cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
    this.from = from;
    this.to = to;
  }
}

/** Why a job failed, in categories the UI can put into plain words. */
export type FailureKind =
  | 'moderation'
  | 'invalid_request'
  | 'provider_down'
  | 'timed_out'
  | 'interrupted'
  | 'bad_key'
  | 'quota'
  | 'provider_failed'
  | 'delivery_failed'
  /** The provider's file was checked and is not a video (JSON, HTML, empty, cut short), even after retries. */
  | 'not_a_video'
  | 'not_found'
  /** The provider does not serve the job's model (retired, or unknown there): an admin changes VIDEO_MODELS. */
  | 'model_unavailable';
