// discord.js's ShardingManager against the fake Discord: two shard processes, each identifying as
// one shard, each getting only its guilds and the interactions of its guilds (DMs: shard 0).
import { fileURLToPath } from 'node:url';
import { REST, type RESTGetAPIGatewayBotResult, Routes, ShardingManager } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type FakeDiscord, type RecordedCall, startFakeDiscord } from '../fakes/discord.ts';

const token = 'test-bot-token-sharding';
/** (id >> 22) % 2: this guild is shard 0's, the next one shard 1's. */
const guildOfShard0 = { id: '100000000000000001', channels: [{ id: '200000000000000001' }] };
const guildOfShard1 = { id: '111111111111111111', channels: [{ id: '222222222222222222' }] };
const member = { id: '333333333333333333', username: 'alice' };
const shardProcess = fileURLToPath(new URL('./shardProcess.ts', import.meta.url));
/** ShardingManager's constructor writes these into its own process's environment. */
const managerEnvironment = ['SHARDING_MANAGER', 'SHARDING_MANAGER_MODE', 'DISCORD_TOKEN'] as const;
const savedEnvironment = managerEnvironment.map((name) => [name, process.env[name]] as const);

let discord: FakeDiscord;
let manager: ShardingManager;

beforeAll(async () => {
  discord = await startFakeDiscord({ recommendedShards: 2, guilds: [guildOfShard0, guildOfShard1] });
  // ShardingManager's own totalShards 'auto' asks discord.com whatever the client's rest.api says
  // (fetchRecommendedShardCount uses RouteBases.api), so the count is asked through REST at the fake.
  const gateway = (await new REST({ api: discord.restUrl })
    .setToken(token)
    .get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
  manager = new ShardingManager(shardProcess, {
    totalShards: gateway.shards,
    token,
    respawn: false,
    execArgv: ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'],
    shardArgs: [discord.restUrl],
  });
  // Discord allows one IDENTIFY per 5 s per max_concurrency bucket (hence the default delay of
  // 5.5 s between spawns); the fake does not limit them.
  await manager.spawn({ delay: 0, timeout: 15_000 });
}, 30_000);

afterAll(async () => {
  for (const shard of manager?.shards.values() ?? []) shard.kill();
  await discord?.close();
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const callbackOf = (interactionToken: string) => (call: RecordedCall) =>
  call.method === 'POST' && call.path.endsWith(`/${interactionToken}/callback`);

describe('sharding with ShardingManager against the fake Discord', () => {
  it('fetches the recommended count, then each process identifies as its shard and holds only its guilds', async () => {
    expect(manager.totalShards).toBe(2);
    expect(discord.identifiedShards().sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    const guildsPerShard = await manager.broadcastEval((client) => [...client.guilds.cache.keys()]);
    expect(guildsPerShard).toEqual([[guildOfShard0.id], [guildOfShard1.id]]);
  });

  it("delivers an interaction to the one process of its guild's shard, and a DM's to shard 0", async () => {
    const onShard1 = discord.sendCommand({
      name: 'video',
      guildId: guildOfShard1.id,
      channelId: guildOfShard1.channels[0]?.id ?? '',
      user: member,
    });
    const onShard0 = discord.sendCommand({
      name: 'video',
      guildId: guildOfShard0.id,
      channelId: guildOfShard0.channels[0]?.id ?? '',
      user: member,
    });
    const inDirectMessage = discord.sendCommand({
      name: 'video',
      channelId: '444444444444444444',
      user: member,
    });

    const answers = await Promise.all(
      [onShard1, onShard0, inDirectMessage].map((sent) => discord.waitForCall(callbackOf(sent.token))),
    );
    expect(answers.map((call) => (call.json as { data?: { content?: string } }).data?.content)).toEqual([
      'shard 1',
      'shard 0',
      'shard 0',
    ]);
    const seen = await manager.broadcastEval(
      (client) => (client as unknown as { seenInteractions: string[] }).seenInteractions,
    );
    expect(seen).toEqual([[onShard0.id, inDirectMessage.id], [onShard1.id]]);
    for (const sent of [onShard1, onShard0, inDirectMessage])
      expect(discord.calls.filter(callbackOf(sent.token))).toHaveLength(1);
  });

  it('closes a session that identifies with a shard outside its count (4010 Invalid shard)', async () => {
    const socket = new WebSocket(discord.gatewayUrl);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ op: 2, d: { token, intents: 1, properties: {}, shard: [2, 2] } }));
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      socket.once('close', (closeCode, closeReason) => resolve([closeCode, String(closeReason)])),
    );
    expect([code, reason]).toEqual([4010, 'Invalid shard']);
  });
});
