// The tests' PostgreSQL: a real server (test/support/postgres.ts), a database per test file, the
// row locks the store's claims will rely on, and a server that goes away and comes back.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseForThisFile } from './database.ts';
import { startPostgresServer } from './postgresServer.ts';

const database = databaseForThisFile();
const pools: pg.Pool[] = [];
function pool(): pg.Pool {
  const created = new pg.Pool({ connectionString: database.url, max: 4 });
  pools.push(created);
  return created;
}
afterAll(() => Promise.all(pools.map((p) => p.end())));

describe("the tests' PostgreSQL", () => {
  it('answers SELECT 1 in a database of this file alone', async () => {
    const { rows } = await pool().query<{ one: number; database: string }>(
      'SELECT 1 AS one, current_database() AS database',
    );
    expect(rows).toEqual([{ one: 1, database: database.name }]);
  });

  it('hands two concurrent claims with FOR UPDATE SKIP LOCKED disjoint rows, neither waiting', async () => {
    const db = pool();
    await db.query('CREATE TABLE jobs (id integer PRIMARY KEY, due_at bigint NOT NULL, claimed_by text)');
    await db.query('INSERT INTO jobs SELECT n, 1700000000000 + n FROM generate_series(1, 10) AS n');
    // The shape of a lease claim: the due rows nobody holds, locked and marked in one statement.
    const claim = `UPDATE jobs SET claimed_by = $1 WHERE id IN (
        SELECT id FROM jobs WHERE claimed_by IS NULL ORDER BY due_at LIMIT 6 FOR UPDATE SKIP LOCKED
      ) RETURNING id`;
    const first = await db.connect();
    const second = await db.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      const firstClaim = await first.query<{ id: number }>(claim, ['first']);
      // The first transaction is still open and holds its rows: the second skips them.
      await second.query("SET LOCAL lock_timeout = '2s'");
      const secondClaim = await second.query<{ id: number }>(claim, ['second']);
      await first.query('COMMIT');
      await second.query('COMMIT');
      const firstIds = firstClaim.rows.map((row) => row.id).sort((a, b) => a - b);
      const secondIds = secondClaim.rows.map((row) => row.id).sort((a, b) => a - b);
      expect(firstIds).toEqual([1, 2, 3, 4, 5, 6]);
      expect(secondIds).toEqual([7, 8, 9, 10]);
    } finally {
      first.release();
      second.release();
    }
    const { rows } = await db.query<{ claimed_by: string; count: string }>(
      'SELECT claimed_by, count(*) FROM jobs GROUP BY claimed_by ORDER BY claimed_by',
    );
    expect(rows).toEqual([
      { claimed_by: 'first', count: '6' },
      { claimed_by: 'second', count: '4' },
    ]);
  });
});

describe('a PostgreSQL server that goes away and comes back', () => {
  it('fails queries while it is down, cuts the open transaction, and serves the same pool again after', async () => {
    const server = await startPostgresServer();
    const db = new pg.Pool({ connectionString: server.url, max: 2 });
    // node-postgres emits 'error' for idle clients whose connection dies (on the pool) and for
    // checked-out ones (on the client, besides rejecting its query): unheard, it ends the process.
    db.on('error', () => {});
    try {
      await db.query('CREATE TABLE jobs (id integer PRIMARY KEY, state text NOT NULL)');
      await db.query("INSERT INTO jobs VALUES (1, 'queued')");
      const transaction = await db.connect();
      const clientErrors: string[] = [];
      transaction.on('error', (error) => clientErrors.push(error.message));
      await transaction.query('BEGIN');
      await transaction.query("UPDATE jobs SET state = 'in_progress' WHERE id = 1");

      await server.kill();
      // What the store must read as "database unavailable": none of these carries an SQLSTATE.
      await expect(transaction.query('COMMIT')).rejects.toThrow();
      expect(clientErrors).toEqual(['Connection terminated unexpectedly']);
      transaction.release(true);
      await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      await server.restart();
      const { rows } = await db.query<{ state: string }>('SELECT state FROM jobs WHERE id = 1');
      expect(rows).toEqual([{ state: 'queued' }]);
    } finally {
      await db.end();
      await server.stop();
    }
  });
});
