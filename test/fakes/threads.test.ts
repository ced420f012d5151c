// The fake Discord's threads, driven by the real discord.js client: a thread started from a
// message (its id the message's, THREAD_CREATE and the message's MESSAGE_UPDATE over the gateway),
// messages posted in it, archiving (and posting into an archived or locked thread), deleting, and
// the permissions they take (Create Public Threads to start one, Send Messages in Threads to post).
import {
  ChannelType,
  type Client,
  Events,
  GatewayIntentBits,
  type Message,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  type TextChannel,
  type ThreadChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultBotPermissions, type FakeDiscord, startFakeDiscord } from './discord.ts';
import { discordError, loginToFake, nextEvent } from './fakeClient.ts';

const guildId = '100000000000000001';
const channelId = '200000000000000001';
const alice = { id: '300000000000000001', username: 'alice' };

let discord: FakeDiscord;
/** The bot, as reelbot builds its client (Guilds intent only). */
let client: Client<true>;
/** Another session that also asked for message events: it sees what the gateway sends. */
let observer: Client<true>;
const channel = () => client.channels.cache.get(channelId) as TextChannel;

beforeEach(async () => {
  discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
  client = await loginToFake(discord);
  observer = await loginToFake(discord, {
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
  });
});

afterEach(async () => {
  await client?.destroy();
  await observer?.destroy();
  await discord?.close();
});

async function cardWithThread(): Promise<{ card: Message; thread: ThreadChannel }> {
  const card = await channel().send('Job #12: a lighthouse at dawn');
  const thread = await card.startThread({ name: 'a lighthouse at dawn', autoArchiveDuration: 1440 });
  return { card, thread };
}

describe('starting a thread from a message', () => {
  it('makes a public thread with the message id, announced by THREAD_CREATE and the message by MESSAGE_UPDATE', async () => {
    const card = await channel().send('Job #12: a lighthouse at dawn');
    const created = nextEvent(observer, Events.ThreadCreate);
    const updated = nextEvent(observer, Events.MessageUpdate);
    const thread = await card.startThread({ name: 'a lighthouse at dawn', autoArchiveDuration: 1440 });

    const start = await discord.waitForCall((call) => call.path.endsWith(`/messages/${card.id}/threads`));
    expect([start.method, start.status]).toEqual(['POST', 201]);
    expect(start.json).toMatchObject({ name: 'a lighthouse at dawn', auto_archive_duration: 1440 });
    expect(thread).toMatchObject({
      id: card.id,
      type: ChannelType.PublicThread,
      parentId: channelId,
      name: 'a lighthouse at dawn',
      ownerId: discord.botUserId,
      archived: false,
      autoArchiveDuration: 1440,
    });
    const [announced, newlyCreated] = await created;
    expect([announced.id, newlyCreated]).toEqual([card.id, true]);
    const [, after] = await updated;
    expect(after.hasThread).toBe(true);
    expect(discord.thread(card.id)).toMatchObject({
      name: 'a lighthouse at dawn',
      deleted: false,
      archived: false,
    });
  });

  it('refuses a second thread on the same message (160004), a name over 100 characters and an archive duration Discord does not offer (50035)', async () => {
    const { card } = await cardWithThread();
    const again = await discordError(card.startThread({ name: 'again' }));
    expect([again.status, again.code]).toEqual([400, RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage]);

    const other = await channel().send('Job #13');
    const long = await discordError(other.startThread({ name: 'x'.repeat(101) }));
    expect(long.code).toBe(RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    expect(Object.keys((long.rawError as { errors: object }).errors)).toEqual(['name']);
    const duration = await discordError(other.startThread({ name: 'ok', autoArchiveDuration: 30 as never }));
    expect(Object.keys((duration.rawError as { errors: object }).errors)).toEqual(['auto_archive_duration']);
    expect(discord.thread(other.id)).toBeUndefined();
    // 100 characters are fine.
    expect((await other.startThread({ name: 'x'.repeat(100) })).name).toHaveLength(100);
  });

  it('refuses a thread from a thread (50024) and from a message that is not there (10008)', async () => {
    const { thread } = await cardWithThread();
    const inThread = await thread.send('take 2');
    // discord.js refuses this itself; Discord refuses it too.
    const deeper = client.rest.post(Routes.threads(thread.id, inThread.id), { body: { name: 'deeper' } });
    expect((await discordError(deeper)).code).toBe(RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType);
    const gone = await channel().send('Job #13');
    await gone.delete();
    expect((await discordError(channel().threads.create({ name: 'x', startMessage: gone.id }))).code).toBe(
      RESTJSONErrorCodes.UnknownMessage,
    );
  });
});

describe('the permissions threads take', () => {
  it('refuses a thread start without Create Public Threads (50013), which app_permissions shows', async () => {
    discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.CreatePublicThreads);
    const received = nextEvent(client, Events.InteractionCreate);
    discord.sendCommand({ guildId, channelId, user: alice, name: 'video' });
    const [interaction] = await received;
    expect(interaction.appPermissions?.has(PermissionFlagsBits.CreatePublicThreads)).toBe(false);
    expect(interaction.appPermissions?.has(PermissionFlagsBits.SendMessagesInThreads)).toBe(true);

    const card = await channel().send('Job #12');
    const refused = await discordError(card.startThread({ name: 'a lighthouse' }));
    expect([refused.status, refused.code]).toEqual([403, RESTJSONErrorCodes.MissingPermissions]);
    expect(discord.thread(card.id)).toBeUndefined();
  });

  it('starts a thread without Send Messages in Threads, as Discord does, but refuses posts in it (50013)', async () => {
    discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.SendMessagesInThreads);
    const { thread } = await cardWithThread();
    const refused = await discordError(thread.send('take 2'));
    expect([refused.status, refused.code]).toEqual([403, RESTJSONErrorCodes.MissingPermissions]);
    // Send Messages (which the bot has) does nothing in a thread.
    expect(discord.messages.size).toBe(1);
  });

  it('gives a thread its own permissions once set, else its parent channel’s', async () => {
    const { thread } = await cardWithThread();
    discord.setBotPermissions(thread.id, PermissionFlagsBits.ViewChannel);
    expect((await discordError(thread.send('take 2'))).code).toBe(RESTJSONErrorCodes.MissingPermissions);
    discord.setBotPermissions(thread.id, defaultBotPermissions);
    discord.setBotPermissions(channelId, 0n);
    expect((await thread.send('take 2')).channelId).toBe(thread.id);
  });
});

