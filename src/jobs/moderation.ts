// Blocked members, the audit log and usage summaries: what moderators and admins read and write.
import type { JobState } from './states.ts';
import type { JobStore } from './store.ts';

export interface AuditEntry {
  id: number;
  guildId: string;
  actorId: string;
  action: string;
  target: string | null;
  details: string | null;
  createdAt: number;
}

export interface UsageSummary {
  jobs: number;
  byState: Partial<Record<JobState, number>>;
  seconds: number;
  topMembers: { userId: string; jobs: number; seconds: number }[];
  failureReasons: { kind: string; jobs: number }[];
}

export function createModeration(store: JobStore, now: () => number = Date.now) {
  const db = store.db;
  return {
    isBlocked(guildId: string, userId: string): boolean {
      return (
        db
          .prepare('SELECT 1 FROM blocked_members WHERE guild_id = ? AND user_id = ?')
          .get(guildId, userId) !== undefined
      );
    },

    block(guildId: string, userId: string, actorId: string, reason: string | null): boolean {
      const result = db
        .prepare(
          `INSERT INTO blocked_members (guild_id, user_id, blocked_by, reason, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (guild_id, user_id) DO NOTHING`,
        )
        .run(guildId, userId, actorId, reason, now());
      return result.changes > 0;
    },

    unblock(guildId: string, userId: string): boolean {
      return (
        db.prepare('DELETE FROM blocked_members WHERE guild_id = ? AND user_id = ?').run(guildId, userId)
          .changes > 0
      );
    },

    blocked(guildId: string): { userId: string; reason: string | null; createdAt: number }[] {
      return db
        .prepare(
          'SELECT user_id AS userId, reason, created_at AS createdAt FROM blocked_members WHERE guild_id = ? ORDER BY created_at DESC',
        )
        .all(guildId) as { userId: string; reason: string | null; createdAt: number }[];
    },

    audit(entry: {
      guildId: string;
      actorId: string;
      action: string;
      target?: string | null;
      details?: unknown;
    }): void {
      db.prepare(
        'INSERT INTO audit_log (guild_id, actor_id, action, target, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        entry.guildId,
        entry.actorId,
        entry.action,
        entry.target ?? null,
        entry.details === undefined ? null : JSON.stringify(entry.details),
        now(),
      );
    },

    auditLog(guildId: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): AuditEntry[] {
      return db
        .prepare(
          `SELECT id, guild_id AS guildId, actor_id AS actorId, action, target, details, created_at AS createdAt
           FROM audit_log WHERE guild_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
        )
        .all(guildId, beforeId, limit) as AuditEntry[];
    },

    usage(guildId: string, since: number): UsageSummary {
      const { byState, seconds } = store.guildCounts(guildId, since);
      const jobs = Object.values(byState).reduce((sum, n) => sum + (n ?? 0), 0);
      const topMembers = db
        .prepare(
          `SELECT user_id AS userId, COUNT(*) AS jobs, SUM(CASE WHEN charged = 1 THEN seconds ELSE 0 END) AS seconds
           FROM jobs WHERE guild_id = ? AND created_at >= ? GROUP BY user_id ORDER BY jobs DESC, seconds DESC LIMIT 5`,
        )
        .all(guildId, since) as UsageSummary['topMembers'];
      const failureReasons = db
        .prepare(
          `SELECT COALESCE(error_kind, 'unknown') AS kind, COUNT(*) AS jobs FROM jobs
           WHERE guild_id = ? AND created_at >= ? AND state = 'failed' GROUP BY kind ORDER BY jobs DESC`,
        )
        .all(guildId, since) as UsageSummary['failureReasons'];
      return { jobs, byState, seconds, topMembers, failureReasons };
    },
  };
}

export type Moderation = ReturnType<typeof createModeration>;
