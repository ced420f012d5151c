// The SQLite job store, the embedded default: one file (DATABASE_PATH), shared safely by several
// processes on one host through WAL, the write lock and leases.
import { randomBytes } from 'node:crypto';
import type { JobStore, JobStoreOptions, Quotas } from '../contract.ts';
import { sqliteChannels } from './channels.ts';
import { sqliteClaims } from './claims.ts';
import { openSqliteFile, sqliteDatabase } from './database.ts';
import { sqliteGenerationTimes } from './generationTimes.ts';
import { sqliteHistory } from './history.ts';
import { sqliteJobRows } from './jobs.ts';
import { migrate } from './migrations.ts';
import { sqliteModeration } from './moderation.ts';
import { sqliteQuotas } from './quotas.ts';
import { sqliteSettings } from './settings.ts';
import { sqliteStyles } from './styles.ts';
import { sqliteValues } from './values.ts';
import { sqliteWebhooks } from './webhooks.ts';
import { sqliteWords } from './words.ts';

/** Opens (creating and migrating when needed) the store on the file at `path`. */
export async function openSqliteStore(path: string, options: JobStoreOptions = {}): Promise<JobStore> {
  const connection = openSqliteFile(path);
  try {
    migrate(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
  const sql = sqliteDatabase(connection, options.now ?? Date.now);
  const instancePrefix = `${options.instance ?? 'main'}#`;
  const holder = `${instancePrefix}${randomBytes(6).toString('hex')}`;
  const parts = sql.asynchronous<Omit<JobStore, keyof Quotas | 'kind' | 'holder' | 'isAvailable'>>({
    ...sqliteJobRows(sql, options.onTransition),
    ...sqliteClaims(sql, { holder, instancePrefix }),
    ...sqliteSettings(sql),
    ...sqliteChannels(sql),
    ...sqliteStyles(sql),
    ...sqliteModeration(sql),
    ...sqliteWords(sql),
    ...sqliteHistory(sql),
    ...sqliteValues(sql),
    ...sqliteWebhooks(sql),
    ...sqliteGenerationTimes(sql),
    close: () => connection.close(),
  });
  return {
    ...parts,
    ...sqliteQuotas(sql),
    kind: 'sqlite',
    holder,
    isAvailable: () => connection.open,
  };
}
