// Provider webhooks on SQLite: deliveries applied (a replay is refused, also after a restart),
// events waiting for their job's provider id, and the poll an event asks for.
import { pollingStateList } from '../columns.ts';
import type { PendingWebhookEvent, Webhooks } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteWebhooks(sql: SqliteDatabase): Synchronous<Webhooks> {
  return {
    recordWebhookDelivery(webhookId, at) {
      const inserted = sql
        .prepare(
          'INSERT INTO webhook_deliveries (webhook_id, received_at) VALUES (?, ?) ON CONFLICT (webhook_id) DO NOTHING',
        )
        .run(webhookId, at);
      return inserted.changes === 1;
    },

    pollRemoteNow: (remoteId, at) =>
      sql.transaction(() => {
        const job = sql.prepare('SELECT id FROM jobs WHERE remote_id = ?').get(remoteId) as
          | { id: number }
          | undefined;
        if (!job) return null;
        const polled = sql
          .prepare(
            `UPDATE jobs SET next_poll_at = ?, updated_at = ? WHERE id = ? AND state IN (${pollingStateList})`,
          )
          .run(at, sql.now(), job.id).changes;
        return { jobId: job.id, polled: polled === 1 };
      }),

    keepPendingEvent({ remoteId, event, receivedAt }) {
      sql
        .prepare(
          `INSERT INTO webhook_pending (remote_id, event, received_at) VALUES (?, ?, ?)
           ON CONFLICT (remote_id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at`,
        )
        .run(remoteId, event, receivedAt);
    },

    takePendingEvent(remoteId) {
      const row = sql
        .prepare(
          'DELETE FROM webhook_pending WHERE remote_id = ? RETURNING remote_id AS remoteId, event, received_at AS receivedAt',
        )
        .get(remoteId) as PendingWebhookEvent | undefined;
      return row;
    },

    pruneWebhooks: (before) =>
      sql.transaction(
        () =>
          sql.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?').run(before).changes +
          sql.prepare('DELETE FROM webhook_pending WHERE received_at < ?').run(before).changes,
      ),
  };
}
