// The fake Discord's message context-menu commands, driven by the real discord.js client: the
// command's registration, the MESSAGE command interaction for a message of another member (text,
// mentions and custom emoji, images on the fake CDN, a video and a PDF, nothing at all), its
// original response as a reply to that message, and what fetching a message answers when the bot
// cannot read it.
import { readFileSync } from 'node:fs';
import {
  ApplicationCommandType,
  type Client,
  ContextMenuCommandBuilder,
  Events,
  GatewayIntentBits,
  type MessageContextMenuCommandInteraction,
  MessageType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  SlashCommandBuilder,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultBotPermissions, type FakeDiscord, startFakeDiscord } from './discord.ts';
import { discordError, loginToFake, nextEvent } from './fakeClient.ts';

const guildId = '100000000000000001';
const channelId = '200000000000000001';
const hiddenChannelId = '200000000000000002';
const alice = { id: '300000000000000001', username: 'alice', globalName: 'Alice' };
const bob = { id: '300000000000000002', username: 'bob', globalName: 'Bob B.' };
const png = readFileSync(new URL('../fixtures/reference.png', import.meta.url));

let discord: FakeDiscord;
let client: Client<true>;

beforeEach(async () => {
  discord = await startFakeDiscord({
    guilds: [{ id: guildId, channels: [{ id: channelId }, { id: hiddenChannelId }] }],
  });
  client = await loginToFake(discord);
});

afterEach(async () => {
  await client?.destroy();
  await discord?.close();
});

/** Uses Apps › Make a video on `messageId` as alice, and the interaction the client receives. */
async function makeAVideoOn(
  messageId: string,
  channel = channelId,
): Promise<{ interaction: MessageContextMenuCommandInteraction; token: string }> {
  const received = nextEvent(client, Events.InteractionCreate);
  const { token } = discord.sendMessageCommand({
    guildId,
    channelId: channel,
    user: alice,
    name: 'Make a video',
    messageId,
  });
  const [interaction] = await received;
  if (!interaction.isMessageContextMenuCommand())
    throw new Error(`not a message command: ${interaction.type}`);
  return { interaction, token };
}

