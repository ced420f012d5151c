// A PostgreSQL database of the calling test file's own on the run's server: created before the
// file's tests, dropped (with any sessions left open) after them, so files running in parallel
// never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

/** Runs one statement as the superuser of the run's server (or of `serverUrl`'s). */
export async function asSuperuser(statement: string, serverUrl = inject('postgresUrl')): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function newDatabaseName(serverUrl: string): { url: string; name: string } {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.href, name };
}

/** Call at the top of a test file; the database exists from its beforeAll on. */
export function databaseForThisFile(): { readonly url: string; readonly name: string } {
  const database = newDatabaseName(inject('postgresUrl'));
  beforeAll(() => asSuperuser(`CREATE DATABASE ${database.name}`));
  afterAll(() => asSuperuser(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`));
  return database;
}

/**
 * A new database on the run's server (or on `serverUrl`'s), for one test: empty, or a copy of the
 * database `template` (which nobody may be connected to); `drop()` removes it with any sessions
 * left open.
 */
export async function freshDatabase(
  serverUrl = inject('postgresUrl'),
  template?: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const database = newDatabaseName(serverUrl);
  const copy = template ? ` TEMPLATE ${template}` : '';
  await asSuperuser(`CREATE DATABASE ${database.name}${copy}`, serverUrl);
  return {
    ...database,
    drop: () => asSuperuser(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`, serverUrl),
  };
}
