// One shard process of test/discord/sharding.test.ts, spawned by discord.js's ShardingManager,
// which hands it its shard and the shard count (SHARDS, SHARD_COUNT) and the token (DISCORD_TOKEN)
// in its environment. It logs into the fake Discord whose REST URL is its first argument, notes
// every interaction it receives and answers commands with the shard it runs as.
import { Client, Events, GatewayIntentBits } from 'discord.js';

const [restUrl] = process.argv.slice(2);
const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: restUrl } });
/** Read by the test through ShardingManager.broadcastEval. */
const seenInteractions: string[] = [];
Object.assign(client, { seenInteractions });

client.on(Events.InteractionCreate, async (interaction) => {
  seenInteractions.push(interaction.id);
  if (interaction.isChatInputCommand()) await interaction.reply(`shard ${client.shard?.ids.join(',')}`);
});

await client.login();
