// Provider webhooks on PostgreSQL: deliveries applied (a replay is refused, also after a restart
// and by any other process), events waiting for their job's provider id, and the poll an event asks for.
import { pollingStateList } from '../columns.ts';
import type { PendingWebhookEvent, Webhooks } from '../contract.ts';
import type { Database } from './database.ts';

export function createWebhooks(database: Database, now: () => number): Webhooks {
  return {
    async recordWebhookDelivery(webhookId, at) {
      const rows = await database.query(
        `INSERT INTO webhook_deliveries (webhook_id, received_at) VALUES ($1, $2)
         ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id`,
        [webhookId, at],
      );
      return rows.length === 1;
    },

    async pollRemoteNow(remoteId, at) {
      const [row] = await database.query<{ id: number; polled: boolean }>(
        `WITH polled AS (
           UPDATE jobs SET next_poll_at = $1, updated_at = $2
           WHERE remote_id = $3 AND state IN (${pollingStateList}) RETURNING id
         )
         SELECT id, EXISTS (SELECT 1 FROM polled) AS polled FROM jobs WHERE remote_id = $3`,
        [at, now(), remoteId],
      );
      return row ? { jobId: Number(row.id), polled: row.polled } : null;
    },

    async keepPendingEvent({ remoteId, event, receivedAt }) {
      await database.query(
        `INSERT INTO webhook_pending (remote_id, event, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (remote_id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at`,
        [remoteId, event, receivedAt],
      );
    },

    async takePendingEvent(remoteId) {
      const [row] = await database.query<PendingWebhookEvent>(
        `DELETE FROM webhook_pending WHERE remote_id = $1
         RETURNING remote_id AS "remoteId", event, received_at AS "receivedAt"`,
        [remoteId],
      );
      return row ? { ...row, receivedAt: Number(row.receivedAt) } : undefined;
    },

    async pruneWebhooks(before) {
      return database.transaction(async (tx) => {
        const deliveries = await tx.query(
          'DELETE FROM webhook_deliveries WHERE received_at < $1 RETURNING 1',
          [before],
        );
        const pending = await tx.query('DELETE FROM webhook_pending WHERE received_at < $1 RETURNING 1', [
          before,
        ]);
        return deliveries.length + pending.length;
      });
    },
  };
}
