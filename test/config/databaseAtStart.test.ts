// Which store `npm start` opens, as a real process (src/main.ts): with no database setting, the
// SQLite file at DATABASE_PATH's default, nothing to install; with a DATABASE_URL that does not
// work, exit code 1 and one sentence naming DATABASE_URL, with no stack trace and without the
// password.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type BotProcess, logLines, startBotProcess } from '../e2e/botProcess.ts';
import { apiKey, botToken, channelId, guildId, isUpload, member, prompt, until } from '../e2e/harness.ts';
import { startFakeDiscord } from '../fakes/discord.ts';
import { startFakeVideoApi } from '../fakes/videoApi.ts';
import { asSuperuser, freshDatabase } from '../support/database.ts';
import { freePort } from '../support/postgresServer.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function start(env: Record<string, string>, cwd?: string): BotProcess & { exited: Promise<number | null> } {
  const bot = startBotProcess({ LOG_LEVEL: 'info', ...env }, [], { cwd });
  const exited = new Promise<number | null>((resolve) => bot.child.once('exit', resolve));
  cleanups.push(() => bot.child.kill('SIGKILL'));
  return { ...bot, exited };
}

describe('npm start with no database setting', () => {
  it('runs on the SQLite file data/reelbot.db beside where it starts, keeping videos in data/media', async () => {
    const discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
    const video = await startFakeVideoApi({ apiKey, pollsToComplete: 1 });
    cleanups.push(
      () => discord.close(),
      () => video.close(),
    );
    const cwd = mkdtempSync(join(tmpdir(), 'reelbot-default-store-'));
    const bot = start(
      {
        DISCORD_TOKEN: botToken,
        DISCORD_API_URL: discord.restUrl,
        VIDEO_API_BASE_URL: video.url,
        VIDEO_API_KEY: apiKey,
      },
      cwd,
    );
    await until(() => logLines(bot).some((line) => line.msg === 'slash commands registered'), 15_000);
    expect(logLines(bot).find((line) => line.msg === 'job store opened')).toMatchObject({
      store: 'sqlite',
      path: './data/reelbot.db',
    });
    const { token } = discord.sendCommand({
      guildId,
      channelId,
      user: member,
      name: 'video',
      options: [prompt('on the default store')],
    });
    await discord.waitForCall(isUpload(token), 20_000);
    await until(() => logLines(bot).some((line) => line.msg === 'job delivered'));

    const db = new BetterSqlite3(join(cwd, 'data', 'reelbot.db'), { readonly: true });
    expect(db.prepare('SELECT prompt, state FROM jobs').all()).toEqual([
      { prompt: 'on the default store', state: 'delivered' },
    ]);
    db.close();
    expect(readdirSync(join(cwd, 'data', 'media')).filter((name) => name.endsWith('.mp4'))).toHaveLength(1);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 40_000);
});

async function tablesOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('npm start with a DATABASE_URL that does not work', () => {
  const password = 'Never-Print-Me-42';

  /** Starts the bot on `url` and returns what it printed once it exited (with code 1). */
  async function refusedStart(url: string): Promise<string> {
    const cwd = mkdtempSync(join(tmpdir(), 'reelbot-bad-url-'));
    // Nothing else may fail first: the provider is simulated and Discord is never reached.
    const bot = start(
      {
        DISCORD_TOKEN: botToken,
        DISCORD_API_URL: 'http://127.0.0.1:9/api',
        VIDEO_SIMULATED: 'true',
        DATABASE_URL: url,
      },
      cwd,
    );
    expect(await bot.exited).toBe(1);
    const output = bot.output.join('');
    expect(output).not.toContain(password);
    // No stack trace, printed or inside a log line.
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('"stack"');
    // Nothing of SQLite was made on the way.
    expect(existsSync(join(cwd, 'data', 'reelbot.db'))).toBe(false);
    return output;
  }

  /** The lines after the log: what main.ts says of the configuration. */
  const saidAfterLog = (output: string) =>
    output
      .split('\n')
      .filter((line) => line && !line.startsWith('{'))
      .join('\n');

  it('says nothing answers at a closed port, and exits 1', async () => {
    const port = await freePort();
    const output = await refusedStart(`postgres://reelbot:${password}@127.0.0.1:${port}/reelbot`);
    expect(saidAfterLog(output)).toBe(
      [
        'reelbot cannot start: the configuration has problems.',
        `  - DATABASE_URL points at 127.0.0.1:${port}, where no PostgreSQL server accepts connections (connection refused): start it, or correct the host and port`,
        'Set them in the environment or in a .env file (see .env.example and the README).',
      ].join('\n'),
    );
  }, 30_000);

  it("says a role may not create reelbot's tables, and exits 1 leaving the database empty", async () => {
    const role = `reader_${randomBytes(4).toString('hex')}`;
    await asSuperuser(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    cleanups.push(() => asSuperuser(`DROP ROLE IF EXISTS ${role}`));
    // Owned by the superuser: PostgreSQL 15 and later let only the owner create in its public schema.
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const output = await refusedStart(url.href);
    expect(await tablesOf(database.url)).toEqual([]);
    expect(saidAfterLog(output)).toContain(
      `  - DATABASE_URL's user "${role}" may not create or use reelbot's tables in the database "${database.name}" (permission denied for schema public): make it the database's owner, or grant it CREATE and USAGE on the schema`,
    );
  }, 30_000);
});
