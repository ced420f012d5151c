// Which store this process opens: PostgreSQL when DATABASE_URL is set, else the SQLite file at
// DATABASE_PATH (the embedded default: nothing to install).
import type { JobStore, JobStoreOptions } from './contract.ts';
import { openPostgresStore } from './postgres/index.ts';

export interface StoreSettings {
  databasePath: string;
  databaseUrl?: string;
  /** Connections each process keeps to PostgreSQL at most (DATABASE_POOL_SIZE). */
  databasePoolSize?: number;
}

/** The PostgreSQL store at DATABASE_URL; throws DatabaseSettingError with the sentence to print. */
export function openConfiguredPostgres(
  settings: StoreSettings & { databaseUrl: string },
  options: JobStoreOptions,
): Promise<JobStore> {
  return openPostgresStore(settings.databaseUrl, { ...options, poolSize: settings.databasePoolSize });
}

export async function openStore(settings: StoreSettings, options: JobStoreOptions): Promise<JobStore> {
  if (settings.databaseUrl)
    return openConfiguredPostgres({ ...settings, databaseUrl: settings.databaseUrl }, options);
  // TODO(merge, issue 10): the SQLite store lands from the other branch; bind it here:
  //   import { openSqliteStore } from './sqlite/index.ts';
  //   return openSqliteStore(settings.databasePath, options);
  throw new Error(
    `the SQLite store is not wired into openStore on this branch yet (DATABASE_PATH=${settings.databasePath})`,
  );
}
