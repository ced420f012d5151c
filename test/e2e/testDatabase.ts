// The database an end-to-end test's bot runs on. The suite runs once per store (vitest.config.ts):
// on SQLite, the file reelbot.db in the bot's folder; under REELBOT_TEST_STORE=postgres, a fresh
// database of its own on the run's PostgreSQL server, given to the bot as DATABASE_URL. Either
// way the database belongs to the bot's folder: a bot started again in the same folder finds the
// same rows, and a test may delete, copy and restore it as an operator would the SQLite file.
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { JobStore } from '../../src/jobs/store/contract.ts';
import { openStore } from '../../src/jobs/store/open.ts';
import { freshDatabase } from '../support/database.ts';

export type StoreKind = 'sqlite' | 'postgres';

export const storeUnderTest: StoreKind =
  process.env.REELBOT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDatabase {
  /** What points a bot at it: DATABASE_PATH, and DATABASE_URL on PostgreSQL. */
  readonly env: { DATABASE_PATH: string; DATABASE_URL?: string };
  /**
   * Rows as they are now, read behind the store's back. The SQL must read alike on both: `?`
   * placeholders, aliases in double quotes, TRUE and FALSE for booleans.
   */
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
  /** A write behind the store's back, as an older version, a crash or earlier commands would have left rows. */
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  /** A store of its own on the same database, as another process would open it; the caller closes it. */
  openStore(): Promise<JobStore>;
}

const sqliteFile = (dir: string) => join(dir, 'reelbot.db');

/** `?` placeholders as PostgreSQL numbers them. */
const numbered = (sql: string) => {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
};

/** BIGINT as a number, as the store reads it: every one here is a time, an id or a count. */
const numberTypes = new pg.TypeOverrides();
numberTypes.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, types: numberTypes });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function onSqlite<T>(dir: string, work: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(sqliteFile(dir));
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** The PostgreSQL database of each folder, and the copies a test kept (by folder and name). */
const databases = new Map<string, { url: string; drop(): Promise<void> }>();

// Whatever a test file left is dropped after it: the run's server is shared by every file.
afterAll(async () => {
  const left = [...databases.values()];
  databases.clear();
  for (const database of left) await database.drop();
});

async function postgresDatabaseOf(dir: string): Promise<string> {
  let database = databases.get(dir);
  if (!database) {
    database = await freshDatabase();
    databases.set(dir, database);
  }
  return database.url;
}

/** The database of a bot whose folder is `dir`: made on first use, the same one after. */
export async function databaseIn(dir: string): Promise<TestDatabase> {
  const env = { DATABASE_PATH: sqliteFile(dir) };
  if (storeUnderTest === 'sqlite') {
    return {
      env,
      query: async <Row extends object>(sql: string, params: readonly unknown[] = []) =>
        onSqlite(dir, (db) => db.prepare(sql).all(...params) as Row[]),
      run: async (sql, params = []) => void onSqlite(dir, (db) => db.prepare(sql).run(...params)),
      openStore: () => openStore({ databasePath: env.DATABASE_PATH }, {}),
    };
  }
  const url = await postgresDatabaseOf(dir);
  return {
    env: { ...env, DATABASE_URL: url },
    query: <Row extends object>(sql: string, params: readonly unknown[] = []) =>
      onPostgres(url, async (client) => (await client.query<Row>(numbered(sql), [...params])).rows),
    run: (sql, params = []) =>
      onPostgres(url, async (client) => void (await client.query(numbered(sql), [...params]))),
    openStore: () =>
      openStore({ databasePath: env.DATABASE_PATH, databaseUrl: url, databasePoolSize: 2 }, {}),
  };
}

/** Removes the folder's database (no bot may have it open): the next bot there starts on an empty one. */
export async function deleteDatabase(dir: string): Promise<void> {
  if (storeUnderTest === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) await rm(`${sqliteFile(dir)}${suffix}`, { force: true });
    return;
  }
  const database = databases.get(dir);
  databases.delete(dir);
  await database?.drop();
}

/** Keeps a copy of the folder's database (no bot may have it open) as `name`, as a backup would. */
export async function copyDatabase(dir: string, name: string): Promise<void> {
  if (storeUnderTest === 'sqlite') return copyFile(sqliteFile(dir), join(dir, name));
  await copyPostgresDatabase(await postgresDatabaseOf(dir), join(dir, name));
}

/** Puts the copy `name` back as the folder's database, in place of whatever is there now. */
export async function restoreDatabase(dir: string, name: string): Promise<void> {
  if (storeUnderTest === 'sqlite') return copyFile(join(dir, name), sqliteFile(dir));
  const copy = databases.get(join(dir, name));
  if (!copy) throw new Error(`no copy ${name} of the database of ${dir}`);
  await deleteDatabase(dir);
  await copyPostgresDatabase(copy.url, dir);
}

/** A new database made from the one at `url` (CREATE DATABASE … TEMPLATE), kept under `key`. */
async function copyPostgresDatabase(url: string, key: string): Promise<void> {
  const source = new URL(url).pathname.slice(1);
  const copy = await freshDatabase(undefined, source);
  databases.set(key, copy);
}
