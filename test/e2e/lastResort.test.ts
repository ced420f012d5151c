// The process-wide last resort (src/main.ts), in a real process: a bug elsewhere is logged, and
// either the bot carries on or it stops the way SIGTERM stops it, never half-way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeVideoApi, startFakeVideoApi } from '../fakes/videoApi.ts';
import { type BotProcess, logLines, startBotProcess } from './botProcess.ts';
import { apiKey, botToken, channelId, guildId, member, prompt, until } from './harness.ts';
import { databaseIn, type TestDatabase } from './testDatabase.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A test-only module loaded before main.ts: on SIGUSR2 it runs `code` inside the bot's process. */
const onSigusr2 = (code: string) =>
  `--import=data:text/javascript,${encodeURIComponent(`process.on('SIGUSR2', () => { ${code} });`)}`;

async function start(fault: string): Promise<{
  bot: BotProcess;
  discord: FakeDiscord;
  video: FakeVideoApi;
  database: TestDatabase;
  exited: Promise<number | null>;
}> {
  const discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
  const video = await startFakeVideoApi({ apiKey, pollsToComplete: 1_000 });
  const dir = mkdtempSync(join(tmpdir(), 'reelbot-last-resort-'));
  const database = await databaseIn(dir);
  const bot = startBotProcess(
    {
      DISCORD_TOKEN: botToken,
      DISCORD_API_URL: discord.restUrl,
      VIDEO_API_BASE_URL: video.url,
      VIDEO_API_KEY: apiKey,
      ...database.env,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    [onSigusr2(fault)],
  );
  const exited = new Promise<number | null>((resolve) => bot.child.once('exit', resolve));
  cleanups.push(
    () => discord.close(),
    () => video.close(),
    () => bot.child.kill('SIGKILL'),
  );
  await until(() => bot.output.join('').includes('"msg":"slash commands registered"'), 15_000);
  return { bot, discord, video, database, exited };
}

function endpointPort(bot: BotProcess): number {
  const line = logLines(bot).find((entry) => entry.msg === 'HTTP endpoint listening');
  if (!line) throw new Error('the HTTP endpoint did not start');
  return (line.address as { port: number }).port;
}

describe('the last resort', () => {
  it('logs a promise that failed with nothing to handle it, and keeps serving', async () => {
    const { bot, exited } = await start("Promise.reject(new Error('a stray rejection'));");
    bot.child.kill('SIGUSR2');
    const logged = await until(() =>
      logLines(bot).find((entry) => (entry.err as { message?: string })?.message === 'a stray rejection'),
    );
    expect(logged.level).toBe(50);
    const livez = await fetch(`http://127.0.0.1:${endpointPort(bot)}/livez`);
    expect(livez.status).toBe(200);
    bot.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('stops gracefully on an uncaught exception with exit code 1, leaving the job to the next start', async () => {
    const { bot, discord, database, exited } = await start("throw new Error('a bug');");
    const { token } = discord.sendCommand({
      guildId,
      channelId,
      user: member,
      name: 'video',
      options: [prompt('survive a bug')],
    });
    await discord.waitForCall((c) => c.method === 'PATCH' && c.path.includes(token));
    bot.child.kill('SIGUSR2');
    expect(await exited).toBe(1);
    const lines = logLines(bot);
    const fatal = lines.find((entry) => entry.level === 60);
    expect((fatal?.err as { message?: string })?.message).toBe('a bug');
    expect(lines.some((entry) => entry.msg === 'shutting down')).toBe(true);
    expect(await database.query('SELECT state FROM jobs')).toEqual([
      { state: expect.stringMatching(/^(queued|in_progress)$/) },
    ]);
  }, 30_000);
});
