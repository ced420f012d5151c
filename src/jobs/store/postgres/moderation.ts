// Blocked members and the audit log on PostgreSQL.
import type { AuditEntry, ModerationRows } from '../contract.ts';
import type { Database } from './database.ts';

export function createModerationRows(database: Database, now: () => number): ModerationRows {
  return {
    async isBlocked(guildId, userId) {
      const rows = await database.query(
        'SELECT 1 FROM blocked_members WHERE guild_id = $1 AND user_id = $2',
        [guildId, userId],
      );
      return rows.length > 0;
    },

    async block(guildId, userId, actorId, reason) {
      const rows = await database.query(
        `INSERT INTO blocked_members (guild_id, user_id, blocked_by, reason, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, user_id) DO NOTHING RETURNING 1`,
        [guildId, userId, actorId, reason, now()],
      );
      return rows.length > 0;
    },

    async unblock(guildId, userId) {
      const rows = await database.query(
        'DELETE FROM blocked_members WHERE guild_id = $1 AND user_id = $2 RETURNING 1',
        [guildId, userId],
      );
      return rows.length > 0;
    },

    blocked: (guildId) =>
      database.query<{ userId: string; reason: string | null; createdAt: number }>(
        `SELECT user_id AS "userId", reason, created_at AS "createdAt" FROM blocked_members
         WHERE guild_id = $1 ORDER BY created_at DESC`,
        [guildId],
      ),

    async audit(entry) {
      await database.query(
        `INSERT INTO audit_log (guild_id, actor_id, action, target, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          entry.guildId,
          entry.actorId,
          entry.action,
          entry.target ?? null,
          entry.details === undefined ? null : JSON.stringify(entry.details),
          now(),
        ],
      );
    },

    auditLog: (guildId, limit, beforeId = Number.MAX_SAFE_INTEGER) =>
      database.query<AuditEntry>(
        `SELECT id, guild_id AS "guildId", actor_id AS "actorId", action, target, details, created_at AS "createdAt"
         FROM audit_log WHERE guild_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
        [guildId, beforeId, limit],
      ),
  };
}
