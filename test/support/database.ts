// A PostgreSQL database of the calling test file's own on the run's server: created before the
// file's tests, dropped (with any sessions left open) after them, so files running in parallel
// never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

async function asSuperuser(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Call at the top of a test file; the database exists from its beforeAll on. */
export function databaseForThisFile(): { readonly url: string; readonly name: string } {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  beforeAll(() => asSuperuser(`CREATE DATABASE ${name}`));
  afterAll(() => asSuperuser(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  return { url: url.href, name };
}
