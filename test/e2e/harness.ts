// Starts the real bot (src/bot.ts, as src/main.ts does) against the fake Discord and the fake video API.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord.js';
import { expect } from 'vitest';
import { commandSet } from '../../commands/index.ts';
import { type Bot, startBot } from '../../src/bot.ts';
import { loadConfig } from '../../src/config.ts';
import { type JobAction, jobCustomId } from '../../src/discord/customIds.ts';
import { createLogger } from '../../src/log.ts';
import {
  type FakeDiscord,
  type InteractionInput,
  type RecordedCall,
  startFakeDiscord,
} from '../fakes/discord.ts';
import { type FakeVideoApi, type FakeVideoApiOptions, startFakeVideoApi } from '../fakes/videoApi.ts';
import { databaseIn, deleteDatabase, storeUnderTest, type TestDatabase } from './testDatabase.ts';

export const guildId = '111111111111111111';
export const otherGuildId = '111111111111111112';
export const channelId = '222222222222222222';
export const otherChannelId = '222222222222222223';
export const member = { id: '333333333333333333', username: 'alice' };
export const otherMember = { id: '333333333333333334', username: 'bob' };
export const moderator = { id: '333333333333333335', username: 'mod' };
export const moderatorRoleId = '444444444444444444';
export const botToken = 'test-bot-token-abcdef';
export const apiKey = 'test-key';
/** Manage Messages (1 << 13) and Manage Server (1 << 5). */
export const moderatorPermissions = String((1n << 13n) | (1n << 5n));

export const fastPolls = {
  firstPollMs: 30,
  floorMs: 20,
  ceilingMs: 200,
  blindIntervalMs: 50,
  stallAfterMs: 5_000,
};

/**
 * The settings that point a bot at these fakes, with its media folder and SQLite file in `dir`; on
 * PostgreSQL, add the env of `databaseIn(dir)`.
 */
export function envForFakes(discord: FakeDiscord, video: FakeVideoApi, dir: string) {
  return {
    DISCORD_TOKEN: botToken,
    DISCORD_API_URL: discord.restUrl,
    VIDEO_API_BASE_URL: video.url,
    VIDEO_API_KEY: apiKey,
    DATABASE_PATH: join(dir, 'reelbot.db'),
    MEDIA_DIR: join(dir, 'media'),
  };
}

export interface Harness {
  discord: FakeDiscord;
  video: FakeVideoApi;
  bot: Bot;
  dir: string;
  /** The bot's database, on the store this run tests (see testDatabase.ts). */
  database: TestDatabase;
  logs: string[];
  /** Moves the bot's clock forward (token expiry, quotas) without waiting. */
  advance(ms: number): void;
  /**
   * Stops the bot (unless it already is) and starts a new one on the same database; `env` changes
   * settings for it and every later start (another host's MEDIA_DIR, say).
   */
  restart(options?: { alreadyStopped?: boolean; env?: Record<string, string> }): Promise<void>;
  command(input: Partial<InteractionInput> & { name?: string; options?: unknown[]; resolved?: unknown }): {
    id: string;
    token: string;
  };
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    video?: FakeVideoApiOptions;
    env?: Record<string, string>;
    dir?: string;
    /** How long the bot may check an image before acknowledging (its default is 2 s). */
    checkBeforeAcknowledgeMs?: number;
  } = {},
): Promise<Harness> {
  const video = await startFakeVideoApi({ apiKey, pollsToComplete: 3, ...options.video });
  const discord = await startFakeDiscord({
    guilds: [
      {
        id: guildId,
        channels: [{ id: channelId }, { id: otherChannelId }],
        roles: [{ id: moderatorRoleId, name: 'video mods', permissions: '0' }],
      },
      { id: otherGuildId, channels: [{ id: '222222222222222224' }] },
    ],
  });
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'reelbot-e2e-'));
  const database = await databaseIn(dir);
  const env = { ...envForFakes(discord, video, dir), ...database.env, LOG_LEVEL: 'debug', ...options.env };
  const configFrom = (settings: Record<string, string>) => {
    const result = loadConfig(settings);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    return result.config;
  };
  let config = configFrom(env);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination, secrets: [botToken, apiKey] });
  let offset = 0;
  const now = () => Date.now() + offset;
  const launch = () =>
    startBot({
      config,
      logger,
      commands: commandSet,
      now,
      minEditIntervalMs: 50,
      pollPolicy: fastPolls,
      deliveryRetryBaseMs: 50,
      checkBeforeAcknowledgeMs: options.checkBeforeAcknowledgeMs,
    });
  const launchOnStoreUnderTest = async () => {
    const bot = await launch();
    // A setting that chose the other store would pass every test on it, unnoticed.
    if (!options.env?.DATABASE_URL && bot.store.kind !== storeUnderTest) {
      await bot.stop();
      throw new Error(`the bot opened ${bot.store.kind}, not the ${storeUnderTest} this run tests`);
    }
    return bot;
  };
  const harness: Harness = {
    discord,
    video,
    bot: await launchOnStoreUnderTest(),
    dir,
    database,
    logs,
    advance(ms) {
      offset += ms;
    },
    async restart(restartOptions = {}) {
      if (!restartOptions.alreadyStopped) await harness.bot.stop();
      if (restartOptions.env) config = configFrom({ ...env, ...restartOptions.env });
      harness.bot = await launchOnStoreUnderTest();
    },
    command(input) {
      return discord.sendCommand({
        guildId,
        channelId,
        user: member,
        name: 'video',
        options: [],
        ...input,
      } as Parameters<FakeDiscord['sendCommand']>[0]);
    },
    async close() {
      await harness.bot.stop().catch(() => undefined);
      await discord.close();
      await video.close();
      // A folder of the test's own is never started in again; one it passed in may be.
      if (!options.dir) await deleteDatabase(dir);
    },
  };
  return harness;
}

