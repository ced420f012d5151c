// A job's chain: the jobs it came from and the jobs made from it (Regenerate, Remix, later takes),
// so a team can retrace how an idea evolved. Only jobs of the job's own guild are part of it.
import type { Job, JobStore } from './store/index.ts';

export interface JobChain {
  /** The jobs it came from, the first of all first. */
  ancestors: Job[];
  job: Job;
  /** The jobs made from it, generation by generation, each oldest first. */
  descendants: Job[];
  /** More jobs were made from it than the chain holds. */
  more: boolean;
}

/** How far a chain reaches: enough for any idea a team retraces, bounded for the message it fills. */
export const chainLimits = { ancestors: 20, descendants: 50 };

/** The job a job was made from: its origin, or (a row older than origins) the job it remixed. */
export function parentId(job: Pick<Job, 'originJobId' | 'remixOfJobId'>): number | null {
  return job.originJobId ?? job.remixOfJobId;
}

export async function jobChain(
  store: Pick<JobStore, 'get' | 'madeFrom'>,
  job: Job,
  limits = chainLimits,
): Promise<JobChain> {
  const ancestors: Job[] = [];
  const seen = new Set([job.id]);
  for (let id = parentId(job); id !== null && ancestors.length < limits.ancestors; ) {
    const parent = seen.has(id) ? undefined : await store.get(id);
    if (!parent || parent.guildId !== job.guildId) break;
    seen.add(parent.id);
    ancestors.unshift(parent);
    id = parentId(parent);
  }
  const descendants: Job[] = [];
  let more = false;
  for (let frontier = [job.id]; frontier.length > 0; ) {
    const room = limits.descendants - descendants.length;
    const children = (await store.madeFrom(job.guildId, frontier, room + 1)).filter(
      (child) => !seen.has(child.id),
    );
    if (children.length > room) more = true;
    const kept = children.slice(0, room);
    for (const child of kept) seen.add(child.id);
    descendants.push(...kept);
    frontier = more ? [] : kept.map((child) => child.id);
  }
  return { ancestors, job, descendants, more };
}
