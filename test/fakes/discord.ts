// A fake Discord: a real REST server and gateway WebSocket on 127.0.0.1 that the real discord.js
// client logs into (rest.api points here; the gateway URL comes from GET /gateway/bot). It
// dispatches interactions (slash and message commands, buttons, modal submits), records every REST
// call (JSON and multipart with files), keeps the messages it was asked to create or was seeded
// with (replies, deletes, attachment removal, posts repeated with enforce_nonce), threads started from messages, the bot's
// permissions per channel, and can expire tokens, rate-limit and fail routes. Several gateway
// sessions may each identify as one shard: each gets only its guilds' events.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  GatewayIntentBits,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageReferenceType,
  MessageType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
} from 'discord.js';
import { type WebSocket, WebSocketServer } from 'ws';
import { FormErrors } from './discordForm.ts';
import { type ModalValue, modalErrors, modalSubmitData, withComponentIds } from './discordModals.ts';

export interface RecordedCall {
  method: string;
  /** Decoded, without the /api/v10 prefix, e.g. /webhooks/APP/TOKEN/messages/@original */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  json?: unknown;
  files: { name: string; contentType: string; bytes: Buffer }[];
  status: number;
  at: number;
  /** The label of the REST URL the client was given (`restUrlFor(label)`): which of several bots made it. */
  client?: string;
}

export interface FakeGuild {
  id: string;
  name?: string;
  ownerId?: string;
  channels: { id: string; name?: string; type?: number }[];
  roles?: { id: string; name?: string; permissions: string }[];
}

export interface FakeDiscordOptions {
  applicationId?: string;
  botUserId?: string;
  guilds?: FakeGuild[];
  now?: () => number;
  /** The shard count GET /gateway/bot recommends (`shards`); 1 by default. */
  recommendedShards?: number;
  /** `session_start_limit.max_concurrency` of GET /gateway/bot: shards that may identify at once; 1 by default. */
  maxConcurrency?: number;
  /**
   * The bot token Discord accepts. When set, a REST call with another token (or none, outside the
   * interaction routes) gets 401 and an IDENTIFY with another token closes with 4004; unset, any.
   */
  token?: string;
  /**
   * Whether the app is approved for the privileged Message Content intent (false by default, as
   * reelbot is not). Without it, messages of others read through REST or the gateway come with
   * empty content, embeds, attachments and components, except in DMs, where the bot is mentioned,
   * and the target of a message command (Gateway › Message Content Intent); a session identifying
   * with the intent is closed with 4014 (Disallowed intents).
   */
  messageContentIntent?: boolean;
}

/** A Discord user other than the bot: a message's author, a member using an interaction. */
export interface FakeUser {
  id: string;
  username?: string;
  globalName?: string;
  bot?: boolean;
}

export interface InteractionInput {
  /** Omitted: the interaction comes from a DM with the bot (a `user`, no `member`). */
  guildId?: string;
  channelId: string;
  user: { id: string; username?: string };
  /** Permission bitfield as a string; '0' (none) by default. */
  memberPermissions?: string;
  memberRoles?: string[];
  locale?: string;
  appPermissions?: string;
  attachmentSizeLimit?: number;
  /** The channel's type (0, a text channel, by default; 11 a public thread) and a thread's parent. */
  channelType?: number;
  parentId?: string;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
  /** Images' and videos' dimensions, as Discord reports them. */
  width?: number;
  height?: number;
}

/** Who a message notified, as Discord works it out from its content and `allowed_mentions`. */
export interface FakeMentions {
  users: string[];
  roles: string[];
  everyone: boolean;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  attachments: FakeAttachment[];
  flags?: number;
  authorId: string;
  /** The author's name and kind, for messages of others (seedMessage). */
  author?: FakeUser;
  /** Set for interaction responses: the token that owns it. */
  interactionToken?: string;
  deleted?: boolean;
  /** Discord's message type when not DEFAULT (0) or an interaction's (20): REPLY, CONTEXT_MENU_COMMAND. */
  type?: number;
  /** The message this one replies to (or, for a message command's response, was used on). */
  reference?: { message_id: string; channel_id: string; guild_id?: string };
  mentions: FakeMentions;
  editedAt?: number;
  /** The thread started from this message (its id is the message's). */
  threadId?: string;
  /** The `nonce` it was created with, and when (Create Message's `enforce_nonce` looks at both). */
  nonce?: string | number;
  createdAt?: number;
}

/** A thread channel: one started from a message, or made by a test (createThread). */
export interface FakeThread {
  id: string;
  guildId: string;
  parentId: string;
  /** PUBLIC_THREAD (11), or ANNOUNCEMENT_THREAD (10) in an announcement channel. */
  type: number;
  name: string;
  ownerId: string;
  archived: boolean;
  locked: boolean;
  autoArchiveDuration: number;
  archivedAt: number;
  deleted: boolean;
  /** When the bot joined it (it started the thread or posted in it), if it did. */
  botJoinedAt?: number;
}

interface Match {
  method?: string;
  path?: RegExp;
  /** Only calls that upload files (true), or only calls that do not (false). */
  withFiles?: boolean;
  /** Only calls whose JSON body this accepts (which of several posts to one route). */
  json?: (json: unknown) => boolean;
}

interface Rule {
  match: Match;
  times: number;
  /** Answers instead of the fake's routes. */
  respond?: (response: ServerResponse) => void;
  /**
   * Handles the call normally once `release` resolves with 'handle' (a process can die meanwhile),
   * or, with 'drop', closes its connection unhandled: the request was lost on the way.
   */
  hold?: { arrived: (call: RecordedCall) => void; release: Promise<'handle' | 'drop'> };
}

/** The most characters a message's content may have. */
const maxContentLength = 2_000;

/**
 * How long Discord remembers a nonce for `enforce_nonce` ("the past few minutes", Messages ›
 * Create Message): a post repeated within it returns the first message instead of a second.
 */
export const nonceMemoryMs = 5 * 60_000;

/** Discord's limit on uploads in DMs, and in servers without boosts. */
const defaultUploadLimit = 10 * 1024 * 1024;

interface TokenState {
  interactionId: string;
  /** APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT … */
  type: number;
  channelId: string;
  createdAt: number;
  acknowledged: boolean;
  expired: boolean;
  originalMessageId?: string;
  /** A message command's target: its original response is a reply to it. */
  targetMessageId?: string;
  /** Where and by whom the interaction was used: a modal it opened is submitted the same way. */
  input?: InteractionInput;
  /** The modal it answered with, as Discord keeps it (every component with an id). */
  modal?: Record<string, unknown>;
}

/**
 * The bot's permissions in a channel unless a test says otherwise (setBotPermissions): what
 * reelbot's invite asks for. A thread has its parent's.
 */
export const defaultBotPermissions =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.SendMessagesInThreads;

/** What `auto_archive_duration` may be, in minutes (Channels › Thread Metadata). */
const autoArchiveDurations = [60, 1440, 4320, 10080];

const tokenLifetimeMs = 15 * 60_000;
/** An interaction not answered within this is gone for good (10062 Unknown interaction). */
const acknowledgeWithinMs = 3_000;
const ephemeralFlag = MessageFlags.Ephemeral;
const loadingFlag = MessageFlags.Loading;

/**
 * Discord's sharding formula: which of `shardCount` shards receives a guild's events. Events with
 * no guild (DMs) go to shard 0.
 */
