// `npm run migrate`: brings the database's schema up to this version of reelbot, without starting
// the bot (and without its Discord token or provider key): before a deploy, or to check a backup.
// The database is the bot's: PostgreSQL at DATABASE_URL when set, else the SQLite file at DATABASE_PATH.
import { describeProblems, loadDatabaseSettings, loadDotEnv } from './config.ts';
import { createDatabase } from './jobs/store/postgres/database.ts';
import { migratePostgres } from './jobs/store/postgres/migrations.ts';
import { openFailure } from './jobs/store/postgres/openFailure.ts';
import { DatabaseSettingError } from './jobs/store/settingError.ts';
import { openSqliteFile } from './jobs/store/sqlite/database.ts';
import { migrate } from './jobs/store/sqlite/migrations.ts';

/** Applies every migration the SQLite file at `path` lacks; says which schema versions it went between. */
export function migrateSqlite(path: string): { from: number; to: number } {
  const db = openSqliteFile(path);
  try {
    const from = db.pragma('user_version', { simple: true }) as number;
    return { from, to: migrate(db) };
  } finally {
    db.close();
  }
}

/** The same for PostgreSQL; throws DatabaseSettingError (a sentence without the password) when it cannot. */
export async function migrateDatabaseUrl(url: string): Promise<{ from: number; to: number }> {
  const database = createDatabase(url, { poolSize: 1, applicationName: 'reelbot migrate' });
  try {
    // Up to version 0 applies nothing: it only reads (and checks) the version the database is at.
    const from = await migratePostgres(database, Date.now, 0);
    return { from, to: await migratePostgres(database, Date.now) };
  } catch (error) {
    throw error instanceof DatabaseSettingError ? error : openFailure(error, url);
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const settings = loadDatabaseSettings(process.env);
  if (!settings.ok) {
    process.stderr.write(`${describeProblems(settings.problems)}\n`);
    process.exit(1);
  }
  // Never the URL itself: it holds the password.
  const where = settings.databaseUrl ? "DATABASE_URL's database" : settings.databasePath;
  try {
    const { from, to } = settings.databaseUrl
      ? await migrateDatabaseUrl(settings.databaseUrl)
      : migrateSqlite(settings.databasePath);
    process.stdout.write(
      from === to
        ? `${where} is at schema version ${to}, the latest: nothing to do.\n`
        : `Migrated ${where} from schema version ${from} to ${to}.\n`,
    );
  } catch (error) {
    // A sentence, not a stack: the usual causes are a newer database, a path that cannot be
    // written, or a server that cannot be reached (the DatabaseSettingError says which).
    const reason = error instanceof DatabaseSettingError ? error.message : (error as Error).message;
    process.stderr.write(`Could not migrate ${where}: ${reason}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
