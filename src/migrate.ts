// `npm run migrate`: brings the database's schema up to this version of reelbot, without starting
// the bot (and without its Discord token or provider key): before a deploy, or to check a backup.
import { describeProblems, loadDatabaseSettings, loadDotEnv } from './config.ts';
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

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  loadDotEnv();
  const settings = loadDatabaseSettings(process.env);
  if (!settings.ok) {
    process.stderr.write(`${describeProblems(settings.problems)}\n`);
    process.exit(1);
  }
  try {
    const { from, to } = migrateSqlite(settings.databasePath);
    process.stdout.write(
      from === to
        ? `${settings.databasePath} is at schema version ${to}, the latest: nothing to do.\n`
        : `Migrated ${settings.databasePath} from schema version ${from} to ${to}.\n`,
    );
  } catch (error) {
    // A sentence, not a stack: the usual causes are a newer database or a path that cannot be written.
    process.stderr.write(`Could not migrate ${settings.databasePath}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
