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
  if (head !== prefix || !jobActions.includes(action as JobAction) || !id || !/^\d{1,15}$/.test(id)) return null;
  return { action: action as JobAction, jobId: Number(id) };
}

export const remixPromptField = 'prompt';
