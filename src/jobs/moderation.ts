// Blocked members, the audit log and usage summaries: what moderators and admins read and write.
import type { JobState } from './states.ts';
import type { JobStore } from './store/index.ts';

export interface UsageSummary {
  jobs: number;
  byState: Partial<Record<JobState, number>>;
  seconds: number;
  topMembers: { userId: string; jobs: number; seconds: number }[];
  failureReasons: { kind: string; jobs: number }[];
  /** Prompts refused for the server's blocked words. */
  refusals: number;
}

export function createModeration(store: JobStore) {
  return {
    isBlocked: store.isBlocked.bind(store),
    block: store.block.bind(store),
    unblock: store.unblock.bind(store),
    blocked: store.blocked.bind(store),
    audit: store.audit.bind(store),
    auditLog: store.auditLog.bind(store),

    async usage(guildId: string, since: number): Promise<UsageSummary> {
      const [{ byState, seconds }, topMembers, failureReasons, refusals] = await Promise.all([
        store.guildCounts(guildId, since),
        store.topMembers(guildId, since),
        store.failureReasons(guildId, since),
        store.refusalCount(guildId, since),
      ]);
      const jobs = Object.values(byState).reduce((sum, n) => sum + (n ?? 0), 0);
      return { jobs, byState, seconds, topMembers, failureReasons, refusals };
    },
  };
}

export type Moderation = ReturnType<typeof createModeration>;