export function shardOfGuild(guildId: string | undefined, shardCount: number): number {
  return guildId === undefined ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** Gateway close code for an IDENTIFY whose `shard` is not [shard_id, num_shards] with 0 <= id < num. */
const invalidShardCloseCode = 4010;
/** Gateway close code for an IDENTIFY with a token Discord does not accept. */
const authenticationFailedCloseCode = 4004;
/** A close code after which a client resumes (4000 Unknown error): a dropped connection. */
const unknownErrorCloseCode = 4000;
/** Gateway close code for a privileged intent the app is not approved for. */
const disallowedIntentsCloseCode = 4014;

interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

/** A message as the API sends it (a plain object: the fake builds it, discord.js reads it). */
type ApiMessage = Record<string, unknown>;

let sequence = 0n;
/** Numeric snowflakes: discord.js reads timestamps out of them. */
export function snowflake(at = Date.now()): string {
  sequence = (sequence + 1n) & 0xfffn;
  return String(((BigInt(at) - 1420070400000n) << 22n) | sequence);
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text ? { 'content-type': 'application/json' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Reads a request body; at `bytesPerSecond`, as slowly as a slow uplink delivers it (TCP pushes back). */
async function readBody(request: IncomingMessage, bytesPerSecond?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
    if (bytesPerSecond) {
      await new Promise((resolve) => setTimeout(resolve, ((chunk as Buffer).length / bytesPerSecond) * 1000));
    }
  }
  return Buffer.concat(chunks);
}

const isMultipart = (request: IncomingMessage) =>
  (request.headers['content-type'] ?? '').startsWith('multipart/form-data');

async function parseBody(
  request: IncomingMessage,
  raw: Buffer,
): Promise<Pick<RecordedCall, 'json' | 'files'>> {
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: raw,
    }).formData();
    const files: RecordedCall['files'] = [];
    let payload: unknown;
    for (const [name, value] of form) {
      if (typeof value === 'string') {
        if (name === 'payload_json') payload = JSON.parse(value);
      } else {
        files.push({
          name: value.name,
          contentType: value.type,
          bytes: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    return { json: payload, files };
  }
  if (raw.length > 0 && type.startsWith('application/json'))
    return { json: JSON.parse(raw.toString('utf8')), files: [] };
  return { json: undefined, files: [] };
}

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

export async function startFakeDiscord(options: FakeDiscordOptions = {}) {
  const now = options.now ?? Date.now;
  const applicationId = options.applicationId ?? '900000000000000001';
  const botUserId = options.botUserId ?? applicationId;
  const guilds = options.guilds ?? [{ id: '100000000000000001', channels: [{ id: '200000000000000001' }] }];
  const calls: RecordedCall[] = [];
  /** The attachment ids the CDN was asked for, in order (a download of a member's image). */
  const cdnFetches: string[] = [];
  const messages = new Map<string, FakeMessage>();
  const tokens = new Map<string, TokenState>();
  const rules: Rule[] = [];
  const waiters = new Set<{
    predicate: (call: RecordedCall) => boolean;
    resolve: (call: RecordedCall) => void;
  }>();
  const members = new Map<string, Set<string>>();
  const uploads = new Map<string, { bytes: Buffer; contentType: string }>();
  const expiredUploads = new Set<string>();
  /** Attachments the CDN is slow to serve: milliseconds before the first byte. */
  const slowUploads = new Map<string, number>();
  const commands = new Map<string, unknown[]>();
  const sockets = new Set<WebSocket>();
  /** The [shard_id, num_shards] each identified session (socket) and each session id runs as. */
  const shardOfSocket = new Map<WebSocket, [number, number]>();
  const shardOfSession = new Map<string, [number, number]>();
  const dmChannels = new Map<string, string>();
  /** Channels interactions were used in: Discord knows them even when no guild lists them here. */
  const interactionChannels = new Set<string>();
  const threads = new Map<string, FakeThread>();
  /** The bot's permissions where a test set them (setBotPermissions); elsewhere defaultBotPermissions. */
  const botPermissions = new Map<string, bigint>();
  /** The intents each identified session asked for (IDENTIFY's `intents`), and each session id's. */
  const intentsOfSocket = new Map<WebSocket, number>();
  const intentsOfSession = new Map<string, number>();
  /** Each channel's upload limit, as its latest interaction reported it (attachment_size_limit). */
  const uploadLimits = new Map<string, number>();
  let gatewaySequence = 0;
  let origin = '';
  /** The token accepted now (see `token`, `revokeToken`); undefined accepts any. */
  let acceptedToken = options.token;
  /** Shards whose sessions are held: their IDENTIFY or RESUME waits until the hold is released. */
  const heldShards = new Map<number, (() => void)[]>();
  /** The [shard_id, num_shards] of every session started, open or closed since, in order. */
  const sessionsStarted: [number, number][] = [];
  /**
   * Requests carrying files: how many began (an aborted or repeated upload counts each time),
   * are being received now, and at most at once; and the speed they are received at, if limited.
   */
  const uploadTraffic = { started: 0, inFlight: 0, maxInFlight: 0, bytesPerSecond: 0 };

  const botUser = {
    id: botUserId,
    username: 'reelbot',
    discriminator: '0',
    global_name: null,
    avatar: null,
    bot: true,
  };
  /** Users the fake has met (members using interactions, seeded authors): mentions carry their names. */
  const users = new Map<string, FakeUser>();

  function userPayload(user: FakeUser) {
    if (user.id === botUserId) return botUser;
    const known = users.get(user.id);
    return {
      id: user.id,
      username: user.username ?? known?.username ?? 'member',
      discriminator: '0',
      global_name: user.globalName ?? known?.globalName ?? null,
      avatar: null,
      ...((user.bot ?? known?.bot) ? { bot: true } : {}),
    };
  }

  function meet(user: FakeUser): void {
    users.set(user.id, { ...users.get(user.id), ...user });
  }

  const noMentions = (): FakeMentions => ({ users: [], roles: [], everyone: false });

  /**
   * Who `content` notifies under `allowed`. Without `allowed_mentions`, Discord parses every kind in
   * channel messages and only users in interaction responses and webhooks (Messages › Allowed
   * Mentions › Default Settings); `users`/`roles` list ids allowed besides what `parse` allows.
   */
  function mentionsIn(content: string, allowed: AllowedMentions | null | undefined, viaWebhook: boolean) {
    const parse = allowed ? (allowed.parse ?? []) : viaWebhook ? ['users'] : ['users', 'roles', 'everyone'];
    const allowedIds = (kind: 'users' | 'roles', pattern: RegExp) => [
      ...new Set(
        [...content.matchAll(pattern)]
          .map((match) => match[1] ?? '')
          .filter((id) => parse.includes(kind) || (allowed?.[kind] ?? []).includes(id)),
      ),
    ];
    return {
      users: allowedIds('users', /<@!?(\d+)>/g),
      roles: allowedIds('roles', /<@&(\d+)>/g),
      everyone: parse.includes('everyone') && /@(everyone|here)/.test(content),
    };
  }

  function guildOfChannel(channelId: string): string | undefined {
    return (
      guilds.find((guild) => guild.channels.some((channel) => channel.id === channelId))?.id ??
      threads.get(channelId)?.guildId
    );
  }

  const isDmChannel = (channelId: string) => [...dmChannels.values()].includes(channelId);

  /**
   * Whether a reader gets a message's content: one with the Message Content intent always (REST:
   * the app is approved for it; the gateway: the session asked for it too); without it, only the
   * bot's own messages, DMs, and messages that mention the bot. The message a message command is
   * used on comes in full (`messageContent` true).
   */
  function contentVisible(message: FakeMessage, messageContent: boolean): boolean {
    return (
      messageContent ||
      message.authorId === botUserId ||
      isDmChannel(message.channelId) ||
      message.mentions.users.includes(botUserId)
    );
  }

  function toApiMessage(
    message: FakeMessage,
    messageContent = Boolean(options.messageContentIntent),
    nested = false,
  ): ApiMessage {
    const visible = contentVisible(message, messageContent);
    const thread = message.threadId ? threads.get(message.threadId) : undefined;
    const referenced = message.reference ? messages.get(message.reference.message_id) : undefined;
    return {
      id: message.id,
      channel_id: message.channelId,
      author: message.author
        ? userPayload(message.author)
        : message.authorId === botUserId
          ? botUser
          : { id: message.authorId, username: 'user', discriminator: '0', avatar: null },
      content: visible ? (message.content ?? '') : '',
      timestamp: new Date(Number((BigInt(message.id) >> 22n) + 1420070400000n)).toISOString(),
      edited_timestamp: message.editedAt === undefined ? null : new Date(message.editedAt).toISOString(),
      tts: false,
      mention_everyone: message.mentions.everyone,
      mentions: message.mentions.users.map((id) => userPayload({ id })),
      mention_roles: message.mentions.roles,
      attachments: visible ? message.attachments : [],
      embeds: visible ? (message.embeds ?? []) : [],
      components: visible ? (message.components ?? []) : [],
      pinned: false,
      type: message.type ?? (message.interactionToken ? MessageType.ChatInputCommand : MessageType.Default),
      flags: (message.flags ?? 0) | (thread ? MessageFlags.HasThread : 0),
      ...(message.interactionToken ? { application_id: applicationId, webhook_id: applicationId } : {}),
      ...(message.nonce !== undefined ? { nonce: message.nonce } : {}),
      ...(message.reference
        ? {
            message_reference: { type: MessageReferenceType.Default, ...message.reference },
            // Discord resolves one level, and gives null once the message is deleted.
            ...(nested
              ? {}
              : {
                  referenced_message:
                    referenced && !referenced.deleted ? toApiMessage(referenced, messageContent, true) : null,
                }),
          }
        : {}),
      ...(thread && !thread.deleted ? { thread: threadPayload(thread) } : {}),
    };
  }

  /** Sends a MESSAGE_* event to the sessions that asked for message events in its guild or DMs. */
  function broadcastMessage(event: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', message: FakeMessage): void {
    if ((message.flags ?? 0) & ephemeralFlag) return;
    const guildId = guildOfChannel(message.channelId);
    for (const socket of messageEventSockets(guildId)) {
      const messageContent = Boolean((intentsOfSocket.get(socket) ?? 0) & GatewayIntentBits.MessageContent);
      dispatch(socket, event, {
        ...toApiMessage(message, messageContent),
        ...(guildId ? { guild_id: guildId } : {}),
      });
    }
  }

  function broadcastMessageDelete(message: FakeMessage): void {
    const guildId = guildOfChannel(message.channelId);
    for (const socket of messageEventSockets(guildId))
      dispatch(socket, 'MESSAGE_DELETE', {
        id: message.id,
        channel_id: message.channelId,
        ...(guildId ? { guild_id: guildId } : {}),
      });
  }

  /** Applies a message create/edit body: content, embeds, components, and the attachments to keep. */
  function applyBody(
    message: FakeMessage,
    body: Record<string, unknown> | undefined,
    files: RecordedCall['files'],
    viaWebhook: boolean,
  ): void {
    if (!body) body = {};
    if ('content' in body) {
      message.content = typeof body.content === 'string' ? body.content : '';
      // Discord works the mentions out afresh from edited content (Messages › Edit Message).
      message.mentions = mentionsIn(
        message.content,
        body.allowed_mentions as AllowedMentions | null | undefined,
        viaWebhook,
      );
    }
    if ('embeds' in body) message.embeds = (body.embeds as unknown[] | null) ?? [];
    if ('components' in body) message.components = (body.components as unknown[] | null) ?? [];
    if ('flags' in body && typeof body.flags === 'number') message.flags = body.flags;
    const kept = Array.isArray(body.attachments)
      ? (body.attachments as { id: string | number; filename?: string }[])
      : undefined;
    const uploaded = files.map((file) => {
      const id = snowflake(now());
      uploads.set(id, { bytes: file.bytes, contentType: file.contentType });
      return {
        id,
        filename: file.name,
        size: file.bytes.length,
        url: `${origin}/attachments/${id}/${encodeURIComponent(file.name)}`,
        proxy_url: `${origin}/attachments/${id}/${encodeURIComponent(file.name)}`,
        content_type: file.contentType,
      };
    });
    if (kept) {
      // Existing attachments survive only when listed by id; new files replace the rest.
      const existing = message.attachments.filter((attachment) =>
        kept.some((k) => String(k.id) === attachment.id),
      );
      message.attachments = [...existing, ...uploaded];
    } else if (uploaded.length > 0) {
      message.attachments = [...message.attachments, ...uploaded];
    }
  }

  function createMessage(
    channelId: string,
    authorId: string,
    body: Record<string, unknown> | undefined,
    files: RecordedCall['files'],
    token?: string,
    extra: Partial<FakeMessage> = {},
  ): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(now()),
      channelId,
      attachments: [],
      authorId,
      interactionToken: token,
      mentions: noMentions(),
      createdAt: now(),
      ...extra,
    };
    applyBody(message, body, files, token !== undefined);
    if (message.type === MessageType.Reply) mentionRepliedAuthor(message, body);
    messages.set(message.id, message);
    broadcastMessage('MESSAGE_CREATE', message);
    return message;
  }

  /**
   * A reply pings the author it replies to when `allowed_mentions` is left out, or says
   * `replied_user: true`; given without it, `replied_user` is false (Messages › Allowed Mentions).
   */
  function mentionRepliedAuthor(message: FakeMessage, body: Record<string, unknown> | undefined): void {
    const allowed = body?.allowed_mentions as AllowedMentions | null | undefined;
    const author = message.reference ? messages.get(message.reference.message_id)?.authorId : undefined;
    if (!author || author === botUserId || (allowed && allowed.replied_user !== true)) return;
    if (!message.mentions.users.includes(author)) message.mentions.users.push(author);
  }

  /** An edit of a message of the bot's: kept, dated and announced (MESSAGE_UPDATE). */
  function editMessage(
    message: FakeMessage,
    body: Record<string, unknown> | undefined,
    files: RecordedCall['files'],
    viaWebhook: boolean,
  ): void {
    applyBody(message, body, files, viaWebhook);
    message.editedAt = now();
    broadcastMessage('MESSAGE_UPDATE', message);
  }

  function deleteMessage(message: FakeMessage): void {
    message.deleted = true;
    broadcastMessageDelete(message);
  }

  function tokenUsable(token: string): TokenState | undefined {
    const state = tokens.get(token);
    if (!state || state.expired || now() - state.createdAt > tokenLifetimeMs) return undefined;
    return state;
  }

  const refuse = (response: ServerResponse, status: number, code: number, message: string) =>
    json(response, status, { message, code });
  const invalidToken = (response: ServerResponse) =>
    refuse(response, 401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token');
  const unknownMessage = (response: ServerResponse) =>
    refuse(response, 404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
  const unknownChannel = (response: ServerResponse) =>
    refuse(response, 404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
  const missingAccess = (response: ServerResponse) =>
    refuse(response, 403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
  const missingPermissions = (response: ServerResponse) =>
    refuse(response, 403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
  /** Editing a message in, or changing, an archived thread (unarchive it first). */
  const archivedThread = (response: ServerResponse) =>
    refuse(response, 400, RESTJSONErrorCodes.InvalidActionOnArchivedThread, 'Thread is archived');
  const invalidForm = (response: ServerResponse, errors: FormErrors) => json(response, 400, errors.body());

  /**
   * A MODAL answer Discord refuses: to a modal submit or an autocomplete (Interaction Callback Type:
   * not available for MODAL_SUBMIT and PING; autocomplete takes only its result), or a modal that
   * breaks the components' rules. The interaction stays unanswered.
   */
  function modalRefusal(state: TokenState, data: unknown): FormErrors | undefined {
    if (
      state.type === InteractionType.ModalSubmit ||
      state.type === InteractionType.ApplicationCommandAutocomplete
    ) {
      const errors = new FormErrors();
      errors.add(['type'], {
        code: 'INTERACTION_CALLBACK_TYPE_INVALID',
        message: 'This interaction cannot be answered with a modal.',
      });
      return errors;
    }
    const errors = modalErrors(data);
    return errors.empty ? undefined : errors;
  }

  /** A message command's original response replies to its target (type CONTEXT_MENU_COMMAND). */
  function responseShape(state: TokenState): Partial<FakeMessage> {
    if (!state.targetMessageId) return {};
    const guildId = state.input?.guildId;
    return {
      type: MessageType.ContextMenuCommand,
      reference: {
        message_id: state.targetMessageId,
        channel_id: state.channelId,
        ...(guildId ? { guild_id: guildId } : {}),
      },
    };
  }

  function handleCallback(call: RecordedCall, response: ServerResponse, token: string): void {
    const state = tokenUsable(token);
    if (!state) return refuse(response, 404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
    if (state.acknowledged)
      return refuse(
        response,
        400,
        RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
        'Interaction has already been acknowledged.',
      );
    if (now() - state.createdAt > acknowledgeWithinMs) {
      state.expired = true;
      return refuse(response, 404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
    }
    const body = (call.json ?? {}) as { type?: number; data?: Record<string, unknown> };
    const data = body.data ?? {};
    if (body.type === InteractionResponseType.Modal) {
      const refusal = modalRefusal(state, body.data);
      if (refusal) return invalidForm(response, refusal);
    }
    state.acknowledged = true;
    let message: FakeMessage | undefined;
    if (body.type === InteractionResponseType.ChannelMessageWithSource) {
      message = createMessage(state.channelId, botUserId, data, call.files, token, responseShape(state));
    } else if (body.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const flags = (typeof data.flags === 'number' ? data.flags : 0) | loadingFlag;
      message = createMessage(state.channelId, botUserId, { flags }, [], token, responseShape(state));
    } else if (body.type === InteractionResponseType.UpdateMessage) {
      // Update the message the component is on: the test passed its id when dispatching.
      const target = state.originalMessageId ? messages.get(state.originalMessageId) : undefined;
      if (target) editMessage(target, data, call.files, true);
    } else if (body.type === InteractionResponseType.Modal) {
      state.modal = withComponentIds(data);
    }
    if (message) state.originalMessageId = message.id;
    if (call.query.get('with_response') === 'true') {
      return json(response, 200, {
        interaction: {
          id: state.interactionId,
          type: state.type,
          response_message_id: message?.id,
          response_message_loading: body.type === InteractionResponseType.DeferredChannelMessageWithSource,
          response_message_ephemeral: Boolean(message && (message.flags ?? 0) & ephemeralFlag),
        },
        resource: message ? { type: body.type, message: toApiMessage(message) } : { type: body.type },
      });
    }
    json(response, 204, undefined);
  }

  /** Whether a message sits in an archived thread, where only deletes are allowed. */
  const inArchivedThread = (message: FakeMessage) => threads.get(message.channelId)?.archived === true;

  function handleWebhook(
    call: RecordedCall,
    response: ServerResponse,
    token: string,
    messageId: string | undefined,
  ): void {
    const state = tokenUsable(token);
    if (!state) return invalidToken(response);
    const body = call.json as Record<string, unknown> | undefined;
    if (messageId === undefined) {
      if (call.method !== 'POST') return json(response, 405, { message: '405: Method Not Allowed', code: 0 });
      const message = createMessage(state.channelId, botUserId, body, call.files, token);
      return json(response, 200, toApiMessage(message));
    }
    const id = messageId === '@original' ? state.originalMessageId : messageId;
    const message = id ? messages.get(id) : undefined;
    // By id, a webhook reaches only its own messages: the interaction's follow-ups and response.
    const foreign = messageId !== '@original' && message?.interactionToken !== token;
    if (!message || message.deleted || foreign) return unknownMessage(response);
    if (call.method === 'GET') return json(response, 200, toApiMessage(message));
    if (call.method === 'DELETE') {
      deleteMessage(message);
      return json(response, 204, undefined);
    }
    if (call.method === 'PATCH') {
      if (inArchivedThread(message)) return archivedThread(response);
      message.flags = (message.flags ?? 0) & ~loadingFlag;
      editMessage(message, body, call.files, true);
      return json(response, 200, toApiMessage(message));
    }
    json(response, 405, { message: '405: Method Not Allowed', code: 0 });
  }

  /** An upload with a file over its channel's limit: Discord answers 413 with code 40005. */
  function tooLargeUpload(call: RecordedCall): boolean {
    if (call.files.length === 0) return false;
    const webhook = /^\/webhooks\/\d+\/([^/]+)/.exec(call.path);
    const channelId = webhook
      ? tokens.get(webhook[1] ?? '')?.channelId
      : /^\/channels\/(\d+)\/messages/.exec(call.path)?.[1];
    const limit = (channelId && uploadLimits.get(channelId)) || defaultUploadLimit;
    return call.files.some((file) => file.bytes.length > limit);
  }

  /**
   * Discord's answer to message content over 2,000 characters, in a message create or edit, a
   * webhook message or an interaction response: 400, 50035 Invalid Form Body, naming the field.
   */
  function overLongContent(call: RecordedCall): FormErrors | undefined {
    if (call.method !== 'POST' && call.method !== 'PATCH') return undefined;
    const body = call.json as Record<string, unknown> | undefined;
    const callback = call.path.endsWith('/callback');
    const content = callback ? (body?.data as Record<string, unknown> | undefined)?.content : body?.content;
    if (typeof content !== 'string') return undefined;
    const errors = new FormErrors();
    errors.checkString(callback ? ['data', 'content'] : ['content'], content, 0, maxContentLength);
    return errors.empty ? undefined : errors;
  }

  function knownChannel(channelId: string): boolean {
    const thread = threads.get(channelId);
    if (thread) return !thread.deleted;
    return (
      guildChannel(channelId) !== undefined || interactionChannels.has(channelId) || isDmChannel(channelId)
    );
  }

  /**
   * A call Discord would refuse for its token. Interaction callbacks and webhook routes carry
   * their own token in the path and need no Authorization (discord.js sends none).
   */
  function refusedToken(call: RecordedCall): boolean {
    if (acceptedToken === undefined || /^\/(interactions|webhooks)\//.test(call.path)) return false;
    return call.headers.authorization !== `Bot ${acceptedToken}`;
  }

  function guildChannel(channelId: string): FakeGuild['channels'][number] | undefined {
    for (const guild of guilds) {
      const channel = guild.channels.find((candidate) => candidate.id === channelId);
      if (channel) return channel;
    }
    return undefined;
  }

  /** The bot's permissions in a guild channel or thread (a thread has its parent's unless set). */
  function permissionsIn(channelId: string): bigint {
    const own = botPermissions.get(channelId);
    if (own !== undefined) return own;
    const thread = threads.get(channelId);
    return thread ? permissionsIn(thread.parentId) : defaultBotPermissions;
  }

  /** Whether the bot holds `permission` where it acts; in a DM there is nothing to hold. */
  const can = (channelId: string, permission: bigint) =>
    isDmChannel(channelId) || (permissionsIn(channelId) & permission) === permission;

  type Reply = { shape: Partial<FakeMessage> } | { refuse: (response: ServerResponse) => void };

  /**
   * A message create's `message_reference` (Messages › Message Reference): a reply needs Read
   * Message History, and a message of the same channel; one that is not there fails the create
   * (400, 50035, MESSAGE_REFERENCE_UNKNOWN_MESSAGE) unless `fail_if_not_exists` is false, which
   * sends a plain message. Forwards are recorded as sent, not modelled.
   */
  function replyOf(channelId: string, body: Record<string, unknown> | undefined): Reply {
    const reference = body?.message_reference as
      | { message_id?: unknown; channel_id?: unknown; type?: unknown; fail_if_not_exists?: unknown }
      | null
      | undefined;
    if (!reference || reference.type === MessageReferenceType.Forward) return { shape: {} };
    if (!can(channelId, PermissionFlagsBits.ReadMessageHistory))
      return {
        refuse: (response) =>
          refuse(
            response,
            403,
            RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory,
            'Cannot reply without permission to read message history',
          ),
      };
    const target = messages.get(String(reference.message_id ?? ''));
    const found =
      target &&
      !target.deleted &&
      target.channelId === channelId &&
      (reference.channel_id === undefined || String(reference.channel_id) === channelId);
    if (!target || !found) {
      if (reference.fail_if_not_exists === false) return { shape: {} };
      const errors = new FormErrors();
      errors.add(['message_reference'], {
        code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
        message: 'Unknown message',
      });
      return { refuse: (response) => invalidForm(response, errors) };
    }
    const guildId = guildOfChannel(channelId);
    return {
      shape: {
        type: MessageType.Reply,
        reference: {
          message_id: target.id,
          channel_id: channelId,
          ...(guildId ? { guild_id: guildId } : {}),
        },
      },
    };
  }

  type Nonce =
    | { value: string | number | undefined; enforce: boolean }
    | { refuse: (response: ServerResponse) => void };

  /**
   * A message create's `nonce` (an integer, or a string of up to 25 characters) and `enforce_nonce`
   * (Messages › Create Message): with both, a nonce the same author used in the past few minutes
   * returns that message and creates none.
   */
  function nonceOf(body: Record<string, unknown> | undefined): Nonce {
    const value = body?.nonce;
    if (value === undefined || value === null) return { value: undefined, enforce: false };
    if (typeof value === 'number' && Number.isInteger(value))
      return { value, enforce: body?.enforce_nonce === true };
    const errors = new FormErrors();
    errors.checkString(['nonce'], value, 0, 25);
    if (!errors.empty) return { refuse: (response) => invalidForm(response, errors) };
    return { value: value as string, enforce: body?.enforce_nonce === true };
  }

  /** The bot's message made with `nonce` within the nonce memory, if any. */
  function sentWithNonce(nonce: string | number | undefined): FakeMessage | undefined {
    if (nonce === undefined) return undefined;
    return [...messages.values()].find(
      (message) =>
        message.authorId === botUserId &&
        !message.deleted &&
        message.nonce === nonce &&
        now() - (message.createdAt ?? 0) < nonceMemoryMs,
    );
  }

  /** POST /channels/{c}/messages: the bot's own message, a reply, a message in a thread. */
  function postMessage(call: RecordedCall, response: ServerResponse, channelId: string): void {
    if (!knownChannel(channelId)) return unknownChannel(response);
    const thread = threads.get(channelId);
    if (!can(channelId, PermissionFlagsBits.ViewChannel)) return missingAccess(response);
    // In a thread, Send Messages does nothing: Send Messages in Threads is what counts.
    const send = thread ? PermissionFlagsBits.SendMessagesInThreads : PermissionFlagsBits.SendMessages;
    if (!can(channelId, send)) return missingPermissions(response);
    if (call.files.length > 0 && !can(channelId, PermissionFlagsBits.AttachFiles))
      return missingPermissions(response);
    if (thread?.archived) {
      // Posting unarchives a thread, unless a moderator locked it (Threads › Active & Archived).
      if (thread.locked && !can(channelId, PermissionFlagsBits.ManageThreads))
        return refuse(response, 403, RESTJSONErrorCodes.ThreadLocked, 'Thread is locked');
      setArchived(thread, false);
    }
    const body = call.json as Record<string, unknown> | undefined;
    const nonce = nonceOf(body);
    if ('refuse' in nonce) return nonce.refuse(response);
    if (nonce.enforce) {
      const earlier = sentWithNonce(nonce.value);
      if (earlier) return json(response, 200, toApiMessage(earlier));
    }
    const reply = replyOf(channelId, body);
    if ('refuse' in reply) return reply.refuse(response);
    if (thread) thread.botJoinedAt ??= now();
    const message = createMessage(channelId, botUserId, body, call.files, undefined, {
      ...reply.shape,
      ...(nonce.value !== undefined ? { nonce: nonce.value } : {}),
    });
    return json(response, 200, toApiMessage(message));
  }

  function listMessages(call: RecordedCall, response: ServerResponse, channelId: string): void {
    if (!knownChannel(channelId)) return unknownChannel(response);
    if (!can(channelId, PermissionFlagsBits.ViewChannel)) return missingAccess(response);
    // Without Read Message History Discord answers an empty list, not an error.
    if (!can(channelId, PermissionFlagsBits.ReadMessageHistory)) return json(response, 200, []);
    const limit = Math.min(100, Number(call.query.get('limit') ?? 50));
    const recent = [...messages.values()]
      .filter((message) => message.channelId === channelId && !message.deleted)
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
      .slice(0, limit);
    return json(
      response,
      200,
      recent.map((message) => toApiMessage(message)),
    );
  }

  /** GET, PATCH and DELETE /channels/{c}/messages/{m}. */
  function routeMessage(
    call: RecordedCall,
    response: ServerResponse,
    channelId: string,
    messageId: string,
  ): void {
    if (!knownChannel(channelId)) return unknownChannel(response);
    if (!can(channelId, PermissionFlagsBits.ViewChannel)) return missingAccess(response);
    const message = messages.get(messageId);
    if (!message || message.deleted || message.channelId !== channelId) return unknownMessage(response);
    if (call.method === 'GET') {
      if (!can(channelId, PermissionFlagsBits.ReadMessageHistory)) return missingAccess(response);
      return json(response, 200, toApiMessage(message));
    }
    if (call.method === 'PATCH') {
      if (message.authorId !== botUserId)
        return refuse(
          response,
          403,
          RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
          'Cannot edit a message authored by another user',
        );
      if (inArchivedThread(message)) return archivedThread(response);
      editMessage(message, call.json as Record<string, unknown>, call.files, false);
      return json(response, 200, toApiMessage(message));
    }
    if (call.method === 'DELETE') {
      // Another's message takes Manage Messages; deletes are allowed in archived threads.
      if (message.authorId !== botUserId && !can(channelId, PermissionFlagsBits.ManageMessages))
        return missingPermissions(response);
      deleteMessage(message);
      return json(response, 204, undefined);
    }
    json(response, 405, { message: '405: Method Not Allowed', code: 0 });
  }

  /**
   * POST /channels/{c}/messages/{m}/threads (Channels › Start Thread from Message): a public
   * thread (an announcement thread in an announcement channel) whose id is the message's, so one
   * per message (160004). It takes Create Public Threads, not Send Messages in Threads: a bot can
   * start a thread it then cannot post in.
   */
  function startThread(
    call: RecordedCall,
    response: ServerResponse,
    channelId: string,
    messageId: string,
  ): void {
    const parent = guildChannel(channelId);
    if (!parent) {
      if (!threads.has(channelId)) return unknownChannel(response);
      return refuse(
        response,
        400,
        RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
        'Cannot execute action on this channel type',
      );
    }
    const parentType = parent.type ?? ChannelType.GuildText;
    if (parentType !== ChannelType.GuildText && parentType !== ChannelType.GuildAnnouncement)
      return refuse(
        response,
        400,
        RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
        'Cannot execute action on this channel type',
      );
    if (!can(channelId, PermissionFlagsBits.ViewChannel)) return missingAccess(response);
    if (!can(channelId, PermissionFlagsBits.CreatePublicThreads)) return missingPermissions(response);
    const message = messages.get(messageId);
    if (!message || message.deleted || message.channelId !== channelId) return unknownMessage(response);
    if (threads.get(messageId)?.deleted === false)
      return refuse(
        response,
        400,
        RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage,
        'A thread has already been created for this message',
      );
    const body = (call.json ?? {}) as { name?: unknown; auto_archive_duration?: unknown };
    const errors = threadFieldErrors(body, true);
    if (!errors.empty) return invalidForm(response, errors);
    const thread: FakeThread = {
      id: messageId,
      guildId: guildOfChannel(channelId) ?? '',
      parentId: channelId,
      type:
        parentType === ChannelType.GuildAnnouncement
          ? ChannelType.AnnouncementThread
          : ChannelType.PublicThread,
      name: String(body.name),
      ownerId: botUserId,
      archived: false,
      locked: false,
      autoArchiveDuration: typeof body.auto_archive_duration === 'number' ? body.auto_archive_duration : 1440,
      archivedAt: now(),
      deleted: false,
      botJoinedAt: now(),
    };
    threads.set(thread.id, thread);
    message.threadId = thread.id;
    broadcast('THREAD_CREATE', { ...threadPayload(thread), newly_created: true });
    broadcastMessage('MESSAGE_UPDATE', message);
    json(response, 201, threadPayload(thread));
  }

  /** A thread's `name` (1–100 characters) and `auto_archive_duration` (60, 1440, 4320 or 10080). */
  function threadFieldErrors(
    body: { name?: unknown; auto_archive_duration?: unknown },
    nameRequired: boolean,
  ) {
    const errors = new FormErrors();
    if (nameRequired || body.name !== undefined) errors.checkString(['name'], body.name, 1, 100);
    if (
      body.auto_archive_duration !== undefined &&
      !autoArchiveDurations.includes(body.auto_archive_duration as number)
    )
      errors.add(['auto_archive_duration'], {
        code: 'BASE_TYPE_CHOICES',
        message: `Value must be one of {${autoArchiveDurations.join(', ')}}.`,
      });
    return errors;
  }

  function setArchived(thread: FakeThread, archived: boolean): void {
    if (thread.archived === archived) return;
    thread.archived = archived;
    thread.archivedAt = now();
    broadcast('THREAD_UPDATE', threadPayload(thread));
  }

  /**
   * PATCH /channels/{thread} (Channels › Modify Channel, Threads › Editing & Deleting): archiving,
   * renaming and the archive duration take Manage Threads or having started the thread; locking
   * takes Manage Threads; an archived thread takes no change but being unarchived (50083).
   */
  function patchThread(call: RecordedCall, response: ServerResponse, thread: FakeThread): void {
    const body = (call.json ?? {}) as {
      name?: unknown;
      archived?: unknown;
      locked?: unknown;
      auto_archive_duration?: unknown;
    };
    if (!can(thread.id, PermissionFlagsBits.ViewChannel)) return missingAccess(response);
    const errors = threadFieldErrors(body, false);
    if (!errors.empty) return invalidForm(response, errors);
    const moderator = can(thread.id, PermissionFlagsBits.ManageThreads);
    const mayManage = moderator || thread.ownerId === botUserId;
    const unarchiveOnly = body.archived === false && Object.keys(body).every((key) => key === 'archived');
    if (thread.archived && body.archived !== false) return archivedThread(response);
    if ('locked' in body && !moderator) return missingPermissions(response);
    if (unarchiveOnly ? thread.locked && !mayManage : !mayManage) return missingPermissions(response);
    if (typeof body.name === 'string') thread.name = body.name;
    if (typeof body.auto_archive_duration === 'number')
      thread.autoArchiveDuration = body.auto_archive_duration;
    if (typeof body.locked === 'boolean') thread.locked = body.locked;
    if (typeof body.archived === 'boolean' && body.archived !== thread.archived) {
      thread.archived = body.archived;
      thread.archivedAt = now();
    }
    broadcast('THREAD_UPDATE', threadPayload(thread));
    json(response, 200, threadPayload(thread));
  }

  function removeThread(thread: FakeThread): void {
    thread.deleted = true;
    broadcast('THREAD_DELETE', {
      id: thread.id,
      guild_id: thread.guildId,
      parent_id: thread.parentId,
      type: thread.type,
    });
  }

  /** GET, PATCH and DELETE /channels/{c}: guild channels are read only; threads change too. */
  function routeChannel(call: RecordedCall, response: ServerResponse, channelId: string): void {
    const thread = threads.get(channelId);
    if (thread) {
      if (thread.deleted) return unknownChannel(response);
      if (call.method === 'GET') return json(response, 200, threadPayload(thread));
      if (call.method === 'PATCH') return patchThread(call, response, thread);
      if (call.method === 'DELETE') {
        if (!can(channelId, PermissionFlagsBits.ManageThreads)) return missingPermissions(response);
        removeThread(thread);
        return json(response, 200, threadPayload(thread));
      }
    }
    const channel = guildChannel(channelId);
    if (call.method === 'GET') {
      if (!channel) return unknownChannel(response);
      return json(response, 200, {
        id: channelId,
        type: channel.type ?? ChannelType.GuildText,
        guild_id: guildOfChannel(channelId),
        name: channel.name ?? 'general',
        position: 0,
        permission_overwrites: [],
      });
    }
    json(response, 404, { message: '404: Not Found', code: 0 });
  }

  const isContextMenu = (command: Record<string, unknown>) =>
    command.type === ApplicationCommandType.User || command.type === ApplicationCommandType.Message;

  /**
   * What Discord refuses in a user or message command (Application Commands › Message Commands):
   * a name (and each localised name) of 1–32 characters, spaces and capitals allowed; no
   * description and no options. Slash commands are recorded as given.
   */
  function contextMenuCommandErrors(given: Record<string, unknown>[]): FormErrors {
    const errors = new FormErrors();
    given.forEach((command, index) => {
      if (!isContextMenu(command)) return;
      errors.checkString([index, 'name'], command.name, 1, 32);
      const localised = (command.name_localizations ?? {}) as Record<string, unknown>;
      for (const [locale, name] of Object.entries(localised))
        errors.checkString([index, 'name_localizations', locale], name, 1, 32);
      if (typeof command.description === 'string' && command.description !== '')
        errors.add([index, 'description'], {
          code: 'APPLICATION_COMMAND_DESCRIPTION_NOT_ALLOWED',
          message: 'Context menu commands cannot have a description.',
        });
      if (Array.isArray(command.options) && command.options.length > 0)
        errors.add([index, 'options'], {
          code: 'APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED',
          message: 'Context menu commands cannot have options.',
        });
    });
    return errors;
  }

  function route(call: RecordedCall, response: ServerResponse): void {
    const { method, path } = call;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return json(response, 200, {
        url: `${origin.replace('http', 'ws')}/gateway`,
        shards: options.recommendedShards ?? 1,
        session_start_limit: {
          total: 1000,
          remaining: 1000,
          reset_after: 0,
          max_concurrency: options.maxConcurrency ?? 1,
        },
      });
    }
    if (method === 'GET' && path === '/users/@me') return json(response, 200, botUser);
    if (method === 'GET' && path === '/applications/@me')
      return json(response, 200, { id: applicationId, name: 'reelbot', flags: 0, bot: botUser });
    m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (m && method === 'POST') return handleCallback(call, response, m[2] ?? '');
    m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(path);
    if (m) {
      if (m[1] !== applicationId)
        return refuse(response, 404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
      return handleWebhook(call, response, m[2] ?? '', m[3]);
    }
    m = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (m && method === 'GET') return listMessages(call, response, m[1] ?? '');
    if (m && method === 'POST') return postMessage(call, response, m[1] ?? '');
    m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (m) return routeMessage(call, response, m[1] ?? '', m[2] ?? '');
    m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
    if (m && method === 'POST') return startThread(call, response, m[1] ?? '', m[2] ?? '');
    m = /^\/channels\/(\d+)$/.exec(path);
    if (m) return routeChannel(call, response, m[1] ?? '');
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String((call.json as { recipient_id?: unknown })?.recipient_id ?? '');
      let channel = dmChannels.get(recipient);
      if (!channel) {
        channel = snowflake(now());
        dmChannels.set(recipient, channel);
      }
      return json(response, 200, {
        id: channel,
        type: ChannelType.DM,
        recipients: [{ id: recipient, username: 'user', discriminator: '0', avatar: null }],
      });
    }
    m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (m) {
      const key = m[2] ?? 'global';
      if (method === 'PUT') {
        const given = ((call.json as Record<string, unknown>[] | undefined) ?? []).filter(
          (command) => typeof command === 'object' && command !== null,
        );
        const errors = contextMenuCommandErrors(given);
        if (!errors.empty) return invalidForm(response, errors);
        const registered = given.map((command) => ({
          ...command,
          // Discord gives context-menu commands an empty description rather than none.
          ...(isContextMenu(command) ? { description: '' } : {}),
          id: snowflake(now()),
          application_id: applicationId,
          version: snowflake(now()),
        }));
        commands.set(key, registered);
        return json(response, 200, registered);
      }
      if (method === 'GET') return json(response, 200, commands.get(key) ?? []);
    }
    m = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path);
    if (m && method === 'GET') {
      if (!members.get(m[1] ?? '')?.has(m[2] ?? ''))
        return json(response, 404, { message: 'Unknown Member', code: 10007 });
      return json(response, 200, {
        user: { id: m[2], username: 'user', discriminator: '0', avatar: null },
        roles: [],
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
      });
    }
    json(response, 404, { message: '404: Not Found', code: 0 });
  }

  function takeRule(call: RecordedCall): Rule | undefined {
    const index = rules.findIndex(
      (rule) =>
        (!rule.match.method || rule.match.method === call.method) &&
        (!rule.match.path || rule.match.path.test(call.path)) &&
        (rule.match.withFiles === undefined || rule.match.withFiles === call.files.length > 0) &&
        (!rule.match.json || rule.match.json(call.json)),
    );
    const rule = rules[index];
    if (!rule) return undefined;
    if (--rule.times <= 0) rules.splice(index, 1);
    return rule;
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const attachment = /^\/attachments\/(\d+)\/[^/]+$/.exec(url.pathname);
      if (attachment) {
        cdnFetches.push(attachment[1] ?? '');
        const upload = uploads.get(attachment[1] ?? '');
        // What Discord's CDN answers once a signed attachment link has expired.
        if (!upload || expiredUploads.has(attachment[1] ?? ''))
          return json(response, 404, { message: 'This content is no longer available.' });
        const delayMs = slowUploads.get(attachment[1] ?? '');
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
        response.writeHead(200, {
          'content-type': upload.contentType,
          'content-length': upload.bytes.length,
        });
        response.end(upload.bytes);
        return;
      }
      let raw: Buffer;
      if (isMultipart(request)) {
        uploadTraffic.started++;
        uploadTraffic.inFlight++;
        uploadTraffic.maxInFlight = Math.max(uploadTraffic.maxInFlight, uploadTraffic.inFlight);
        try {
          raw = await readBody(request, uploadTraffic.bytesPerSecond || undefined);
        } finally {
          uploadTraffic.inFlight--;
        }
      } else {
        raw = await readBody(request);
      }
      const labelled = /^\/client\/([\w-]+)(\/.*)$/.exec(url.pathname);
      const path = decodeURIComponent((labelled?.[2] ?? url.pathname).replace(/^\/api\/v\d+/, ''));
      const call: RecordedCall = {
        method: request.method ?? 'GET',
        path,
        ...(labelled ? { client: labelled[1] } : {}),
        query: url.searchParams,
        headers: request.headers,
        ...(await parseBody(request, raw)),
        status: 0,
        at: now(),
      };
      calls.push(call);
      const originalEnd = response.end.bind(response);
      response.end = ((...args: Parameters<ServerResponse['end']>) => {
        call.status = response.statusCode;
        for (const waiter of waiters) {
          if (waiter.predicate(call)) {
            waiters.delete(waiter);
            waiter.resolve(call);
          }
        }
        return originalEnd(...args);
      }) as ServerResponse['end'];
      if (refusedToken(call)) return json(response, 401, { message: '401: Unauthorized', code: 0 });
      const rule = takeRule(call);
      if (rule?.respond) return rule.respond(response);
      if (rule?.hold) {
        rule.hold.arrived(call);
        if ((await rule.hold.release) === 'drop') return void request.socket.destroy();
      }
      const invalid = overLongContent(call);
      if (invalid) return invalidForm(response, invalid);
      if (tooLargeUpload(call)) {
        return json(response, 413, { message: 'Request entity too large', code: 40005 });
      }
      route(call, response);
    })().catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { message: String(error), code: 0 });
    });
  });

  const gateway = new WebSocketServer({ server, path: '/gateway' });
  const dispatch = (socket: WebSocket, t: string, d: unknown) =>
    socket.send(JSON.stringify({ op: 0, t, s: ++gatewaySequence, d }));
  const socketsOfGuild = (guildId: string | undefined) =>
    [...shardOfSocket]
      .filter(([, [shardId, shardCount]]) => shardOfGuild(guildId, shardCount) === shardId)
      .map(([socket]) => socket);
  /** Sends an event to every session whose shard owns the event's guild (shard 0: no guild). */
  const broadcast = (t: string, d: object) => {
    const guildId = 'guild_id' in d && typeof d.guild_id === 'string' ? d.guild_id : undefined;
    for (const socket of socketsOfGuild(guildId)) dispatch(socket, t, d);
  };
  /** The sessions that get MESSAGE_* events of a guild (Guild Messages intent) or of DMs (Direct Messages). */
  const messageEventSockets = (guildId: string | undefined) => {
    const intent = guildId ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
    return socketsOfGuild(guildId).filter((socket) => (intentsOfSocket.get(socket) ?? 0) & intent);
  };

  /** IDENTIFY's optional `shard`: [0, 1] when absent, undefined when it is not a valid pair. */
  function identifiedShard(d: unknown): [number, number] | undefined {
    const shard = (d as { shard?: unknown } | undefined)?.shard ?? [0, 1];
    if (!Array.isArray(shard) || shard.length !== 2) return undefined;
    const [id, count] = shard as unknown[];
    if (!Number.isInteger(id) || !Number.isInteger(count)) return undefined;
    const [shardId, shardCount] = [id as number, count as number];
    return shardId >= 0 && shardId < shardCount ? [shardId, shardCount] : undefined;
  }

  function threadPayload(thread: FakeThread) {
    return {
      id: thread.id,
      type: thread.type,
      guild_id: thread.guildId,
      parent_id: thread.parentId,
      name: thread.name,
      owner_id: thread.ownerId,
      member_count: 1,
      message_count: 0,
      total_message_sent: 0,
      rate_limit_per_user: 0,
      flags: 0,
      thread_metadata: {
        archived: thread.archived,
        auto_archive_duration: thread.autoArchiveDuration,
        archive_timestamp: new Date(thread.archivedAt).toISOString(),
        locked: thread.locked,
      },
      // The bot's own thread member, once it joined (Channels › Get Channel).
      ...(thread.botJoinedAt !== undefined
        ? {
            member: {
              id: thread.id,
              user_id: botUserId,
              join_timestamp: new Date(thread.botJoinedAt).toISOString(),
              flags: 0,
            },
          }
        : {}),
    };
  }

  function guildPayload(guild: FakeGuild) {
    return {
      id: guild.id,
      name: guild.name ?? `guild ${guild.id}`,
      icon: null,
      owner_id: guild.ownerId ?? '1',
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [
        {
          id: guild.id,
          name: '@everyone',
          permissions: '0',
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
        ...(guild.roles ?? []).map((role, index) => ({
          ...role,
          name: role.name ?? `role ${index}`,
          position: index + 1,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        })),
      ],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      system_channel_flags: 0,
      premium_tier: 0,
      preferred_locale: 'en-US',
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: new Date(0).toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      members: [
        {
          user: botUser,
          roles: [],
          joined_at: new Date(0).toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
      ],
      channels: guild.channels.map((channel, index) => ({
        id: channel.id,
        type: channel.type ?? ChannelType.GuildText,
        name: channel.name ?? `channel-${index}`,
        position: index,
        guild_id: guild.id,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
      })),
      // The active threads the bot can see (Guild Create).
      threads: [...threads.values()]
        .filter((thread) => thread.guildId === guild.id && !thread.deleted && !thread.archived)
        .map(threadPayload),
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
    };
  }

  gateway.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      shardOfSocket.delete(socket);
      intentsOfSocket.delete(socket);
    });
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    socket.on('message', (data) => {
      const payload = JSON.parse(String(data)) as { op: number; d?: unknown };
      if (payload.op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (payload.op === 2 || payload.op === 6) {
        // A resume (op 6) keeps its session's shard; the fake answers it with a new READY.
        const d = payload.d as { session_id?: string; token?: string } | undefined;
        if (acceptedToken !== undefined && d?.token !== acceptedToken)
          return socket.close(authenticationFailedCloseCode, 'Authentication failed.');
        const shard =
          payload.op === 6 ? (shardOfSession.get(d?.session_id ?? '') ?? [0, 1]) : identifiedShard(payload.d);
        if (!shard) return socket.close(invalidShardCloseCode, 'Invalid shard');
        const intents =
          payload.op === 6
            ? (intentsOfSession.get(d?.session_id ?? '') ?? 0)
            : Number((payload.d as { intents?: unknown } | undefined)?.intents ?? 0);
        if (intents & GatewayIntentBits.MessageContent && !options.messageContentIntent)
          return socket.close(disallowedIntentsCloseCode, 'Disallowed intent(s).');
        const held = heldShards.get(shard[0]);
        if (held) held.push(() => startSession(socket, shard, intents));
        else startSession(socket, shard, intents);
      }
    });
  });

  /** Answers an IDENTIFY or RESUME of `shard`: a new session, READY and the shard's guilds. */
  function startSession(socket: WebSocket, shard: [number, number], intents: number): void {
    if (socket.readyState !== socket.OPEN) return;
    const sessionId = randomBytes(8).toString('hex');
    sessionsStarted.push(shard);
    shardOfSocket.set(socket, shard);
    shardOfSession.set(sessionId, shard);
    intentsOfSocket.set(socket, intents);
    intentsOfSession.set(sessionId, intents);
    const own = guilds.filter((guild) => shardOfGuild(guild.id, shard[1]) === shard[0]);
    dispatch(socket, 'READY', {
      v: 10,
      user: botUser,
      guilds: own.map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: sessionId,
      resume_gateway_url: `${origin.replace('http', 'ws')}/gateway`,
      shard,
      application: { id: applicationId, flags: 0 },
    });
    for (const guild of own) dispatch(socket, 'GUILD_CREATE', guildPayload(guild));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** An interaction's fields in a server: its guild, channel and the member who used it. */
  function guildPart(input: InteractionInput, guildId: string, user: object) {
    const guildMembers = members.get(guildId) ?? new Set<string>();
    guildMembers.add(input.user.id);
    members.set(guildId, guildMembers);
    return {
      guild_id: guildId,
      channel: {
        id: input.channelId,
        type: input.channelType ?? ChannelType.GuildText,
        guild_id: guildId,
        name: 'general',
        position: 0,
        permission_overwrites: [],
        nsfw: false,
        parent_id: input.parentId ?? null,
      },
      member: {
        user,
        roles: input.memberRoles ?? [],
        permissions: input.memberPermissions ?? '0',
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
      },
      authorizing_integration_owners: { '0': guildId },
      context: 0,
    };
  }

  /** The same in a DM with the bot: the user at top level, a DM channel, context BOT_DM. */
  function directMessagePart(input: InteractionInput, user: object) {
    return {
      channel: {
        id: input.channelId,
        type: ChannelType.DM,
        recipients: [user],
        last_message_id: null,
        flags: 0,
      },
      user,
      // A server-installed app used in its bot's DM: GUILD_INSTALL's owner is "0".
      authorizing_integration_owners: { '0': '0' },
      context: 1,
    };
  }

  /** A new interaction's id and token, the token alive for 15 minutes in `channelId`. */
  function newInteraction(
    type: number,
    input: InteractionInput,
    originalMessageId?: string,
  ): { id: string; token: string } {
    const id = snowflake(now());
    const token = `tok_${randomBytes(12).toString('hex')}`;
    tokens.set(token, {
      interactionId: id,
      type,
      channelId: input.channelId,
      createdAt: now(),
      acknowledged: false,
      expired: false,
      originalMessageId,
      input,
    });
    interactionChannels.add(input.channelId);
    meet(input.user);
    return { id, token };
  }

  /** The app's permissions where an interaction is used: the channel's (a DM's are fixed). */
  function appPermissionsIn(input: InteractionInput): string {
    if (input.appPermissions !== undefined) return input.appPermissions;
    if (input.guildId === undefined) return String((1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 15n));
    return String(permissionsIn(input.channelId));
  }

  function interactionBase(input: InteractionInput, type: number, originalMessageId?: string) {
    const { id, token } = newInteraction(type, input, originalMessageId);
    uploadLimits.set(input.channelId, input.attachmentSizeLimit ?? defaultUploadLimit);
    const user = userPayload(input.user);
    return {
      id,
      token,
      payload: {
        id,
        token,
        type,
        application_id: applicationId,
        channel_id: input.channelId,
        ...(input.guildId === undefined
          ? directMessagePart(input, user)
          : guildPart(input, input.guildId, user)),
        app_permissions: appPermissionsIn(input),
        locale: input.locale ?? 'en-US',
        guild_locale: 'en-US',
        version: 1,
        entitlements: [],
        attachment_size_limit: input.attachmentSizeLimit ?? 10 * 1024 * 1024,
      },
    };
  }

  /** A message the fake holds, for a test to act on: a test error when there is none. */
  function heldMessage(messageId: string): FakeMessage {
    const message = messages.get(messageId);
    if (!message || message.deleted) throw new Error(`the fake holds no message ${messageId}`);
    return message;
  }

  function heldThread(threadId: string): FakeThread {
    const thread = threads.get(threadId);
    if (!thread || thread.deleted) throw new Error(`the fake holds no thread ${threadId}`);
    return thread;
  }

  return {
    restUrl: `${origin}/api`,
    /**
     * The same REST API at a URL of its own for one client: its calls are recorded with
     * `client: label`, so a test running several bots can tell whose a call is.
     */
    restUrlFor: (label: string) => `${origin}/client/${label}/api`,
    gatewayUrl: `${origin.replace('http', 'ws')}/gateway`,
    origin,
    applicationId,
    botUserId,
    calls,
    cdnFetches,
    messages,
    commands,

    /**
     * Registers a file on the fake CDN, for the `resolved.attachments` of a command, a seeded
     * message or a modal's file upload; `delayMs` makes the CDN wait that long before answering
     * for it; `width` and `height` are reported as Discord reports them for images and videos.
     */
    addAttachment(
      bytes: Buffer,
      filename: string,
      contentType: string,
      options: { delayMs?: number; width?: number; height?: number } = {},
    ): FakeAttachment {
      const id = snowflake(now());
      uploads.set(id, { bytes, contentType });
      if (options.delayMs) slowUploads.set(id, options.delayMs);
      const url = `${origin}/attachments/${id}/${encodeURIComponent(filename)}`;
      const { width, height } = options;
      return {
        id,
        filename,
        size: bytes.length,
        url,
        proxy_url: url,
        content_type: contentType,
        ...(width !== undefined && height !== undefined ? { width, height } : {}),
      };
    },

    /**
     * A public thread in a guild channel. The bot hears of it through THREAD_CREATE, as it does
     * of threads in channels it can see, unless `announce` is false; GET /channels/{id} knows it.
     */
    createThread(input: { guildId: string; id: string; parentId: string; announce?: boolean }): void {
      const thread: FakeThread = {
        id: input.id,
        guildId: input.guildId,
        parentId: input.parentId,
        type: ChannelType.PublicThread,
        name: 'a thread',
        ownerId: '1',
        archived: false,
        locked: false,
        autoArchiveDuration: 1440,
        archivedAt: now(),
        deleted: false,
      };
      threads.set(input.id, thread);
      if (input.announce !== false)
        broadcast('THREAD_CREATE', { ...threadPayload(thread), newly_created: true });
    },

    /** A thread as the fake holds it (archived, locked, deleted …), or undefined. */
    thread(threadId: string): Readonly<FakeThread> | undefined {
      return threads.get(threadId);
    },

    /**
     * The thread archives, as Discord does after `auto_archive_duration` without activity or a
     * moderator does (`locked`: so that only Manage Threads unarchives it): THREAD_UPDATE.
     */
    archiveThread(threadId: string, options: { locked?: boolean } = {}): void {
      const thread = heldThread(threadId);
      if (options.locked) thread.locked = true;
      setArchived(thread, true);
    },

    /** A moderator deletes the thread: THREAD_DELETE; posts into it answer 10003 Unknown Channel. */
    deleteThread(threadId: string): void {
      removeThread(heldThread(threadId));
    },

    /**
     * The bot's permissions in a guild channel or thread from now on (a thread without its own
     * has its parent's): REST calls check them (50001 without View Channel, 50013 without what an
     * action takes) and interactions there carry them as `app_permissions`.
     */
    setBotPermissions(channelId: string, permissions: bigint): void {
      botPermissions.set(channelId, permissions);
    },

    /**
     * A message by someone other than the bot, as if they had posted it: `<@id>`, `<@&id>` and
     * @everyone in its content become its mentions (names from `mentions`, or users the fake met).
     */
    seedMessage(input: {
      channelId: string;
      author: FakeUser;
      content?: string;
      attachments?: FakeAttachment[];
      embeds?: unknown[];
      mentions?: FakeUser[];
    }): FakeMessage {
      meet(input.author);
      for (const user of input.mentions ?? []) meet(user);
      const message: FakeMessage = {
        id: snowflake(now()),
        channelId: input.channelId,
        authorId: input.author.id,
        author: input.author,
        content: input.content ?? '',
        embeds: input.embeds ?? [],
        attachments: input.attachments ?? [],
        mentions: mentionsIn(input.content ?? '', undefined, false),
      };
      messages.set(message.id, message);
      broadcastMessage('MESSAGE_CREATE', message);
      return message;
    },

    /** The message is deleted by its author or a moderator (MESSAGE_DELETE): fetching it answers 10008. */
    deleteMessage(messageId: string): void {
      deleteMessage(heldMessage(messageId));
    },

    /** The CDN stops serving a file, as it does when a signed attachment link expires (~24 h). */
    expireAttachment(attachment: FakeAttachment): void {
      expiredUploads.add(attachment.id);
    },

    sendCommand(input: InteractionInput & { name: string; options?: unknown[]; resolved?: unknown }) {
      const { id, token, payload } = interactionBase(input, InteractionType.ApplicationCommand);
      broadcast('INTERACTION_CREATE', {
        ...payload,
        data: {
          id: snowflake(now()),
          name: input.name,
          type: ApplicationCommandType.ChatInput,
          options: input.options ?? [],
          resolved: input.resolved,
          guild_id: input.guildId,
        },
      });
      return { id, token };
    },

    /**
     * A message command (Apps › `name`) used on a message the fake holds, in its channel unless
     * `channelId` says otherwise: `data.target_id` and the message in `data.resolved.messages`,
     * in full whatever the Message Content intent. Its original response replies to the message.
     */
    sendMessageCommand(
      input: Omit<InteractionInput, 'channelId'> & { channelId?: string; name: string; messageId: string },
    ) {
      const target = heldMessage(input.messageId);
      const channelId = input.channelId ?? target.channelId;
      const { id, token, payload } = interactionBase(
        { ...input, channelId },
        InteractionType.ApplicationCommand,
      );
      const state = tokens.get(token);
      if (state) state.targetMessageId = target.id;
      broadcast('INTERACTION_CREATE', {
        ...payload,
        data: {
          id: snowflake(now()),
          name: input.name,
          type: ApplicationCommandType.Message,
          target_id: target.id,
          resolved: { messages: { [target.id]: toApiMessage(target, true) } },
          guild_id: input.guildId,
        },
      });
      return { id, token };
    },

    sendAutocomplete(input: InteractionInput & { name: string; options: unknown[] }) {
      const { id, token, payload } = interactionBase(input, InteractionType.ApplicationCommandAutocomplete);
      broadcast('INTERACTION_CREATE', {
        ...payload,
        data: {
          id: snowflake(now()),
          name: input.name,
          type: ApplicationCommandType.ChatInput,
          options: input.options,
        },
      });
      return { id, token };
    },

    sendButton(input: InteractionInput & { customId: string; messageId: string }) {
      const { id, token, payload } = interactionBase(
        input,
        InteractionType.MessageComponent,
        input.messageId,
      );
      const message = messages.get(input.messageId);
      broadcast('INTERACTION_CREATE', {
        ...payload,
        message: toApiMessage(
          message ?? {
            id: input.messageId,
            channelId: input.channelId,
            attachments: [],
            authorId: botUserId,
            mentions: noMentions(),
          },
          true,
        ),
        data: { custom_id: input.customId, component_type: ComponentType.Button },
      });
      return { id, token };
    },

    /**
     * A button pressed on a message in the member's DM with the bot, as Discord sends it: no
     * guild_id and no member (the clicker is `user`), the DM channel (type 1), context 1 (BOT_DM),
     * and the guild-install owner given as "0" (discord-api-types' APIDMInteractionWrapper).
     */
    sendDmButton(input: {
      user: { id: string; username?: string };
      customId: string;
      messageId: string;
      locale?: string;
    }) {
      let channelId = dmChannels.get(input.user.id);
      if (!channelId) {
        channelId = snowflake(now());
        dmChannels.set(input.user.id, channelId);
      }
      const { id, token } = newInteraction(
        InteractionType.MessageComponent,
        { channelId, user: input.user, locale: input.locale },
        input.messageId,
      );
      const user = userPayload(input.user);
      const message = messages.get(input.messageId);
      broadcast('INTERACTION_CREATE', {
        id,
        token,
        type: InteractionType.MessageComponent,
        application_id: applicationId,
        channel_id: channelId,
        channel: { id: channelId, type: ChannelType.DM, flags: 0, recipients: [user] },
        user,
        // In a DM the bot may embed, attach and mention everyone (Discord's fixed DM permissions).
        app_permissions: String((1n << 14n) | (1n << 15n) | (1n << 17n)),
        locale: input.locale ?? 'en-US',
        version: 1,
        entitlements: [],
        authorizing_integration_owners: { '0': '0' },
        context: 1,
        attachment_size_limit: defaultUploadLimit,
        message: toApiMessage(
          message ?? {
            id: input.messageId,
            channelId,
            attachments: [],
            authorId: botUserId,
            mentions: noMentions(),
          },
          true,
        ),
        data: { custom_id: input.customId, component_type: ComponentType.Button },
      });
      return { id, token };
    },

    /** The DM channel the bot opened with a user, if any. */
    dmChannelOf(userId: string): string | undefined {
      return dmChannels.get(userId);
    },

    /** A modal submit in the legacy shape: one action row with one text input per field. */
    sendModalSubmit(input: InteractionInput & { customId: string; fields: Record<string, string> }) {
      const { id, token, payload } = interactionBase(input, InteractionType.ModalSubmit);
      const components = Object.entries(input.fields).map(([customId, value]) => ({
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: customId, value }],
      }));
      broadcast('INTERACTION_CREATE', { ...payload, data: { custom_id: input.customId, components } });
      return { id, token };
    },

    /** The modal the interaction of `token` answered with (callback type 9), as Discord keeps it. */
    modalShown(token: string): Record<string, unknown> | undefined {
      return tokens.get(token)?.modal;
    },

    /**
     * The member fills in and submits the modal the interaction of `token` showed, as Discord's
     * client sends it: by the same member in the same place, `data.components` mirroring the modal
     * (label → component with its `value` or `values`), uploaded files in `data.resolved.attachments`,
     * and the message when a button opened it. `values` go by custom id (text, option values, or
     * files from addAttachment); fields left out keep what the modal pre-filled. Values the client
     * would refuse (a required field empty, an option the select does not offer, too many files)
     * throw.
     */
    submitModal(token: string, values: Record<string, ModalValue> = {}) {
      const opener = tokens.get(token);
      if (!opener?.modal || !opener.input) throw new Error('that interaction showed no modal');
      const data = modalSubmitData(opener.modal, values);
      const fromButton =
        opener.type === InteractionType.MessageComponent ? opener.originalMessageId : undefined;
      const {
        id,
        token: submitToken,
        payload,
      } = interactionBase(opener.input, InteractionType.ModalSubmit, fromButton);
      const message = fromButton ? messages.get(fromButton) : undefined;
      broadcast('INTERACTION_CREATE', {
        ...payload,
        ...(message ? { message: toApiMessage(message, true) } : {}),
        data,
      });
      return { id, token: submitToken };
    },

    waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs = 10_000): Promise<RecordedCall> {
      const seen = calls.find((call) => call.status !== 0 && predicate(call));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (call: RecordedCall) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no matching REST call within ${timeoutMs} ms; calls: ${calls.map((c) => `${c.method} ${c.path} ${c.status}`).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },

    expireToken(token: string): void {
      const state = tokens.get(token);
      if (state) state.expired = true;
    },

    rateLimitNext(match: Match, retryAfterSeconds: number, times = 1): void {
      rules.push({
        match,
        times,
        respond: (response) =>
          json(
            response,
            429,
            { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
            {
              'retry-after': String(Math.ceil(retryAfterSeconds)),
              'x-ratelimit-limit': '5',
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset-after': String(retryAfterSeconds),
              'x-ratelimit-bucket': 'fakebucket',
              'x-ratelimit-scope': 'user',
            },
          ),
      });
    },

    failNext(match: Match, status: number, body: unknown, times = 1): void {
      rules.push({ match, times, respond: (response) => json(response, status, body) });
    },

    /**
     * Lowers a channel's upload limit after its interactions reported a higher one (the server
     * lost a boost): uploads over it get 413 / 40005.
     */
    setUploadLimit(channelId: string, bytes: number): void {
      uploadLimits.set(channelId, bytes);
    },

    /**
     * Holds the next matching call: Discord handles it only after `release()`, so a test can stop
     * the bot while the call is in flight; or never, after `drop()`, which closes the connection
     * as a request lost on the way would (the call stays recorded, with status 0). `arrived`
     * resolves when the call, received whole, reaches the fake.
     */
    holdNext(match: Match): { arrived: Promise<RecordedCall>; release: () => void; drop: () => void } {
      let settle: (outcome: 'handle' | 'drop') => void = () => {};
      let arrived: (call: RecordedCall) => void = () => {};
      const arrival = new Promise<RecordedCall>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<'handle' | 'drop'>((resolve) => {
        settle = resolve;
      });
      rules.push({ match, times: 1, hold: { arrived, release: released } });
      return { arrived: arrival, release: () => settle('handle'), drop: () => settle('drop') };
    },

    /** The [shard_id, num_shards] of every open gateway session, in the order they identified. */
    identifiedShards(): [number, number][] {
      return [...shardOfSocket.values()];
    },

    /** The [shard_id, num_shards] of every session ever started (a reconnect starts another). */
    sessionsStarted(): [number, number][] {
      return [...sessionsStarted];
    },

    /**
     * Discord stops accepting the bot token (it was reset): from now on REST calls with it get 401
     * and an IDENTIFY with it closes with 4004. Only with the `token` option.
     */
    revokeToken(): void {
      acceptedToken = `revoked-${randomBytes(8).toString('hex')}`;
    },

    /**
     * A gateway outage for one shard: its sessions are closed (4000, so clients resume) and its
     * IDENTIFY or RESUME is answered only after `release()`.
     */
    holdShard(shardId: number): { release: () => void } {
      heldShards.set(shardId, []);
      for (const [socket, [id]] of shardOfSocket) {
        if (id !== shardId) continue;
        shardOfSocket.delete(socket);
        socket.close(unknownErrorCloseCode, 'Unknown error');
      }
      return {
        release: () => {
          const waiting = heldShards.get(shardId) ?? [];
          heldShards.delete(shardId);
          for (const answer of waiting) answer();
        },
      };
    },

    /** Uploads received so far: started, in flight now and at most (see `acceptUploadsAt`). */
    uploads: uploadTraffic as Readonly<typeof uploadTraffic>,

    /** From now on, requests carrying files are received at `bytesPerSecond`: a slow uplink. */
    acceptUploadsAt(bytesPerSecond: number): void {
      uploadTraffic.bytesPerSecond = bytesPerSecond;
    },

    /** The message an interaction's token answered with (its @original). */
    originalMessage(token: string): FakeMessage | undefined {
      const id = tokens.get(token)?.originalMessageId;
      return id ? messages.get(id) : undefined;
    },

    async close(): Promise<void> {
      for (const socket of sockets) socket.terminate();
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