export const sampleVideo = () => readFileSync(join(import.meta.dirname, '../../assets/sample.mp4'));
export const referencePng = () => readFileSync(join(import.meta.dirname, '../fixtures/reference.png'));

/** The creates the video API received. */
export const providerCreates = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');

/** The JSON body of a recorded REST call, typed loosely for assertions. */
export function body(call: RecordedCall): Record<string, unknown> {
  return (call.json ?? {}) as Record<string, unknown>;
}

export function embedText(call: RecordedCall): string {
  const embeds = (body(call).embeds ?? []) as {
    title?: string;
    description?: string;
    footer?: { text?: string };
  }[];
  return embeds.map((embed) => [embed.title, embed.description, embed.footer?.text].join('\n')).join('\n');
}

/** A model reelbot does not know, taking its reference image as a file upload (multipart). */
export const uploadModelEnv = {
  VIDEO_MODELS_JSON: JSON.stringify([
    { id: 'kling-2', label: 'Kling 2', seconds: [5, 10], sizes: ['1280x720'], referenceShape: 'multipart' },
  ]),
  VIDEO_DEFAULT_MODEL: 'kling-2',
};

/** The custom id the bot draws for `action` on the card of job `job` (its number and tag). */
export async function jobButtonId(
  h: Harness,
  action: JobAction,
  job: { id: number } | number | undefined,
): Promise<string> {
  const id = typeof job === 'number' ? job : job?.id;
  const row = id === undefined ? undefined : await h.bot.store.get(id);
  if (!row) throw new Error(`no job ${id} to draw a button for`);
  return jobCustomId(action, row);
}

/**
 * The id of the message that shows job `job` in the fake Discord, as a member would click it: the
 * row's reply message, or the interaction's original response when the row never learnt its id.
 */
export function cardMessageId(
  h: Harness,
  job: { replyMessageId: string | null; interactionToken: string | null },
): string {
  const original = job.interactionToken ? h.discord.originalMessage(job.interactionToken) : undefined;
  const id = job.replyMessageId ?? original?.id;
  if (!id) throw new Error('the job has no message to click');
  return id;
}

/** The `/video` option carrying a prompt. */
export const prompt = (value: string) => ({
  name: 'prompt',
  type: ApplicationCommandOptionType.String,
  value,
});

/**
 * /video with `bytes` attached as `name` (served as image/png, whatever they are), in `locale`;
 * the attachment comes back too (to expire it, say). `delayMs`: the CDN waits that long to send it.
 */
