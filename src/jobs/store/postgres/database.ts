// The PostgreSQL connection pool behind the store: queries, transactions on one client, and whether
// the server can be reached. A lost server never ends the process: calls reject with
// StoreUnavailableError while it is gone, and the first query that succeeds after makes the store
// available again (a probe keeps trying meanwhile, so isAvailable() recovers with nobody calling).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreUnavailableError } from '../contract.ts';

/** What a module of the store runs its SQL on: the pool, or one transaction's client. */
export interface Queryable {
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
}

export interface Database extends Queryable {
  /** BEGIN, `work`, COMMIT on one client; ROLLBACK when `work` throws (and its error is rethrown). */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** One client for several statements outside a transaction (a session lock, then transactions). */
  session<T>(work: (client: Queryable & Pick<Database, 'transaction'>) => Promise<T>): Promise<T>;
  isAvailable(): boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  poolSize?: number;
  /** Shown in pg_stat_activity, so an operator sees which process holds which connection. */
  applicationName?: string;
  /** How long a connection attempt may take before the call fails. */
  connectTimeoutMs?: number;
  /** How often an unavailable store tries the server again on its own. */
  probeEveryMs?: number;
}

/** Errors of the node layer that mean the server cannot be reached, not that a statement failed. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs that say the server is going away or cannot take us now (class 08 is checked apart). */
const serverGoneCodes = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres's own words for a connection that died, or never came, without a code. */
const lostConnectionWords =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect/i;

/** Whether `error` means the server is out of reach (rather than that a statement was refused). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (networkCodes.has(code) || serverGoneCodes.has(code) || code.startsWith('08'))
  )
    return true;
  if (lostConnectionWords.test(error.message)) return true;
  // A host with several addresses fails with one error per address (Node's happy eyeballs).
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return error.cause !== undefined && isConnectionError(error.cause);
}

/**
 * Names of the statements with parameters, by text. A named statement is parsed and planned once
 * per connection and then only bound and run: a third less server CPU per tracker poll than
 * unnamed ones, which are parsed and planned on every call. The texts come from the code (a few
 * dozen shapes), so the names are few; past `namedStatementsAtMost` texts go unnamed anyway.
 */
const statementNames = new Map<string, string>();
const namedStatementsAtMost = 1_000;

/** Statements without parameters (BEGIN, COMMIT, migrations of several statements) stay unnamed. */
function statement(sql: string, params: readonly unknown[]): pg.QueryConfig {
  const values = params as unknown[];
  if (values.length === 0) return { text: sql };
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < namedStatementsAtMost) {
    name = `reelbot_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name === undefined ? { text: sql, values } : { name, text: sql, values };
}

/** BIGINT (int8, OID 20) as a number: every BIGINT here is a time in ms, an id or a count. */
function numberTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  return types;
}

const defaultConnectTimeoutMs = 10_000;
const defaultProbeEveryMs = 2_000;

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
    application_name: options.applicationName ?? 'reelbot',
    keepAlive: true,
    types: numberTypes(),
  });
  let available = true;
  let closed = false;
  let probe: NodeJS.Timeout | undefined;

  const stopProbe = () => {
    clearInterval(probe);
    probe = undefined;
  };
  const markAvailable = () => {
    available = true;
    stopProbe();
  };
  const markUnavailable = () => {
    available = false;
    if (probe || closed) return;
    probe = setInterval(() => {
      pool.query('SELECT 1').then(
        () => (closed ? undefined : markAvailable()),
        () => {},
      );
    }, options.probeEveryMs ?? defaultProbeEveryMs);
    probe.unref();
  };
  // An idle client whose connection dies is reported here; unheard, the error would end the process.
  pool.on('error', (error) => {
    if (isConnectionError(error)) markUnavailable();
  });

  /** Runs `work`, translating a lost server into StoreUnavailableError. */
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreUnavailableError(new Error('the store is closed'));
    try {
      const result = await work();
      markAvailable();
      return result;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      markUnavailable();
      throw new StoreUnavailableError(error);
    }
  };

  const queryOn =
    (target: pg.Pool | pg.PoolClient) =>
    async <Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> =>
      (await target.query<Row>(statement(sql, params))).rows;

  /** A client of the pool, listened to while it is out: its connection may die under us. */
  const withClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      if (isConnectionError(error)) lost ??= error as Error;
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A client whose connection died, or that may still be inside a transaction, is dropped.
      client.release(lost ?? (unsettled.has(client) ? new Error('rollback failed') : undefined));
    }
  };

  /** Clients whose ROLLBACK failed: they may still be inside the transaction. */
  const unsettled = new WeakSet<pg.PoolClient>();
  const transactionOn = async <T>(client: pg.PoolClient, work: (tx: Queryable) => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await work({ query: queryOn(client) });
    } catch (error) {
      // When the connection is gone, the server rolls the transaction back itself.
      await client.query('ROLLBACK').catch(() => unsettled.add(client));
      throw error;
    }
    await client.query('COMMIT');
    return result;
  };

  return {
    query: (sql, params) => guarded(() => queryOn(pool)(sql, params)),
    transaction: (work) => guarded(() => withClient((client) => transactionOn(client, work))),
    session: (work) =>
      guarded(() =>
        withClient((client) =>
          work({
            query: queryOn(client),
            transaction: (inner) => transactionOn(client, inner),
          }),
        ),
      ),
    isAvailable: () => available && !closed,
    async close() {
      if (closed) return;
      closed = true;
      stopProbe();
      await pool.end();
    },
  };
}
