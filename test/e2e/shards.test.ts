// SHARDS through `npm start`'s entry point (src/main.ts as a real process): a shard manager that
// starts one real child process per gateway shard (discord.js's ShardingManager), against the
// sharded fake Discord and the fake video API, all on one database (of the store this run tests).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDiscord, type RecordedCall, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeVideoApi, startFakeVideoApi } from '../fakes/videoApi.ts';
import { type BotProcess, logLines, startBotProcess } from './botProcess.ts';
import { apiKey, botToken, envForFakes, isUpload, member, prompt, sampleVideo, until } from './harness.ts';
import { databaseIn, type TestDatabase } from './testDatabase.ts';

/** (id >> 22) % 2: this guild is shard 0's, the next one shard 1's (of two). */
const guildOfShard0 = { id: '100000000000000001', channels: [{ id: '200000000000000001' }] };
const guildOfShard1 = { id: '111111111111111111', channels: [{ id: '222222222222222222' }] };
const invalidToken = 'An invalid token was provided.';

type LogLine = Record<string, unknown>;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

async function fakes(options: { recommendedShards?: number } = {}) {
  const discord = await startFakeDiscord({
    token: botToken,
    recommendedShards: options.recommendedShards ?? 2,
    // Both shards may identify at once, so the manager need not wait 5.5 s between them.
    maxConcurrency: 16,
    guilds: [guildOfShard0, guildOfShard1],
  });
  const video = await startFakeVideoApi({ apiKey, pollsToComplete: 1 });
  cleanups.push(
    () => discord.close(),
    () => video.close(),
  );
  return { discord, video };
}

async function botEnv(discord: FakeDiscord, video: FakeVideoApi, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'reelbot-shards-'));
  return { ...envForFakes(discord, video, dir), ...(await databaseIn(dir)).env, LOG_LEVEL: 'info', ...env };
}

function start(env: Record<string, string>): BotProcess & { exited: Promise<number | null> } {
  const bot = startBotProcess(env);
  const exited = new Promise<number | null>((resolve) => bot.child.once('exit', resolve));
  cleanups.push(() => bot.child.kill('SIGKILL'));
  return { ...bot, exited };
}

const linesOf = (bot: BotProcess, msg: string) => logLines(bot).filter((line) => line.msg === msg);
const errorOf = (line: LogLine | undefined) => (line?.err as { message?: string } | undefined)?.message;

/** The pids of the processes the manager started for `shard`, in order. */
const pidsOf = (bot: BotProcess, shard: number) =>
  linesOf(bot, 'shard process started')
    .filter((line) => line.shard === shard)
    .map((line) => line.pid as number);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A port `base` with `base + 1` … `base + count - 1` free too (shard processes listen on base + id). */
async function consecutiveFreePorts(count: number): Promise<number> {
  const listen = (port: number) =>
    new Promise<Server | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen(0);
    const address = first?.address();
    if (!first || !address || typeof address === 'string') continue;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => listen(address.port + i + 1)));
    await Promise.all([first, ...rest].map((server) => server && new Promise((done) => server.close(done))));
    if (rest.every(Boolean)) return address.port;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** Waits until `path` on the port answers `expected`. */
