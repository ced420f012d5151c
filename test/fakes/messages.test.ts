// The fake Discord's replies, deletes and attachment removal, driven by the real discord.js
// client: a reply is recorded with its message_reference (and whom it pings), a reply to a message
// that is not there fails as Discord fails it unless fail_if_not_exists is false; messages are
// deleted (the bot's own, another's with Manage Messages), an edit with `attachments: []`
// takes the files off a message, and a post repeated with `enforce_nonce` returns the first.
import { readFileSync } from 'node:fs';
import {
  AttachmentBuilder,
  type Client,
  Events,
  GatewayIntentBits,
  type Message,
  MessageType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultBotPermissions, type FakeDiscord, type RecordedCall, startFakeDiscord } from './discord.ts';
import { discordError, loginToFake, nextEvent } from './fakeClient.ts';

const guildId = '100000000000000001';
const channelId = '200000000000000001';
const alice = { id: '300000000000000001', username: 'alice' };
const bob = { id: '300000000000000002', username: 'bob' };
const png = readFileSync(new URL('../fixtures/reference.png', import.meta.url));

let discord: FakeDiscord;
let client: Client<true>;
const channel = () => client.channels.cache.get(channelId) as TextChannel;

beforeEach(async () => {
  discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
  client = await loginToFake(discord);
});

afterEach(async () => {
  await client?.destroy();
  await discord?.close();
});

const posts = () =>
  discord.calls.filter(
    (call: RecordedCall) => call.method === 'POST' && call.path === `/channels/${channelId}/messages`,
  );
const liveMessagesIn = (id: string) =>
  [...discord.messages.values()].filter((m) => m.channelId === id && !m.deleted);

describe('replies', () => {
  it('records a reply with its reference, and discord.js reads it back as a reply to that message', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    const fetched = await channel().messages.fetch(original.id);
    const reply = await fetched.reply({ content: `Here is a video for <@${bob.id}>` });

    expect(posts()[0]?.json).toMatchObject({
      message_reference: { message_id: original.id, fail_if_not_exists: true },
      allowed_mentions: { parse: [] },
    });
    expect(discord.messages.get(reply.id)).toMatchObject({
      type: MessageType.Reply,
      reference: { message_id: original.id, channel_id: channelId, guild_id: guildId },
    });
    expect(reply.type).toBe(MessageType.Reply);
    expect(reply.reference).toMatchObject({ messageId: original.id, channelId, guildId });
  });

  it('pings nobody with allowedMentions { parse: [] }, the replied-to author only when asked (repliedUser) or when allowed_mentions is left out', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    const quiet = await channel().send({
      content: `for <@${bob.id}>`,
      reply: { messageReference: original.id },
    });
    const asked = await channel().send({
      content: 'for you',
      reply: { messageReference: original.id },
      allowedMentions: { parse: [], repliedUser: true },
    });
    const defaults = await client.rest.post(`/channels/${channelId}/messages`, {
      body: { content: 'for you', message_reference: { message_id: original.id } },
    });

    expect(discord.messages.get(quiet.id)?.mentions.users).toEqual([]);
    expect(discord.messages.get(asked.id)?.mentions.users).toEqual([bob.id]);
    expect(discord.messages.get((defaults as { id: string }).id)?.mentions.users).toEqual([bob.id]);
  });

  it('refuses a reply to a message that is not there with 400 / 50035 MESSAGE_REFERENCE_UNKNOWN_MESSAGE, and posts nothing', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    discord.deleteMessage(original.id);
    const error = await discordError(
      channel().send({
        content: 'too late',
        reply: { messageReference: original.id, failIfNotExists: true },
      }),
    );

    expect([error.status, error.code]).toEqual([400, RESTJSONErrorCodes.InvalidFormBodyOrContentType]);
    expect((error.rawError as { errors: unknown }).errors).toEqual({
      message_reference: {
        _errors: [{ code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', message: 'Unknown message' }],
      },
    });
    expect(liveMessagesIn(channelId)).toEqual([]);
  });

  it('posts a plain message instead when fail_if_not_exists is false', async () => {
    const sent = await channel().send({
      content: 'anyway',
      reply: { messageReference: '200000000000000999', failIfNotExists: false },
    });
    expect(sent.type).toBe(MessageType.Default);
    expect(sent.reference).toBeNull();
    expect(discord.messages.get(sent.id)?.reference).toBeUndefined();
  });

  it('refuses a reply in a thread to a message of its parent channel: a reply is to a message of its own channel', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    const thread = await (await channel().messages.fetch(original.id)).startThread({ name: 'a lighthouse' });
    const error = await discordError(
      thread.send({ content: 'take 2', reply: { messageReference: original.id } }),
    );
    expect(error.code).toBe(RESTJSONErrorCodes.InvalidFormBodyOrContentType);
  });

  it('refuses a reply without Read Message History (160002)', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.ReadMessageHistory);
    const error = await discordError(
      channel().send({ content: 'x', reply: { messageReference: original.id } }),
    );
    expect([error.status, error.code]).toEqual([
      403,
      RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory,
    ]);
  });
});

