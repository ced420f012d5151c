// `npm run migrate-to-postgres`: a one-off copy of the SQLite database (DATABASE_PATH) into the
// empty PostgreSQL database at DATABASE_URL, with the bot stopped. Everything is copied in one
// PostgreSQL transaction (all or nothing), ids kept, so cards, buttons and links made before the
// move keep finding their jobs; new ids continue after the copied ones. The SQLite file is only read.
import BetterSqlite3, { type Database as SqliteDatabase } from 'better-sqlite3';
import { loadToolConfig } from './config.ts';
import { booleanJobFields, jobColumns } from './jobs/store/columns.ts';
import { type Job, StoreUnavailableError } from './jobs/store/contract.ts';
import { createDatabase, type Queryable } from './jobs/store/postgres/database.ts';
import { migratePostgres } from './jobs/store/postgres/migrations.ts';
import { openFailure, withoutPassword } from './jobs/store/postgres/openFailure.ts';
import { DatabaseSettingError } from './jobs/store/settingError.ts';
import { latestVersion } from './jobs/store/sqlite/migrations.ts';

/** The SQLite schema version this copy reads: the latest of the SQLite migrations. */
export const sqliteVersionCopied = latestVersion;

/** The copy did not happen (nothing was written); the message says why and what to do. */
export class CopyError extends Error {
  constructor(sentence: string) {
    super(sentence);
    this.name = 'CopyError';
  }
}

export interface CopyCounts {
  jobs: number;
  guildSettings: number;
  blockedMembers: number;
  auditEntries: number;
  sharedValues: number;
  styles: number;
  channelSettings: number;
  blockedWords: number;
  promptRefusals: number;
  webhookDeliveries: number;
  webhookPending: number;
  generationSamples: number;
}

/** How one table is read from SQLite and written to PostgreSQL. */
interface TableCopy {
  table: string;
  columns: string[];
  orderBy: string;
  /** SQLite's value as PostgreSQL's column takes it. */
  convert?: (column: string, value: unknown) => unknown;
  /** The identity column whose sequence continues after the copied ids. */
  identity?: string;
  counted: keyof CopyCounts;
}

const booleanJobColumns = new Set([...booleanJobFields].map((field: keyof Job) => jobColumns[field]));

/** Copied in this order: a remix names an earlier job, and nothing else refers across tables. */
const tableCopies: TableCopy[] = [
  {
    table: 'jobs',
    // The leases are not copied: no process holds anything while the bot is stopped.
    columns: Object.values(jobColumns),
    orderBy: 'id',
    convert: (column, value) => (booleanJobColumns.has(column) ? value === 1 : value),
    identity: 'id',
    counted: 'jobs',
  },
  {
    table: 'guild_settings',
    columns: [
      'guild_id',
      'in_flight_per_user',
      'jobs_per_user_per_day',
      'seconds_per_day',
      'allowed_channel_ids',
      'moderator_role_id',
      'updated_at',
    ],
    orderBy: 'guild_id',
    convert: (column, value) => (column === 'allowed_channel_ids' ? JSON.parse(String(value)) : value),
    counted: 'guildSettings',
  },
  {
    table: 'blocked_members',
    columns: ['guild_id', 'user_id', 'blocked_by', 'reason', 'created_at'],
    orderBy: 'guild_id, user_id',
    counted: 'blockedMembers',
  },
  {
    table: 'audit_log',
    columns: ['id', 'guild_id', 'actor_id', 'action', 'target', 'details', 'created_at'],
    orderBy: 'id',
    identity: 'id',
    counted: 'auditEntries',
  },
  { table: 'key_values', columns: ['key', 'value', 'updated_at'], orderBy: 'key', counted: 'sharedValues' },
  {
    table: 'guild_styles',
    columns: [
      'guild_id',
      'name_key',
      'name',
      'text',
      'placement',
      'model',
      'size',
      'seconds',
      'created_by',
      'created_at',
    ],
    orderBy: 'guild_id, name_key',
    counted: 'styles',
  },
  {
    table: 'channel_settings',
    columns: [
      'guild_id',
      'channel_id',
      'model',
      'size',
      'seconds',
      'style_name',
      'threads',
      'max_seconds',
      'max_takes',
      'updated_at',
    ],
    orderBy: 'guild_id, channel_id',
    convert: (column, value) => (column === 'threads' && value !== null ? value === 1 : value),
    counted: 'channelSettings',
  },
  {
    table: 'blocked_words',
    columns: ['guild_id', 'word_key', 'word', 'created_by', 'created_at'],
    orderBy: 'guild_id, word_key',
    counted: 'blockedWords',
  },
  {
    table: 'prompt_refusals',
    columns: ['id', 'guild_id', 'user_id', 'reason', 'created_at'],
    orderBy: 'id',
    identity: 'id',
    counted: 'promptRefusals',
  },
  {
    table: 'webhook_deliveries',
    columns: ['webhook_id', 'received_at'],
    orderBy: 'webhook_id',
    counted: 'webhookDeliveries',
  },
  {
    table: 'webhook_pending',
    columns: ['remote_id', 'event', 'received_at'],
    orderBy: 'remote_id',
    counted: 'webhookPending',
  },
  {
    table: 'generation_samples',
    columns: ['id', 'model', 'seconds', 'size', 'duration_ms', 'finished_at'],
    orderBy: 'id',
    identity: 'id',
    counted: 'generationSamples',
  },
];