describe('posting in, archiving and deleting a thread', () => {
  it('keeps the messages posted in the thread as messages of the thread channel', async () => {
    const { thread } = await cardWithThread();
    const take = await thread.send('Job #13: take 2');
    expect(discord.messages.get(take.id)).toMatchObject({ channelId: thread.id, content: 'Job #13: take 2' });
    expect((await thread.messages.fetch({ limit: 10 })).map((message) => message.id)).toEqual([take.id]);
  });

  it('archives a thread (PATCH archived: true): edits there answer 50083, and a post unarchives it', async () => {
    const { thread } = await cardWithThread();
    const take = await thread.send('Job #13');
    const archivedUpdate = nextEvent(observer, Events.ThreadUpdate);
    await thread.setArchived(true);

    const patch = await discord.waitForCall(
      (call) => call.method === 'PATCH' && call.path === `/channels/${thread.id}`,
    );
    expect(patch.json).toEqual({ archived: true });
    expect(discord.thread(thread.id)?.archived).toBe(true);
    expect((await archivedUpdate)[1].archived).toBe(true);
    const edit = await discordError(take.edit('Job #13: done'));
    expect([edit.status, edit.code]).toEqual([400, RESTJSONErrorCodes.InvalidActionOnArchivedThread]);

    const unarchived = nextEvent(observer, Events.ThreadUpdate);
    await thread.send('Job #14');
    expect(discord.thread(thread.id)?.archived).toBe(false);
    expect((await unarchived)[1].archived).toBe(false);
  });

  it('refuses a post into a thread a moderator archived and locked (160005)', async () => {
    const { thread } = await cardWithThread();
    discord.archiveThread(thread.id, { locked: true });
    const refused = await discordError(thread.send('Job #14'));
    expect([refused.status, refused.code]).toEqual([403, RESTJSONErrorCodes.ThreadLocked]);
    expect(discord.thread(thread.id)?.archived).toBe(true);
  });

  it('refuses archiving a thread the bot did not start without Manage Threads (50013)', async () => {
    discord.createThread({ guildId, id: '200000000000000099', parentId: channelId });
    const thread = (await client.channels.fetch('200000000000000099')) as ThreadChannel;
    expect((await discordError(thread.setArchived(true))).code).toBe(RESTJSONErrorCodes.MissingPermissions);
    discord.setBotPermissions(channelId, defaultBotPermissions | PermissionFlagsBits.ManageThreads);
    await thread.setArchived(true);
    expect(discord.thread(thread.id)?.archived).toBe(true);
  });

  it('answers 10003 Unknown Channel once a moderator deleted the thread, announced by THREAD_DELETE', async () => {
    const { thread } = await cardWithThread();
    const deleted = nextEvent(client, Events.ThreadDelete);
    discord.deleteThread(thread.id);

    expect((await deleted)[0].id).toBe(thread.id);
    const post = await discordError(
      client.rest.post(`/channels/${thread.id}/messages`, { body: { content: 'Job #14' } }),
    );
    expect([post.status, post.code]).toEqual([404, RESTJSONErrorCodes.UnknownChannel]);
    const get = await discordError(client.channels.fetch(thread.id, { force: true }));
    expect(get.code).toBe(RESTJSONErrorCodes.UnknownChannel);
  });

  it('lets the bot delete a thread only with Manage Threads (50013)', async () => {
    const { thread } = await cardWithThread();
    expect((await discordError(thread.delete())).code).toBe(RESTJSONErrorCodes.MissingPermissions);
    discord.setBotPermissions(channelId, defaultBotPermissions | PermissionFlagsBits.ManageThreads);
    await thread.delete();
    expect(discord.thread(thread.id)?.deleted).toBe(true);
  });
});