describe('registering a message command', () => {
  it('records the command as registered, with the empty description Discord gives context-menu commands', async () => {
    const makeAVideo = new ContextMenuCommandBuilder()
      .setName('Make a video')
      .setNameLocalizations({ 'zh-CN': '生成视频' })
      .setType(ApplicationCommandType.Message);
    const video = new SlashCommandBuilder().setName('video').setDescription('Make a video');
    const registered = (await client.rest.put(Routes.applicationCommands(discord.applicationId), {
      body: [video.toJSON(), makeAVideo.toJSON()],
    })) as { name: string; type?: number; description: string }[];

    expect(registered.map(({ name, type, description }) => ({ name, type, description }))).toEqual([
      { name: 'video', type: ApplicationCommandType.ChatInput, description: 'Make a video' },
      { name: 'Make a video', type: ApplicationCommandType.Message, description: '' },
    ]);
    expect(discord.commands.get('global')).toHaveLength(2);
    const put = await discord.waitForCall((call) => call.method === 'PUT');
    expect(put.json).toEqual([video.toJSON(), makeAVideo.toJSON()]);
  });

  it('refuses a message command with a description or options, or a name over 32 characters, as Discord does', async () => {
    const error = await discordError(
      client.rest.put(Routes.applicationCommands(discord.applicationId), {
        body: [
          { type: ApplicationCommandType.Message, name: 'Make a video', description: 'Makes a video' },
          { type: ApplicationCommandType.Message, name: 'x'.repeat(33) },
          { type: ApplicationCommandType.Message, name: 'Remix', options: [{ type: 3, name: 'prompt' }] },
        ],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe(RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    expect(Object.keys((error.rawError as { errors: object }).errors)).toEqual(['0', '1', '2']);
    expect(discord.commands.get('global')).toBeUndefined();
  });
});

describe('a message command on a message of another member', () => {
  it('carries the message with its author, text, mentions and custom emoji in data.resolved.messages', async () => {
    const message = discord.seedMessage({
      channelId,
      author: bob,
      content: `a lighthouse for <@${alice.id}> and <@&400000000000000001> <:shipit:500000000000000001>`,
      mentions: [alice],
    });
    const { interaction } = await makeAVideoOn(message.id);

    expect(interaction.commandName).toBe('Make a video');
    expect(interaction.commandType).toBe(ApplicationCommandType.Message);
    expect(interaction.targetId).toBe(message.id);
    const target = interaction.targetMessage;
    expect(target.author).toMatchObject({ id: bob.id, username: 'bob', globalName: 'Bob B.', bot: false });
    expect(target.content).toBe(message.content);
    expect(target.mentions.users.map((user) => user.username)).toEqual(['alice']);
    expect(discord.messages.get(message.id)?.mentions).toEqual({
      users: [alice.id],
      roles: ['400000000000000001'],
      everyone: false,
    });
    expect(target.channelId).toBe(channelId);
    await interaction.reply({ content: 'ok', flags: 64 });
  });

  it('carries image attachments the fake CDN serves, with their type and size, and a video or PDF as what they are', async () => {
    const image = discord.addAttachment(png, 'boat.png', 'image/png', { width: 64, height: 48 });
    const video = discord.addAttachment(Buffer.from('....ftypisom'), 'clip.mp4', 'video/mp4');
    const pdf = discord.addAttachment(Buffer.from('%PDF-1.7 ...'), 'brief.pdf', 'application/pdf');
    const message = discord.seedMessage({
      channelId,
      author: bob,
      content: '',
      attachments: [image, video, pdf],
    });
    const { interaction } = await makeAVideoOn(message.id);

    const attachments = [...interaction.targetMessage.attachments.values()];
    expect(attachments.map(({ name, contentType, size }) => ({ name, contentType, size }))).toEqual([
      { name: 'boat.png', contentType: 'image/png', size: png.length },
      { name: 'clip.mp4', contentType: 'video/mp4', size: 12 },
      { name: 'brief.pdf', contentType: 'application/pdf', size: 12 },
    ]);
    expect(attachments[0]).toMatchObject({ width: 64, height: 48 });
    const served = await fetch(attachments[0]?.url ?? '');
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
  });

  it('carries a message with no text and no image as just that', async () => {
    const message = discord.seedMessage({ channelId, author: bob });
    const { interaction } = await makeAVideoOn(message.id);
    expect(interaction.targetMessage.content).toBe('');
    expect(interaction.targetMessage.attachments.size).toBe(0);
    expect(interaction.targetMessage.embeds).toEqual([]);
  });

  it("carries the bot's permissions in that channel as app_permissions", async () => {
    discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.AttachFiles);
    const message = discord.seedMessage({ channelId, author: bob, content: 'a boat' });
    const { interaction } = await makeAVideoOn(message.id);
    expect(interaction.appPermissions.has(PermissionFlagsBits.SendMessages)).toBe(true);
    expect(interaction.appPermissions.has(PermissionFlagsBits.AttachFiles)).toBe(false);
  });

  it("answers with a reply to the message: the original response's type is CONTEXT_MENU_COMMAND, its reference the message", async () => {
    const message = discord.seedMessage({ channelId, author: bob, content: 'a boat' });
    const { interaction, token } = await makeAVideoOn(message.id);
    const reply = await interaction.reply({ content: 'On its way', withResponse: true });

    expect(discord.originalMessage(token)).toMatchObject({
      type: MessageType.ContextMenuCommand,
      reference: { message_id: message.id, channel_id: channelId, guild_id: guildId },
    });
    expect(reply.resource?.message?.reference?.messageId).toBe(message.id);
  });
});

describe('fetching a message the bot cannot read', () => {
  const channel = () => client.channels.cache.get(channelId) as TextChannel;

  it('answers a deleted message with 10008 Unknown Message', async () => {
    const message = discord.seedMessage({ channelId, author: bob, content: 'a boat' });
    discord.deleteMessage(message.id);
    const error = await discordError(channel().messages.fetch({ message: message.id, force: true }));
    expect([error.status, error.code]).toEqual([404, RESTJSONErrorCodes.UnknownMessage]);
  });

  it('answers 50001 Missing Access in a channel the bot cannot view, or without Read Message History', async () => {
    const hidden = discord.seedMessage({ channelId: hiddenChannelId, author: bob, content: 'a secret' });
    discord.setBotPermissions(hiddenChannelId, defaultBotPermissions & ~PermissionFlagsBits.ViewChannel);
    const hiddenChannel = client.channels.cache.get(hiddenChannelId) as TextChannel;
    const unseen = await discordError(hiddenChannel.messages.fetch({ message: hidden.id, force: true }));
    expect([unseen.status, unseen.code]).toEqual([403, RESTJSONErrorCodes.MissingAccess]);

    const message = discord.seedMessage({ channelId, author: bob, content: 'a boat' });
    discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.ReadMessageHistory);
    const noHistory = await discordError(channel().messages.fetch({ message: message.id, force: true }));
    expect([noHistory.status, noHistory.code]).toEqual([403, RESTJSONErrorCodes.MissingAccess]);
    // A list is empty rather than refused.
    expect((await channel().messages.fetch({ limit: 10 })).size).toBe(0);
  });

  it('gives the message without its content, as to an app without the Message Content intent, unless it mentions the bot', async () => {
    const image = discord.addAttachment(png, 'boat.png', 'image/png');
    const plain = discord.seedMessage({ channelId, author: bob, content: 'a boat', attachments: [image] });
    const mentioning = discord.seedMessage({
      channelId,
      author: bob,
      content: `<@${discord.botUserId}> a boat`,
    });

    const fetched = await channel().messages.fetch({ message: plain.id, force: true });
    expect(fetched.author.id).toBe(bob.id);
    expect(fetched.content).toBe('');
    expect(fetched.attachments.size).toBe(0);
    expect((await channel().messages.fetch({ message: mentioning.id, force: true })).content).toBe(
      mentioning.content,
    );
    // The same message reaches a message command in full.
    const { interaction } = await makeAVideoOn(plain.id);
    expect(interaction.targetMessage.content).toBe('a boat');
    expect(interaction.targetMessage.attachments.size).toBe(1);
  });

  it('gives the content to an app approved for the Message Content intent', async () => {
    await client.destroy();
    await discord.close();
    discord = await startFakeDiscord({
      guilds: [{ id: guildId, channels: [{ id: channelId }] }],
      messageContentIntent: true,
    });
    client = await loginToFake(discord);
    const plain = discord.seedMessage({ channelId, author: bob, content: 'a boat' });
    expect((await channel().messages.fetch({ message: plain.id, force: true })).content).toBe('a boat');
  });

  it('closes a session asking for the Message Content intent the app is not approved for (4014)', async () => {
    const intents = [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
    ];
    await expect(loginToFake(discord, { intents })).rejects.toThrow(/disallowed intents/i);
  });

  it('sends MESSAGE_CREATE to sessions with Guild Messages, the content only to those with Message Content', async () => {
    await discord.close();
    discord = await startFakeDiscord({
      guilds: [{ id: guildId, channels: [{ id: channelId }] }],
      messageContentIntent: true,
    });
    const withContent = await loginToFake(discord, {
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    });
    const withoutContent = await loginToFake(discord, {
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    });
    try {
      const full = nextEvent(withContent, Events.MessageCreate);
      const bare = nextEvent(withoutContent, Events.MessageCreate);
      discord.seedMessage({ channelId, author: bob, content: 'a boat' });
      expect((await full)[0].content).toBe('a boat');
      expect((await bare)[0].content).toBe('');
    } finally {
      await withContent.destroy();
      await withoutContent.destroy();
    }
  });
});
