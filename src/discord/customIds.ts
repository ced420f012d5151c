// Every component and modal custom id is built and parsed here. Ids carry no authority:
// handlers re-check the clicker's permissions and the job's guild.

export const jobActions = ['cancel', 'regen', 'remix', 'remix-modal'] as const;
export type JobAction = (typeof jobActions)[number];

const prefix = 'reelbot';

export function jobCustomId(action: JobAction, jobId: number): string {
  return `${prefix}:${action}:${jobId}`;
}

export function parseJobCustomId(customId: string): { action: JobAction; jobId: number } | null {
  const [head, action, id] = customId.split(':');
  if (head !== prefix || !jobActions.includes(action as JobAction) || !id || !/^\d{1,15}$/.test(id))
    return null;
  return { action: action as JobAction, jobId: Number(id) };
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
