// A fake Discord: a real REST server and gateway WebSocket on 127.0.0.1 that the real discord.js
// client logs into (rest.api points here; the gateway URL comes from GET /gateway/bot). It
// dispatches interactions, records every REST call (JSON and multipart with files), keeps the
// messages it was asked to create, and can expire tokens, rate-limit and fail routes. Several
// gateway sessions may each identify as one shard: each gets only its guilds' events.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
} from 'discord.js';
import { type WebSocket, WebSocketServer } from 'ws';

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
  /** Set for interaction responses: the token that owns it. */
  interactionToken?: string;
  deleted?: boolean;
}

interface Match {
  method?: string;
  path?: RegExp;
  /** Only calls that upload files (true), or only calls that do not (false). */
  withFiles?: boolean;
}

interface Rule {
  match: Match;
  times: number;
  /** Answers instead of the fake's routes. */
  respond?: (response: ServerResponse) => void;
  /** Handles the call normally, but only once `release` resolves (a process can die meanwhile). */
  hold?: { arrived: (call: RecordedCall) => void; release: Promise<void> };
}

/** The most characters a message's content may have. */
const maxContentLength = 2_000;

/** Discord's limit on uploads in DMs, and in servers without boosts. */
const defaultUploadLimit = 10 * 1024 * 1024;

