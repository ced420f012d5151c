// The SQLite file under the store: opened with the pragmas the store relies on, its statements
// prepared once, and transactions that take the write lock up front.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';

/** How long a writer waits for another process's transaction before giving up (busy_timeout). */
export const busyTimeoutMs = 5_000;

/** Opens (creating when absent) the database file with the pragmas every connection needs. */
export function openSqliteFile(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  // WAL: readers never wait for the writer, and several processes may share the file.
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
  connection.pragma('foreign_keys = ON');
  return connection;
}

/**
 * The `exclusive` transaction open in this process, if any, on any connection. better-sqlite3 waits
 * for a lock by blocking the thread (busy_timeout): a connection that waited for a lock another
 * connection of this same process holds across an await would wait in vain, since that one cannot
 * go on until the thread is free. So while one is open, every store of the process waits for it
 * without blocking. (Several stores in one process: tests, and a tool that opens a second.) Waiting
 * is written out where the connection is then used, with no await in between: a helper's promise
 * would resolve a turn too late.
 */
let busy: Promise<unknown> | undefined;

/** A contract part with its methods synchronous: how the SQLite modules write them. */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K];
};

export interface SqliteDatabase {
  readonly connection: Database;
  readonly now: () => number;
  /** The statement for `sql`, prepared on first use. */
  prepare(sql: string): Statement;
  /**
   * Runs `work` as one transaction that takes the write lock at its start (BEGIN IMMEDIATE): a
   * second process waits its turn (busy_timeout) instead of failing after it read. Nested: a savepoint.
   */
  transaction<T>(work: () => T): T;
  /**
   * Runs asynchronous `work` (a rule that awaits its reads) as one transaction, `write` taking the
   * write lock up front. Nothing else touches the connection meanwhile: every other method waits
   * for it (see `asynchronous` and `busy`), so no statement of theirs lands inside it.
   */
  exclusive<T>(mode: 'read' | 'write', work: () => Promise<T>): Promise<T>;
  /** The contract's face of synchronous methods: each waits for an `exclusive` transaction to end first. */
  asynchronous<T>(methods: Synchronous<T>): T;
}

export function sqliteDatabase(connection: Database, now: () => number): SqliteDatabase {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = connection.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const inTransaction = connection.transaction((work: () => unknown) => work());

  async function runExclusive<T>(mode: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    connection.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    try {
      const result = await work();
      connection.exec('COMMIT');
      return result;
    } catch (error) {
      if (connection.inTransaction) connection.exec('ROLLBACK');
      throw error;
    }
  }

  return {
    connection,
    now,
    prepare,
    // One wrapper for every transaction; it returns what `work` returns.
    transaction: <T>(work: () => T) => inTransaction.immediate(work) as T,
    async exclusive(mode, work) {
      while (busy) await busy.catch(() => undefined);
      const running = runExclusive(mode, work);
      busy = running;
      try {
        return await running;
      } finally {
        if (busy === running) busy = undefined;
      }
    },
    asynchronous<T>(methods: Synchronous<T>): T {
      const face: Record<string, unknown> = {};
      for (const [name, method] of Object.entries(methods as Record<string, unknown>)) {
        if (typeof method !== 'function') continue;
        face[name] = async (...args: unknown[]) => {
          while (busy) await busy.catch(() => undefined);
          return method(...args);
        };
      }
      // Every function of `methods` became its awaiting twin, which is what T says.
      return face as T;
    },
  };
}