/** Rows per INSERT: 500 jobs bind about 22,000 values, well under PostgreSQL's 65,535. */
const batchRows = 500;

async function insertBatch(tx: Queryable, copy: TableCopy, rows: unknown[][]): Promise<void> {
  const width = copy.columns.length;
  const tuples = rows.map(
    (_, row) => `(${copy.columns.map((_column, index) => `$${row * width + index + 1}`).join(', ')})`,
  );
  await tx.query(
    `INSERT INTO ${copy.table} (${copy.columns.join(', ')}) VALUES ${tuples.join(', ')}`,
    rows.flat(),
  );
}

async function copyTable(sqlite: SqliteDatabase, tx: Queryable, copy: TableCopy): Promise<number> {
  const select = sqlite
    .prepare(`SELECT ${copy.columns.join(', ')} FROM ${copy.table} ORDER BY ${copy.orderBy}`)
    .raw();
  const convert = copy.convert ?? ((_column: string, value: unknown) => value);
  let batch: unknown[][] = [];
  let copied = 0;
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    batch.push(copy.columns.map((column, index) => convert(column, row[index])));
    if (batch.length === batchRows) {
      await insertBatch(tx, copy, batch);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await insertBatch(tx, copy, batch);
  copied += batch.length;
  if (copy.identity) {
    await tx.query(
      `SELECT setval(pg_get_serial_sequence('${copy.table}', '${copy.identity}'),
         COALESCE((SELECT MAX(${copy.identity}) FROM ${copy.table}), 0) + 1, false)`,
    );
  }
  return copied;
}

function openSqlite(path: string): SqliteDatabase {
  let sqlite: SqliteDatabase;
  try {
    sqlite = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CopyError(
      `DATABASE_PATH=${path} cannot be read (${error instanceof Error ? error.message : String(error)}): point it at the SQLite database to copy`,
    );
  }
  const version = sqlite.pragma('user_version', { simple: true }) as number;
  if (version !== sqliteVersionCopied) {
    sqlite.close();
    throw new CopyError(
      version < sqliteVersionCopied
        ? `the SQLite database ${path} is at schema version ${version}, older than this reelbot's ${sqliteVersionCopied}: run npm run migrate first, then copy it`
        : `the SQLite database ${path} is at schema version ${version}, newer than this reelbot (${sqliteVersionCopied}): upgrade reelbot, then copy it`,
    );
  }
  return sqlite;
}

/** Refuses a target that already holds rows: the copy goes only into an empty database. */
async function ensureEmpty(tx: Queryable): Promise<void> {
  // No bot may write while the copy runs; a second copy started meanwhile waits, then finds rows.
  await tx.query(`LOCK TABLE ${tableCopies.map((copy) => copy.table).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  const held: string[] = [];
  for (const copy of tableCopies) {
    const [row] = await tx.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${copy.table}`);
    if (row && row.n > 0) held.push(`${row.n} rows in ${copy.table}`);
  }
  if (held.length > 0) {
    throw new CopyError(
      `DATABASE_URL's database is not empty (${held.join(', ')}): the copy goes only into an empty database, and nothing was copied`,
    );
  }
}

