// `npm run migrate` as its own process: with nothing but DATABASE_PATH set, it brings the file to
// the latest schema, says so, and exits; a database from a newer reelbot is refused in a sentence.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { latestPostgresVersion } from '../../../src/jobs/store/postgres/migrations.ts';
import { latestVersion, migrate } from '../../../src/jobs/store/sqlite/migrations.ts';
import { freshDatabase } from '../../support/database.ts';
import { freePort } from '../../support/postgresServer.ts';
import { sqliteUserVersion, tempDbPath } from '../helpers.ts';

function runMigrate(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        join(import.meta.dirname, '../../../src/migrate.ts'),
      ],
      // No token, no provider key: the command needs neither. A cwd without a .env file.
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        cwd: import.meta.dirname,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run migrate', () => {
  it('creates the latest schema in a new file, and then finds nothing to do', async () => {
    const path = tempDbPath();
    const first = await runMigrate({ DATABASE_PATH: path });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`Migrated ${path} from schema version 0 to ${latestVersion}.\n`);
    expect(sqliteUserVersion(path)).toBe(latestVersion);

    const again = await runMigrate({ DATABASE_PATH: path });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${path} is at schema version ${latestVersion}, the latest: nothing to do.\n`);
  });

  it('upgrades a file an older reelbot left, keeping its jobs', async () => {
    const path = tempDbPath();
    const old = new BetterSqlite3(path);
    migrate(old, 5);
    old
      .prepare(
        `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at)
         VALUES ('g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'kept', 6, '1280x720', 'delivered', 1, 1)`,
      )
      .run();
    old.close();
    const result = await runMigrate({ DATABASE_PATH: path });
    expect(result.stdout).toBe(`Migrated ${path} from schema version 5 to ${latestVersion}.\n`);
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.prepare('SELECT prompt, state FROM jobs').all()).toEqual([
      { prompt: 'kept', state: 'delivered' },
    ]);
    db.close();
  });

  it('refuses a database from a newer reelbot with one sentence, leaving it as it was', async () => {
    const path = tempDbPath();
    const newer = new BetterSqlite3(path);
    newer.pragma(`user_version = ${latestVersion + 1}`);
    newer.close();
    const result = await runMigrate({ DATABASE_PATH: path });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Could not migrate ${path}: the database is at schema version ${latestVersion + 1}, newer than this reelbot (${latestVersion}); upgrade reelbot\n`,
    );
    expect(sqliteUserVersion(path)).toBe(latestVersion + 1);
  });
});

describe('npm run migrate with DATABASE_URL', () => {
  async function appliedVersions(url: string): Promise<number[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      return result.rows.map((row) => Number(row.version));
    } finally {
      await client.end();
    }
  }

  it('migrates the PostgreSQL database, not the SQLite file, and then finds nothing to do', async () => {
    const database = await freshDatabase();
    const path = tempDbPath();
    try {
      const env = { DATABASE_URL: database.url, DATABASE_PATH: path };
      const first = await runMigrate(env);
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(first.stdout).toBe(
        `Migrated DATABASE_URL's database from schema version 0 to ${latestPostgresVersion}.\n`,
      );
      expect(await appliedVersions(database.url)).toEqual(
        Array.from({ length: latestPostgresVersion }, (_, index) => index + 1),
      );
      const again = await runMigrate(env);
      expect(again.stdout).toBe(
        `DATABASE_URL's database is at schema version ${latestPostgresVersion}, the latest: nothing to do.\n`,
      );
      // The SQLite default was never touched.
      expect(existsSync(path)).toBe(false);
    } finally {
      await database.drop();
    }
  });

  it('says in one sentence, without the password, that the server cannot be reached', async () => {
    const port = await freePort();
    const result = await runMigrate({
      DATABASE_URL: `postgres://reelbot:s3cret-pw@127.0.0.1:${port}/reelbot`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Could not migrate DATABASE_URL's database: .*DATABASE_URL.*\n$/);
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
