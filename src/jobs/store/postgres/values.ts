// Small durable values every process shares (the provider-wide 429 pause), on PostgreSQL.
import type { SharedValues } from '../contract.ts';
import type { Database } from './database.ts';

export function createSharedValues(database: Database, now: () => number): SharedValues {
  return {
    async readValue(key) {
      const [row] = await database.query<{ value: string }>('SELECT value FROM key_values WHERE key = $1', [
        key,
      ]);
      return row?.value ?? null;
    },

    async writeValue(key, value) {
      await database.query(
        `INSERT INTO key_values (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, value, now()],
      );
    },
  };
}
