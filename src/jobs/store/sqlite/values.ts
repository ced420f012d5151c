// Small durable values on SQLite (the provider-wide 429 pause), read by every process on the file.
import type { SharedValues } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteValues(sql: SqliteDatabase): Synchronous<SharedValues> {
  return {
    readValue(key) {
      const row = sql.prepare('SELECT value FROM key_values WHERE key = ?').get(key) as
        | { value: string }
        | undefined;
      return row?.value ?? null;
    },

    writeValue(key, value) {
      sql
        .prepare(
          `INSERT INTO key_values (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        )
        .run(key, value, sql.now());
    },
  };
}