export function commandWithImage(
  h: Harness,
  bytes: Buffer,
  name: string,
  options: { prompt?: string; locale?: string; delayMs?: number } = {},
) {
  const image = h.discord.addAttachment(bytes, name, 'image/png', { delayMs: options.delayMs });
  const sent = h.command({
    locale: options.locale ?? 'en-US',
    options: [
      prompt(options.prompt ?? 'a cat'),
      { name: 'image', type: ApplicationCommandOptionType.Attachment, value: image.id },
    ],
    resolved: { attachments: { [image.id]: image } },
  });
  return { ...sent, image };
}

/** The member clicks Regenerate on the card of job `job` (a finished one, as its row has it now). */
export async function clickRegenerate(h: Harness, job: { id: number }) {
  const row = (await h.bot.store.get(job.id)) ?? { replyMessageId: null, interactionToken: null };
  return h.discord.sendButton({
    guildId,
    channelId,
    user: member,
    customId: await jobButtonId(h, 'regen', job.id),
    messageId: cardMessageId(h, row),
  });
}

/** The edit of the interaction's reply that uploads the video. */
export const isUpload = (token: string) => (call: RecordedCall) =>
  call.method === 'PATCH' && call.path.includes(token) && call.files.length > 0;

/** The first answer to an interaction (its callback's data, or a follow-up after a deferral), checked ephemeral. */
export async function ephemeralReply(h: Harness, token: string): Promise<string> {
  const call = await h.discord.waitForCall(
    (c) =>
      (c.path.endsWith(`${token}/callback`) &&
        body(c).type === InteractionResponseType.ChannelMessageWithSource) ||
      (c.method === 'POST' && c.path.endsWith(`/webhooks/${h.discord.applicationId}/${token}`)),
  );
  const data = (call.path.endsWith('/callback') ? body(call).data : body(call)) as {
    content: string;
    flags: number;
  };
  expect(data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  return data.content;
}

/** The ephemeral answer to `/video-history` with these options, as sent to Discord. */
export async function historyReply(
  h: Harness,
  options: unknown[],
  input: {
    user?: { id: string; username: string };
    permissions?: string;
    locale?: string;
    guild?: string;
  } = {},
) {
  const { token } = h.discord.sendCommand({
    guildId: input.guild ?? guildId,
    channelId: input.guild ? '222222222222222224' : channelId,
    user: input.user ?? member,
    memberPermissions: input.permissions,
    locale: input.locale,
    name: 'video-history',
    options,
  });
  const call: RecordedCall = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
  return body(call).data as {
    content?: string;
    flags?: number;
    embeds?: { title?: string; description?: string }[];
  };
}

/** `member` as Discord resolves a user option naming them: the user, and their membership here. */
export const resolvedMember = {
  users: { [member.id]: { id: member.id, username: 'alice', discriminator: '0', avatar: null } },
  members: {
    [member.id]: { roles: [], joined_at: new Date(0).toISOString(), permissions: '0', flags: 0 },
  },
};

/**
 * A moderator's CSV export of the member's whole history (/video-history user:, then Export CSV):
 * its lines, without the byte-order mark.
 */
export async function exportedHistoryCsv(h: Harness): Promise<string[]> {
  const page = h.discord.sendCommand({
    guildId,
    channelId,
    user: moderator,
    memberPermissions: moderatorPermissions,
    name: 'video-history',
    options: [{ name: 'user', type: ApplicationCommandOptionType.User, value: member.id }],
    resolved: resolvedMember,
  });
  const shown = body(await h.discord.waitForCall((c) => c.path.endsWith(`${page.token}/callback`))).data as {
    components: { components: { custom_id: string }[] }[];
  };
  const exported = h.discord.sendButton({
    guildId,
    channelId,
    user: moderator,
    memberPermissions: moderatorPermissions,
    customId: shown.components[0]?.components[2]?.custom_id ?? '',
    messageId: '1',
  });
  const file = await h.discord.waitForCall((c) => c.path.endsWith(`${exported.token}/callback`));
  return (file.files[0]?.bytes ?? Buffer.alloc(0)).subarray(3).toString('utf8').trim().split('\r\n');
}

type Probed<T> = T | undefined | null | false;

export async function until<T>(probe: () => Probed<T> | Promise<Probed<T>>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
