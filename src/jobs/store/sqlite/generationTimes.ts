// Generation times on SQLite: one row per finished job, the most recent of each kind kept.
import { pollingStateList } from '../columns.ts';
import type { GenerationTimes } from '../contract.ts';
import { generationQuantiles, keptGenerationSamples } from '../generationSamples.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

// The samples' statements walk the index generation_samples_by_kind (model, seconds, size, id DESC).
const kindIs = 'model = ? AND seconds = ? AND size = ?';

export function sqliteGenerationTimes(sql: SqliteDatabase): Synchronous<GenerationTimes> {
  return {
    recordGenerationTime: (model, seconds, size, durationMs, at) =>
      sql.transaction(() => {
        sql
          .prepare(
            'INSERT INTO generation_samples (model, seconds, size, duration_ms, finished_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(model, seconds, size, Math.max(0, Math.round(durationMs)), at);
        // The newest `keptGenerationSamples` stay; the one after them and everything older goes.
        sql
          .prepare(
            `DELETE FROM generation_samples WHERE ${kindIs} AND id <= (
               SELECT id FROM generation_samples WHERE ${kindIs} ORDER BY id DESC LIMIT 1 OFFSET ?)`,
          )
          .run(model, seconds, size, model, seconds, size, keptGenerationSamples);
      }),

    generationQuantiles: (model, seconds, size) => {
      const rows = sql
        .prepare(`SELECT duration_ms FROM generation_samples WHERE ${kindIs} ORDER BY id DESC LIMIT ?`)
        .all(model, seconds, size, keptGenerationSamples) as { duration_ms: number }[];
      const running = sql
        .prepare(`SELECT created_at FROM jobs WHERE state IN (${pollingStateList}) AND ${kindIs}`)
        .all(model, seconds, size) as { created_at: number }[];
      const at = sql.now();
      return generationQuantiles(
        rows.map((row) => row.duration_ms),
        running.map((row) => at - row.created_at),
      );
    },
  };
}
