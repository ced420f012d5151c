// Blocked members and the audit log of every moderator and admin action, on SQLite.
import type { AuditEntry, ModerationRows } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteModeration(sql: SqliteDatabase): Synchronous<ModerationRows> {
  return {
    isBlocked: (guildId, userId) =>
      sql.prepare('SELECT 1 FROM blocked_members WHERE guild_id = ? AND user_id = ?').get(guildId, userId) !==
      undefined,

    block: (guildId, userId, actorId, reason) =>
      sql
        .prepare(
          `INSERT INTO blocked_members (guild_id, user_id, blocked_by, reason, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (guild_id, user_id) DO NOTHING`,
        )
        .run(guildId, userId, actorId, reason, sql.now()).changes > 0,

    unblock: (guildId, userId) =>
      sql.prepare('DELETE FROM blocked_members WHERE guild_id = ? AND user_id = ?').run(guildId, userId)
        .changes > 0,

    blocked: (guildId) =>
      sql
        .prepare(
          `SELECT user_id AS userId, reason, created_at AS createdAt FROM blocked_members
           WHERE guild_id = ? ORDER BY created_at DESC`,
        )
        .all(guildId) as { userId: string; reason: string | null; createdAt: number }[],

    audit(entry) {
      sql
        .prepare(
          'INSERT INTO audit_log (guild_id, actor_id, action, target, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          entry.guildId,
          entry.actorId,
          entry.action,
          entry.target ?? null,
          entry.details === undefined ? null : JSON.stringify(entry.details),
          sql.now(),
        );
    },

    auditLog: (guildId, limit, beforeId = Number.MAX_SAFE_INTEGER) =>
      sql
        .prepare(
          `SELECT id, guild_id AS guildId, actor_id AS actorId, action, target, details, created_at AS createdAt
           FROM audit_log WHERE guild_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
        )
        .all(guildId, beforeId, limit) as AuditEntry[],
  };
}