interface TokenState {
  interactionId: string;
  channelId: string;
  createdAt: number;
  acknowledged: boolean;
  expired: boolean;
  originalMessageId?: string;
}

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
  const threads = new Map<string, { guildId: string; parentId: string }>();
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

  function toApiMessage(message: FakeMessage) {
    return {
      id: message.id,
      channel_id: message.channelId,
      author:
        message.authorId === botUserId
          ? botUser
          : { id: message.authorId, username: 'user', discriminator: '0', avatar: null },
      content: message.content ?? '',
      timestamp: new Date(Number((BigInt(message.id) >> 22n) + 1420070400000n)).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: message.attachments,
      embeds: message.embeds ?? [],
      components: message.components ?? [],
      pinned: false,
      type: message.interactionToken ? MessageType.ChatInputCommand : MessageType.Default,
      flags: message.flags ?? 0,
      ...(message.interactionToken ? { application_id: applicationId, webhook_id: applicationId } : {}),
    };
  }

  /** Applies a message create/edit body: content, embeds, components, and the attachments to keep. */
  function applyBody(
    message: FakeMessage,
    body: Record<string, unknown> | undefined,
    files: RecordedCall['files'],
  ): void {
    if (!body) body = {};
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
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
  ): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(now()),
      channelId,
      attachments: [],
      authorId,
      interactionToken: token,
    };
    applyBody(message, body, files);
    messages.set(message.id, message);
    return message;
  }

  function tokenUsable(token: string): TokenState | undefined {
    const state = tokens.get(token);
    if (!state || state.expired || now() - state.createdAt > tokenLifetimeMs) return undefined;
    return state;
  }

  const invalidToken = (response: ServerResponse) =>
    json(response, 401, { message: 'Invalid Webhook Token', code: 50027 });
  const unknownMessage = (response: ServerResponse) =>
    json(response, 404, { message: 'Unknown Message', code: 10008 });

  function handleCallback(call: RecordedCall, response: ServerResponse, token: string): void {
    const state = tokenUsable(token);
    if (!state) return json(response, 404, { message: 'Unknown interaction', code: 10062 });
    if (state.acknowledged)
      return json(response, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    if (now() - state.createdAt > acknowledgeWithinMs) {
      state.expired = true;
      return json(response, 404, { message: 'Unknown interaction', code: 10062 });
    }
    state.acknowledged = true;
    const body = (call.json ?? {}) as { type?: number; data?: Record<string, unknown> };
    const data = body.data ?? {};
    let message: FakeMessage | undefined;
    if (body.type === InteractionResponseType.ChannelMessageWithSource) {
      message = createMessage(state.channelId, botUserId, data, call.files, token);
    } else if (body.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const flags = (typeof data.flags === 'number' ? data.flags : 0) | loadingFlag;
      message = createMessage(state.channelId, botUserId, { flags }, [], token);
    } else if (body.type === InteractionResponseType.UpdateMessage) {
      // Update the message the component is on: the test passed its id when dispatching.
      const target = state.originalMessageId ? messages.get(state.originalMessageId) : undefined;
      if (target) applyBody(target, data, call.files);
    }
    if (message) state.originalMessageId = message.id;
    if (call.query.get('with_response') === 'true') {
      return json(response, 200, {
        interaction: {
          id: state.interactionId,
          type: InteractionType.ApplicationCommand,
          response_message_id: message?.id,
          response_message_loading: body.type === InteractionResponseType.DeferredChannelMessageWithSource,
          response_message_ephemeral: Boolean(message && (message.flags ?? 0) & ephemeralFlag),
        },
        resource: message ? { type: body.type, message: toApiMessage(message) } : { type: body.type },
      });
    }
    json(response, 204, undefined);
  }

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
    if (!message || message.deleted) return unknownMessage(response);
    if (call.method === 'GET') return json(response, 200, toApiMessage(message));
    if (call.method === 'DELETE') {
      message.deleted = true;
      return json(response, 204, undefined);
    }
    if (call.method === 'PATCH') {
      message.flags = (message.flags ?? 0) & ~loadingFlag;
      applyBody(message, body, call.files);
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
  function overLongContent(call: RecordedCall): Record<string, unknown> | undefined {
    if (call.method !== 'POST' && call.method !== 'PATCH') return undefined;
    const body = call.json as Record<string, unknown> | undefined;
    const callback = call.path.endsWith('/callback');
    const content = callback ? (body?.data as Record<string, unknown> | undefined)?.content : body?.content;
    // Discord counts characters (code points), not UTF-16 units.
    if (typeof content !== 'string' || [...content].length <= maxContentLength) return undefined;
    const field = {
      content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
    };
    return callback ? { data: field } : field;
  }

  function knownChannel(channelId: string): boolean {
    return (
      guilds.some((guild) => guild.channels.some((channel) => channel.id === channelId)) ||
      threads.has(channelId) ||
      [...dmChannels.values()].includes(channelId)
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
      if (m[1] !== applicationId) return json(response, 404, { message: 'Unknown Webhook', code: 10015 });
      return handleWebhook(call, response, m[2] ?? '', m[3]);
    }
    m = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (m && method === 'GET') {
      if (!knownChannel(m[1] ?? '')) return json(response, 404, { message: 'Unknown Channel', code: 10003 });
      const limit = Math.min(100, Number(call.query.get('limit') ?? 50));
      const recent = [...messages.values()]
        .filter((message) => message.channelId === m?.[1] && !message.deleted)
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
        .slice(0, limit);
      return json(response, 200, recent.map(toApiMessage));
    }
    if (m && method === 'POST') {
      if (!knownChannel(m[1] ?? '')) return json(response, 404, { message: 'Unknown Channel', code: 10003 });
      const message = createMessage(m[1] ?? '', botUserId, call.json as Record<string, unknown>, call.files);
      return json(response, 200, toApiMessage(message));
    }
    m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (m) {
      const message = messages.get(m[2] ?? '');
      if (!message || message.deleted || message.channelId !== m[1]) return unknownMessage(response);
      if (method === 'GET') return json(response, 200, toApiMessage(message));
      if (method === 'PATCH') {
        if (message.authorId !== botUserId)
          return json(response, 403, {
            message: 'Cannot edit a message authored by another user',
            code: 50005,
          });
        applyBody(message, call.json as Record<string, unknown>, call.files);
        return json(response, 200, toApiMessage(message));
      }
    }
    m = /^\/channels\/(\d+)$/.exec(path);
    const thread = m && method === 'GET' ? threads.get(m[1] ?? '') : undefined;
    if (m && thread) return json(response, 200, threadPayload(m[1] ?? '', thread));
    if (m && method === 'GET') {
      const guild = guilds.find((g) => g.channels.some((channel) => channel.id === m?.[1]));
      if (!guild) return json(response, 404, { message: 'Unknown Channel', code: 10003 });
      return json(response, 200, {
        id: m[1],
        type: ChannelType.GuildText,
        guild_id: guild.id,
        name: 'general',
        position: 0,
        permission_overwrites: [],
      });
    }
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
        const registered = ((call.json as unknown[]) ?? []).map((command) => ({
          ...(command as object),
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
        (rule.match.withFiles === undefined || rule.match.withFiles === call.files.length > 0),
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
      const path = decodeURIComponent(url.pathname.replace(/^\/api\/v\d+/, ''));
      const call: RecordedCall = {
        method: request.method ?? 'GET',
        path,
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
        await rule.hold.release;
      }
      const invalid = overLongContent(call);
      if (invalid) return json(response, 400, { message: 'Invalid Form Body', code: 50035, errors: invalid });
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
  /** Sends an event to every session whose shard owns the event's guild (shard 0: no guild). */
  const broadcast = (t: string, d: object) => {
    const guildId = 'guild_id' in d && typeof d.guild_id === 'string' ? d.guild_id : undefined;
    for (const [socket, [shardId, shardCount]] of shardOfSocket)
      if (shardOfGuild(guildId, shardCount) === shardId) dispatch(socket, t, d);
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

  function threadPayload(id: string, thread: { guildId: string; parentId: string }) {
    return {
      id,
      type: ChannelType.PublicThread,
      guild_id: thread.guildId,
      parent_id: thread.parentId,
      name: 'a thread',
      owner_id: '1',
      member_count: 1,
      message_count: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date(now()).toISOString(),
        locked: false,
      },
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
      threads: [],
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
        const held = heldShards.get(shard[0]);
        if (held) held.push(() => startSession(socket, shard));
        else startSession(socket, shard);
      }
    });
  });

  /** Answers an IDENTIFY or RESUME of `shard`: a new session, READY and the shard's guilds. */
  function startSession(socket: WebSocket, shard: [number, number]): void {
    if (socket.readyState !== socket.OPEN) return;
    const sessionId = randomBytes(8).toString('hex');
    sessionsStarted.push(shard);
    shardOfSocket.set(socket, shard);
    shardOfSession.set(sessionId, shard);
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
  function newInteraction(channelId: string, originalMessageId?: string): { id: string; token: string } {
    const id = snowflake(now());
    const token = `tok_${randomBytes(12).toString('hex')}`;
    tokens.set(token, {
      interactionId: id,
      channelId,
      createdAt: now(),
      acknowledged: false,
      expired: false,
      originalMessageId,
    });
    return { id, token };
  }

  const userPayload = (user: { id: string; username?: string }) => ({
    id: user.id,
    username: user.username ?? 'member',
    discriminator: '0',
    global_name: null,
    avatar: null,
  });

  function interactionBase(input: InteractionInput, type: number) {
    const { id, token } = newInteraction(input.channelId);
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
        app_permissions:
          input.appPermissions ?? String((1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 15n)),
        locale: input.locale ?? 'en-US',
        guild_locale: 'en-US',
        version: 1,
        entitlements: [],
        attachment_size_limit: input.attachmentSizeLimit ?? 10 * 1024 * 1024,
      },
    };
  }

  return {
    restUrl: `${origin}/api`,
    gatewayUrl: `${origin.replace('http', 'ws')}/gateway`,
    origin,
    applicationId,
    botUserId,
    calls,
    messages,
    commands,

    /**
     * Registers a file on the fake CDN, for the `resolved.attachments` of a command; `delayMs`
     * makes the CDN wait that long before answering for it.
     */
    addAttachment(
      bytes: Buffer,
      filename: string,
      contentType: string,
      options: { delayMs?: number } = {},
    ): FakeAttachment {
      const id = snowflake(now());
      uploads.set(id, { bytes, contentType });
      if (options.delayMs) slowUploads.set(id, options.delayMs);
      const url = `${origin}/attachments/${id}/${encodeURIComponent(filename)}`;
      return { id, filename, size: bytes.length, url, proxy_url: url, content_type: contentType };
    },

    /**
     * A public thread in a guild channel. The bot hears of it through THREAD_CREATE, as it does
     * of threads in channels it can see, unless `announce` is false; GET /channels/{id} knows it.
     */
    createThread(input: { guildId: string; id: string; parentId: string; announce?: boolean }): void {
      threads.set(input.id, { guildId: input.guildId, parentId: input.parentId });
      if (input.announce !== false)
        broadcast('THREAD_CREATE', { ...threadPayload(input.id, input), newly_created: true });
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
      const { id, token, payload } = interactionBase(input, InteractionType.MessageComponent);
      const tokenState = tokens.get(token);
      if (tokenState) tokenState.originalMessageId = input.messageId;
      const message = messages.get(input.messageId);
      broadcast('INTERACTION_CREATE', {
        ...payload,
        message: message
          ? toApiMessage(message)
          : {
              ...toApiMessage({
                id: input.messageId,
                channelId: input.channelId,
                attachments: [],
                authorId: botUserId,
              }),
            },
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
      const { id, token } = newInteraction(channelId, input.messageId);
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
          message ?? { id: input.messageId, channelId, attachments: [], authorId: botUserId },
        ),
        data: { custom_id: input.customId, component_type: ComponentType.Button },
      });
      return { id, token };
    },

    /** The DM channel the bot opened with a user, if any. */
    dmChannelOf(userId: string): string | undefined {
      return dmChannels.get(userId);
    },

    sendModalSubmit(input: InteractionInput & { customId: string; fields: Record<string, string> }) {
      const { id, token, payload } = interactionBase(input, InteractionType.ModalSubmit);
      const components = Object.entries(input.fields).map(([customId, value]) => ({
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: customId, value }],
      }));
      broadcast('INTERACTION_CREATE', { ...payload, data: { custom_id: input.customId, components } });
      return { id, token };
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
     * the bot while the call is in flight. `arrived` resolves when the call reaches the fake.
     */
    holdNext(match: Match): { arrived: Promise<RecordedCall>; release: () => void } {
      let release = () => {};
      let arrived: (call: RecordedCall) => void = () => {};
      const arrival = new Promise<RecordedCall>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      rules.push({ match, times: 1, hold: { arrived, release: released } });
      return { arrived: arrival, release };
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