async function statusBecomes(
  port: number,
  path: string,
  expected: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A process starting again is not listening yet: that is no answer either.
  const answer = () =>
    fetch(`http://127.0.0.1:${port}${path}`).then(
      (response) => response.status,
      () => 0,
    );
  while ((await answer()) !== expected) {
    if (Date.now() > deadline) throw new Error(`${path} on port ${port} never answered ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A member's `/video` in a guild's first channel. */
const videoIn = (discord: FakeDiscord, guild: typeof guildOfShard0, text: string) =>
  discord.sendCommand({
    name: 'video',
    guildId: guild.id,
    channelId: guild.channels[0]?.id ?? '',
    user: member,
    options: [prompt(text)],
  });

const callbackOf = (token: string) => (call: RecordedCall) =>
  call.method === 'POST' && call.path.endsWith(`/${token}/callback`);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('SHARDS=2 through npm start', () => {
  let discord: FakeDiscord;
  let video: FakeVideoApi;
  let manager: ReturnType<typeof start>;
  let port: number;
  let database: TestDatabase;

  beforeAll(async () => {
    ({ discord, video } = await fakes());
    port = await consecutiveFreePorts(2);
    const env = await botEnv(discord, video, {
      SHARDS: '2',
      // Until the store's claims are leases, one tracker: shard 0's process polls and delivers.
      TRACKER_SHARDS: '0',
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
    });
    database = await databaseIn(dirname(env.DATABASE_PATH));
    manager = start(env);
    await until(() => linesOf(manager, 'every shard connected').length === 1, 30_000);
  }, 40_000);

  it('registers the commands once, from the manager, and each child identifies as its shard', async () => {
    const registrations = discord.calls.filter(
      (call) => call.method === 'PUT' && /^\/applications\/\d+\/commands$/.test(call.path),
    );
    expect(registrations).toHaveLength(1);
    expect(linesOf(manager, 'slash commands registered')).toEqual([
      expect.objectContaining({ process: 'shard manager', count: 5 }),
    ]);
    expect(discord.identifiedShards().sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    const started = linesOf(manager, 'shard process started');
    expect(started.map(({ shard, shards, tracker }) => ({ shard, shards, tracker }))).toEqual([
      { shard: 0, shards: 2, tracker: true },
      { shard: 1, shards: 2, tracker: false },
    ]);
    expect(new Set([manager.child.pid, ...started.map((line) => line.pid)]).size).toBe(3);
    // No client in the manager: every session is a child's.
    expect(discord.sessionsStarted()).toHaveLength(2);
    await until(() =>
      linesOf(manager, 'TRACKER=false: gateway only; another process polls and delivers the jobs'),
    );
    expect(
      linesOf(manager, 'tracker running: polling, delivering and pruning from this process').map(
        (l) => l.shard,
      ),
    ).toEqual([0]);
  });

  it("answers a /video in each shard's guild from that shard's process; the one tracker delivers each once", async () => {
    // Shard 1's first: shard 0's tracker has nothing of its own to poll, and must still see it.
    const onShard1 = videoIn(discord, guildOfShard1, 'from the second shard');
    const first = await discord.waitForCall(isUpload(onShard1.token), 20_000);
    const onShard0 = videoIn(discord, guildOfShard0, 'from the first shard');
    const second = await discord.waitForCall(isUpload(onShard0.token), 20_000);
    for (const upload of [first, second]) expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);

    const submitted = linesOf(manager, 'job submitted');
    expect(submitted.map(({ shard, guildId }) => ({ shard, guildId }))).toEqual([
      { shard: 1, guildId: guildOfShard1.id },
      { shard: 0, guildId: guildOfShard0.id },
    ]);
    await until(() => linesOf(manager, 'job delivered').length === 2);
    expect(linesOf(manager, 'job delivered').map(({ shard, jobId }) => ({ shard, jobId }))).toEqual(
      submitted.map(({ jobId }) => ({ shard: 0, jobId })),
    );
    for (const token of [onShard1.token, onShard0.token]) {
      expect(discord.calls.filter(callbackOf(token))).toHaveLength(1);
      expect(discord.calls.filter(isUpload(token))).toHaveLength(1);
    }
    expect(video.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
    expect(await database.query('SELECT guild_id AS "guildId", state FROM jobs ORDER BY id')).toEqual([
      { guildId: guildOfShard1.id, state: 'delivered' },
      { guildId: guildOfShard0.id, state: 'delivered' },
    ]);
  }, 45_000);

  it("serves /livez, /readyz and /metrics per process on HTTP_PORT + shard id; a shard's /readyz is its own gateway", async () => {
    const status = async (shard: number, path: string) =>
      (await fetch(`http://127.0.0.1:${port + shard}${path}`)).status;
    for (const shard of [0, 1]) {
      expect(await status(shard, '/livez')).toBe(200);
      expect(await status(shard, '/readyz')).toBe(200);
    }
    const metrics = async (shard: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port + shard}/metrics`)).text();
      const count = (operation: string) =>
        Number(
          new RegExp(`^reelbot_provider_requests_total\\{operation="${operation}"\\} (\\d+)$`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      return { create: count('create'), retrieve: count('retrieve') };
    };
    // Each process counts its own requests: one create each, and only the tracker's polls.
    expect(await metrics(0)).toEqual({ create: 1, retrieve: expect.any(Number) });
    expect((await metrics(0)).retrieve).toBeGreaterThanOrEqual(2);
    expect(await metrics(1)).toEqual({ create: 1, retrieve: 0 });

    const outage = discord.holdShard(1);
    try {
      await statusBecomes(port + 1, '/readyz', 503);
      expect(await status(0, '/readyz')).toBe(200);
    } finally {
      outage.release();
    }
    await statusBecomes(port + 1, '/readyz', 200);
  }, 30_000);

  it('starts a shard process killed with SIGKILL again; its shard reconnects and takes interactions', async () => {
    const [killed] = pidsOf(manager, 1);
    const sessionsBefore = discord.sessionsStarted().filter(([id]) => id === 1).length;
    process.kill(killed ?? 0, 'SIGKILL');
    const death = await until(() => linesOf(manager, 'a shard process died; starting it again')[0], 15_000);
    expect(death).toMatchObject({ shard: 1, signal: 'SIGKILL', level: 40 });
    await until(() => pidsOf(manager, 1).length === 2, 15_000);
    await until(() => discord.sessionsStarted().filter(([id]) => id === 1).length > sessionsBefore, 20_000);
    await statusBecomes(port + 1, '/readyz', 200);
    expect(pidsOf(manager, 1)[1]).not.toBe(killed);
    expect(discord.sessionsStarted().filter(([id]) => id === 1).length).toBe(sessionsBefore + 1);
    expect(discord.identifiedShards().sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    // The respawned process is still gateway only: shard 0's tracker delivers its job.
    const again = videoIn(discord, guildOfShard1, 'after a respawn');
    await discord.waitForCall(isUpload(again.token), 20_000);
    expect(linesOf(manager, 'job submitted').at(-1)).toMatchObject({ shard: 1 });
    expect(linesOf(manager, 'job delivered').at(-1)).toMatchObject({ shard: 0 });
  }, 60_000);

  it('stops every shard gracefully on SIGTERM, then itself, with exit code 0', async () => {
    const children = [...pidsOf(manager, 0), ...pidsOf(manager, 1)].filter(alive);
    expect(children).toHaveLength(2);
    manager.child.kill('SIGTERM');
    expect(await manager.exited).toBe(0);
    const stops = linesOf(manager, 'shutting down');
    expect(stops.map(({ shard, process: role, reason }) => ({ shard, role, reason })).sort()).toEqual(
      expect.arrayContaining([
        { shard: undefined, role: 'shard manager', reason: 'SIGTERM' },
        { shard: 0, role: undefined, reason: 'SIGTERM' },
        { shard: 1, role: undefined, reason: 'SIGTERM' },
      ]),
    );
    expect(stops).toHaveLength(3);
    expect(children.filter(alive)).toEqual([]);
    expect(linesOf(manager, 'a shard process died; starting it again')).toHaveLength(1);
  }, 40_000);
});

describe('SHARDS=auto', () => {
  it("starts the fake Discord's recommended count, and shards whose manager was killed stop by themselves", async () => {
    const { discord, video } = await fakes({ recommendedShards: 3 });
    const manager = start(await botEnv(discord, video, { SHARDS: 'auto' }));
    await until(() => linesOf(manager, 'every shard connected').length === 1, 40_000);
    expect(linesOf(manager, 'every shard connected')[0]).toMatchObject({ shards: 3, trackerShards: 'all' });
    expect(discord.identifiedShards().sort()).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    // Every process runs the tracker unless TRACKER or TRACKER_SHARDS says otherwise.
    expect(linesOf(manager, 'shard process started').map((line) => line.tracker)).toEqual([true, true, true]);

    const children = [0, 1, 2].flatMap((shard) => pidsOf(manager, shard));
    manager.child.kill('SIGKILL');
    await until(() => children.every((pid) => !alive(pid)), 30_000);
    expect(
      linesOf(manager, 'shutting down')
        .map((line) => [line.shard, line.reason])
        .sort(),
    ).toEqual([
      [0, 'the shard manager is gone'],
      [1, 'the shard manager is gone'],
      [2, 'the shard manager is gone'],
    ]);
  }, 60_000);
});

describe('starts that fail', () => {
  it('refuses a bad token before any shard starts, in the words of the one process', async () => {
    const { discord, video } = await fakes();
    const env = await botEnv(discord, video, { DISCORD_TOKEN: 'a-token-that-was-reset-long-ago' });
    const single = start(env);
    expect(await single.exited).toBe(1);
    const words = linesOf(single, 'reelbot could not start');
    expect(words.map(errorOf)).toEqual([invalidToken]);

    const sharded = start({ ...env, SHARDS: '2' });
    expect(await sharded.exited).toBe(1);
    expect(linesOf(sharded, 'reelbot could not start').map(errorOf)).toEqual([invalidToken]);
    expect(linesOf(sharded, 'shard process started')).toEqual([]);
    expect(discord.sessionsStarted()).toEqual([]);
  }, 30_000);

  it('stops when a shard cannot log in (its token was reset meanwhile), instead of starting it again and again', async () => {
    const { discord, video } = await fakes();
    const manager = start(await botEnv(discord, video, { SHARDS: '2' }));
    await until(() => linesOf(manager, 'slash commands registered').length === 1, 15_000);
    discord.revokeToken();
    expect(await manager.exited).toBe(1);
    const failed = linesOf(manager, 'reelbot could not start');
    expect(failed.map((line) => [line.shard ?? line.process, errorOf(line)])).toEqual([
      [0, invalidToken],
      ['shard manager', expect.stringContaining("Shard 0's process exited before its Client became ready")],
    ]);
    expect(pidsOf(manager, 0)).toHaveLength(1);
    expect(pidsOf(manager, 1)).toEqual([]);
    expect(linesOf(manager, 'a shard process died; starting it again')).toEqual([]);
    expect(discord.sessionsStarted()).toEqual([]);
  }, 30_000);

  it('refuses SHARDS=auto when the recommended count rules out TRACKER_SHARDS, before any shard starts', async () => {
    const { discord, video } = await fakes({ recommendedShards: 2 });
    const manager = start(await botEnv(discord, video, { SHARDS: 'auto', TRACKER_SHARDS: '0,2' }));
    expect(await manager.exited).toBe(1);
    expect(linesOf(manager, 'reelbot could not start').map(errorOf)).toEqual([
      'SHARDS=auto: Discord recommends 2 shards, and TRACKER_SHARDS names shard 2, but there are 2 shards (0 to 1)',
    ]);
    expect(linesOf(manager, 'shard process started')).toEqual([]);
  }, 30_000);

  it("SHARDS=1 is today's one process: no manager, it registers and identifies as the only shard", async () => {
    const { discord, video } = await fakes();
    const single = start(await botEnv(discord, video, { SHARDS: '1' }));
    await until(() => linesOf(single, 'slash commands registered').length === 1, 15_000);
    expect(discord.identifiedShards()).toEqual([[0, 1]]);
    expect(linesOf(single, 'starting reelbot')).toEqual([
      expect.not.objectContaining({ process: expect.anything() }),
    ]);
    single.child.kill('SIGTERM');
    expect(await single.exited).toBe(0);
  }, 30_000);
});
