// Which store this process opens: PostgreSQL when DATABASE_URL is set, else the SQLite file at
// DATABASE_PATH (the embedded default: nothing to install).
import type { JobStore, JobStoreOptions } from './contract.ts';
import { openPostgresStore } from './postgres/index.ts';
import { openSqliteStore } from './sqlite/index.ts';

export interface StoreSettings {
  databasePath: string;
  databaseUrl?: string;
  /** Connections each process keeps to PostgreSQL at most (DATABASE_POOL_SIZE). */
  databasePoolSize?: number;
}

/** Throws DatabaseSettingError (PostgreSQL) with the sentence to print when the store cannot open. */
export function openStore(settings: StoreSettings, options: JobStoreOptions): Promise<JobStore> {
  if (settings.databaseUrl) {
    return openPostgresStore(settings.databaseUrl, { ...options, poolSize: settings.databasePoolSize });
  }
  return openSqliteStore(settings.databasePath, options);
}