describe('nonces', () => {
  const post = (body: Record<string, unknown>) =>
    client.rest.post(`/channels/${channelId}/messages`, { body }) as Promise<{ id: string; nonce?: string }>;

  it('returns the first message for a post repeated with the same nonce and enforce_nonce, creating none', async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    const body = {
      content: 'Job #7',
      nonce: '7-0a1b2c3d',
      enforce_nonce: true,
      message_reference: { message_id: original.id },
    };
    const first = await post(body);
    const again = await post(body);

    expect(again.id).toBe(first.id);
    expect(first.nonce).toBe('7-0a1b2c3d');
    expect(liveMessagesIn(channelId).filter((m) => m.authorId === discord.botUserId)).toHaveLength(1);
    expect(posts()).toHaveLength(2);
  });

  it('creates a second message without enforce_nonce, or once the first was deleted', async () => {
    const first = await post({ content: 'one', nonce: 'n-1' });
    const second = await post({ content: 'two', nonce: 'n-1' });
    expect(second.id).not.toBe(first.id);
    await channel().messages.delete(second.id);
    const third = await post({ content: 'three', nonce: 'n-1', enforce_nonce: true });
    expect(third.id).toBe(first.id);
    await channel().messages.delete(first.id);
    const fourth = await post({ content: 'four', nonce: 'n-1', enforce_nonce: true });
    expect([first.id, second.id]).not.toContain(fourth.id);
  });

  it('refuses a nonce over 25 characters with 400 / 50035, naming the field', async () => {
    const error = await discordError(post({ content: 'x', nonce: 'n'.repeat(26), enforce_nonce: true }));
    expect([error.status, error.code]).toEqual([400, RESTJSONErrorCodes.InvalidFormBodyOrContentType]);
    expect(Object.keys((error.rawError as { errors: object }).errors)).toEqual(['nonce']);
  });
});

describe('deleting messages', () => {
  it("deletes the bot's own message: DELETE recorded, MESSAGE_DELETE sent, fetching it answers 10008", async () => {
    await client.destroy();
    client = await loginToFake(discord, {
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    });
    const sent = await channel().send('a card');
    const deleted = nextEvent(client, Events.MessageDelete);
    await sent.delete();

    expect(
      discord.calls.some(
        (call) => call.method === 'DELETE' && call.path === `/channels/${channelId}/messages/${sent.id}`,
      ),
    ).toBe(true);
    expect(discord.messages.get(sent.id)?.deleted).toBe(true);
    expect((await deleted)[0].id).toBe(sent.id);
    const error = await discordError(channel().messages.fetch({ message: sent.id, force: true }));
    expect(error.code).toBe(RESTJSONErrorCodes.UnknownMessage);
  });

  it("deletes another member's message only with Manage Messages (else 50013)", async () => {
    const original = discord.seedMessage({ channelId, author: bob, content: 'a lighthouse' });
    const refused = await discordError(channel().messages.delete(original.id));
    expect([refused.status, refused.code]).toEqual([403, RESTJSONErrorCodes.MissingPermissions]);
    expect(discord.messages.get(original.id)?.deleted).toBeUndefined();

    discord.setBotPermissions(channelId, defaultBotPermissions | PermissionFlagsBits.ManageMessages);
    await channel().messages.delete(original.id);
    expect(discord.messages.get(original.id)?.deleted).toBe(true);
  });
});

describe('removing attachments by editing', () => {
  async function postedWithTwoFiles(): Promise<Message> {
    return channel().send({
      content: 'Job #12',
      files: [
        new AttachmentBuilder(png, { name: 'reelbot-12.mp4' }),
        new AttachmentBuilder(png, { name: 'thumb.png' }),
      ],
    });
  }

  it('takes every file off a message edited with attachments: [] through the channel route', async () => {
    const sent = await postedWithTwoFiles();
    expect(discord.messages.get(sent.id)?.attachments).toHaveLength(2);
    const edited = await sent.edit({ content: 'Removed by a moderator', attachments: [] });

    expect(discord.messages.get(sent.id)).toMatchObject({
      content: 'Removed by a moderator',
      attachments: [],
    });
    expect(edited.attachments.size).toBe(0);
    expect(edited.editedTimestamp).not.toBeNull();
  });

  it('keeps the files an edit lists by id, and takes the rest off', async () => {
    const sent = await postedWithTwoFiles();
    const thumbnail = sent.attachments.find((attachment) => attachment.name === 'thumb.png');
    if (!thumbnail) throw new Error('no thumbnail');
    const edited = await sent.edit({ attachments: [thumbnail] });
    expect(discord.messages.get(sent.id)?.attachments.map((attachment) => attachment.filename)).toEqual([
      'thumb.png',
    ]);
    expect([...edited.attachments.keys()]).toEqual([thumbnail.id]);
  });

  it("takes the files off an interaction's reply edited with attachments: []", async () => {
    const received = nextEvent(client, Events.InteractionCreate);
    const { token } = discord.sendCommand({ guildId, channelId, user: alice, name: 'video' });
    const [interaction] = await received;
    if (!interaction.isChatInputCommand()) throw new Error('not a command');
    await interaction.reply({
      content: 'Job #12',
      files: [new AttachmentBuilder(png, { name: 'reelbot-12.mp4' })],
    });
    expect(discord.originalMessage(token)?.attachments).toHaveLength(1);
    await interaction.editReply({ content: 'Removed by the requester', attachments: [] });
    expect(discord.originalMessage(token)).toMatchObject({
      content: 'Removed by the requester',
      attachments: [],
    });
  });
});
