// `npm run migrate` as its own process: with nothing but DATABASE_PATH set, it brings the file to
// the latest schema, says so, and exits; a database from a newer reelbot is refused in a sentence.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { latestVersion, migrate } from '../../../src/jobs/store/sqlite/migrations.ts';
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