/** Copies every row of the SQLite file at `sqlitePath` into the empty PostgreSQL at `databaseUrl`. */
export async function copySqliteToPostgres(
  sqlitePath: string,
  databaseUrl: string,
  now: () => number = Date.now,
): Promise<CopyCounts> {
  const sqlite = openSqlite(sqlitePath);
  const database = createDatabase(databaseUrl, {
    poolSize: 1,
    applicationName: 'reelbot migrate-to-postgres',
  });
  try {
    try {
      await migratePostgres(database, now);
    } catch (error) {
      throw openFailure(error, databaseUrl);
    }
    return await database.transaction(async (tx) => {
      await ensureEmpty(tx);
      const counts: CopyCounts = {
        jobs: 0,
        guildSettings: 0,
        blockedMembers: 0,
        auditEntries: 0,
        sharedValues: 0,
        styles: 0,
        channelSettings: 0,
        blockedWords: 0,
        promptRefusals: 0,
        webhookDeliveries: 0,
        webhookPending: 0,
        generationSamples: 0,
      };
      for (const copy of tableCopies) counts[copy.counted] = await copyTable(sqlite, tx, copy);
      return counts;
    });
  } catch (error) {
    if (error instanceof CopyError || error instanceof DatabaseSettingError) throw error;
    if (error instanceof StoreUnavailableError) throw openFailure(error, databaseUrl);
    // A row PostgreSQL refused: the transaction rolled back, so the target is as empty as before.
    const reason = withoutPassword(error instanceof Error ? error.message : String(error), databaseUrl);
    throw new CopyError(`the copy into DATABASE_URL's database failed and was rolled back (${reason})`);
  } finally {
    sqlite.close();
    await database.close();
  }
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export function describeCopy(counts: CopyCounts, sqlitePath: string): string {
  return [
    `Copied ${plural(counts.jobs, 'job', 'jobs')}, ${plural(counts.guildSettings, "server's settings", "servers' settings")}, ${plural(counts.blockedMembers, 'blocked member', 'blocked members')}, ${plural(counts.auditEntries, 'audit log entry', 'audit log entries')}, ${plural(counts.sharedValues, 'shared value', 'shared values')}, ${plural(counts.styles, 'style', 'styles')}, ${plural(counts.channelSettings, "channel's settings", "channels' settings")}, ${plural(counts.blockedWords, 'blocked word', 'blocked words')}, ${plural(counts.promptRefusals, 'refused prompt', 'refused prompts')}, ${plural(counts.webhookDeliveries + counts.webhookPending, 'webhook record', 'webhook records')} and ${plural(counts.generationSamples, 'generation time', 'generation times')} from ${sqlitePath} into PostgreSQL (DATABASE_URL).`,
    `Set DATABASE_URL for every process from now on; ${sqlitePath} was only read, and can be kept as a backup.`,
  ].join('\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { databasePath, databaseUrl } = loadToolConfig();
  if (!databaseUrl) {
    process.stderr.write(
      'DATABASE_URL is not set: set it to the empty PostgreSQL database to copy DATABASE_PATH into\n',
    );
    process.exit(1);
  }
  try {
    const counts = await copySqliteToPostgres(databasePath, databaseUrl);
    process.stdout.write(`${describeCopy(counts, databasePath)}\n`);
  } catch (error) {
    if (!(error instanceof CopyError || error instanceof DatabaseSettingError)) throw error;
    process.stderr.write(`reelbot did not copy the database: ${error.message}\n`);
    process.exit(1);
  }
}
