// The PostgreSQL job store (DATABASE_URL): connects, migrates, and assembles the contract from
// one module per concern. Several processes may share one database: claims are leases, inserts
// are serialised per guild, and every state change is one transaction.
import { randomBytes } from 'node:crypto';
import type { JobStore, JobStoreOptions } from '../contract.ts';
import { createChannelSettings } from './channels.ts';
import { createClaims } from './claims.ts';
import { createDatabase } from './database.ts';
import { createGenerationTimes } from './generationTimes.ts';
import { createHistory } from './history.ts';
import { createJobRows } from './jobs.ts';
import { migratePostgres } from './migrations.ts';
import { createModerationRows } from './moderation.ts';
import { notPostgresUrl, openFailure, postgresUrl } from './openFailure.ts';
import { createQuotas } from './quotas.ts';
import { createSettings } from './settings.ts';
import { createStyles } from './styles.ts';
import { createSharedValues } from './values.ts';
import { createWebhooks } from './webhooks.ts';
import { createWordLists } from './words.ts';

export interface PostgresStoreOptions extends JobStoreOptions {
  /** Connections this process keeps open at most (DATABASE_POOL_SIZE). */
  poolSize?: number;
}

/** `<instance>#<random per start>`: a restart of one process slot tells its old claims from its new. */
export function claimHolder(instance: string | undefined): string {
  return `${instance ?? 'main'}#${randomBytes(6).toString('hex')}`;
}

/**
 * Opens the store at `url` and brings its schema up to date. Throws DatabaseSettingError, whose
 * message is one sentence naming DATABASE_URL and the cause, when it cannot.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<JobStore> {
  if (!postgresUrl(url)) throw notPostgresUrl();
  const now = options.now ?? Date.now;
  const holder = claimHolder(options.instance);
  const database = createDatabase(url, { poolSize: options.poolSize, applicationName: `reelbot ${holder}` });
  try {
    await migratePostgres(database, now);
  } catch (error) {
    await database.close();
    throw openFailure(error, url);
  }
  return {
    kind: 'postgres',
    holder,
    ...createJobRows(database, now, options.onTransition),
    ...createQuotas(database, now),
    ...createClaims(database, now, holder),
    ...createSettings(database, now),
    ...createChannelSettings(database, now),
    ...createStyles(database, now),
    ...createModerationRows(database, now),
    ...createWordLists(database, now),
    ...createHistory(database),
    ...createSharedValues(database, now),
    ...createWebhooks(database, now),
    ...createGenerationTimes(database, now),
    isAvailable: () => database.isAvailable(),
    close: () => database.close(),
  };
}
