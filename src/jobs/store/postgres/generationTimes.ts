// Generation times on PostgreSQL: one row per finished job, the most recent of each kind kept.
import { pollingStateList } from '../columns.ts';
import type { GenerationTimes } from '../contract.ts';
import { generationQuantiles, keptGenerationSamples } from '../generationSamples.ts';
import type { Database } from './database.ts';

// The samples' statements walk the index generation_samples_by_kind (model, seconds, size, id DESC).
const kindIs = 'model = $1 AND seconds = $2 AND size = $3';

export function createGenerationTimes(database: Database, now: () => number): GenerationTimes {
  return {
    async recordGenerationTime(model, seconds, size, durationMs, at) {
      await database.transaction(async (tx) => {
        await tx.query(
          'INSERT INTO generation_samples (model, seconds, size, duration_ms, finished_at) VALUES ($1, $2, $3, $4, $5)',
          [model, seconds, size, Math.max(0, Math.round(durationMs)), at],
        );
        // The newest `keptGenerationSamples` stay; the one after them and everything older goes.
        await tx.query(
          `DELETE FROM generation_samples WHERE ${kindIs} AND id <= (
             SELECT id FROM generation_samples WHERE ${kindIs} ORDER BY id DESC LIMIT 1 OFFSET $4)`,
          [model, seconds, size, keptGenerationSamples],
        );
      });
    },

    async generationQuantiles(model, seconds, size) {
      const rows = await database.query<{ duration_ms: number }>(
        `SELECT duration_ms FROM generation_samples WHERE ${kindIs} ORDER BY id DESC LIMIT $4`,
        [model, seconds, size, keptGenerationSamples],
      );
      const running = await database.query<{ created_at: number }>(
        `SELECT created_at FROM jobs WHERE state IN (${pollingStateList}) AND ${kindIs}`,
        [model, seconds, size],
      );
      const at = now();
      return generationQuantiles(
        rows.map((row) => row.duration_ms),
        running.map((row) => at - row.created_at),
      );
    },
  };
}
