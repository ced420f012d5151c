// Builds and starts the whole bot from a config: store → provider → tracker → Discord.

import { createHash } from 'node:crypto';
import { Client, Events, GatewayIntentBits, REST, Status } from 'discord.js';
import { request } from 'undici';
import type { Config } from './config.ts';
import type { CommandSet } from './discord/commandContract.ts';
import type { BotContext } from './discord/context.ts';
import { createDelivery, deliveryLeaseMs } from './discord/delivery.ts';
import { createMessageDrafts } from './discord/messageDrafts.ts';
import { createMessenger, type JobMessenger, uploadTimeoutMs } from './discord/messenger.ts';
import { createNotifier } from './discord/notifier.ts';
import { registerCommands } from './discord/register.ts';
import { createRouter } from './discord/router.ts';
import { startHttpServer } from './http.ts';
import {
  createMediaStore,
  createModeration,
  createSubmissions,
  createTracker,
  createWebhookReceiver,
  createWebhookState,
  defaultPollPolicy,
  effectiveLimits,
  type Job,
  logTransitions,
  openStore,
  type PollPolicy,
  pollLeaseMs,
  pruneWebhooks,
  settleWithin,
  webhookPath,
} from './jobs/index.ts';
import type { Logger } from './log.ts';
import { referenceKind, signMediaPath } from './mediaLinks.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import {
  abandonBody,
  createSimulatedClient,
  createVideoClient,
  createWebhookVerifier,
  longestRequestMs,
  ProviderError,
} from './provider/index.ts';

export interface BotOptions {
  config: Config;
  logger: Logger;
  /** What the bot answers and registers (commands/index.ts, given by the composition root). */
  commands: CommandSet;
  now?: () => number;
  /** Minimum time between two progress edits of one message (tests shorten it). */
  minEditIntervalMs?: number;
  /** The polling schedule (tests shorten it). */
  pollPolicy?: PollPolicy;
  /** The first wait before a delivery is tried again; it doubles per attempt (tests shorten it). */
  deliveryRetryBaseMs?: number;
  /** How long an image may take to be checked before the command is acknowledged anyway (tests shorten it). */
  checkBeforeAcknowledgeMs?: number;
}

export type Bot = Awaited<ReturnType<typeof startBot>>;

/** A graceful stop waits this long at most for polls in flight (a retrying poll can take minutes). */
const stopPollsWithinMs = 3_000;
/** And this long for connections to close after the grace period. */
const closeWithinMs = 1_000;

async function fetchAttachment(url: string, maxBytes: number): Promise<Uint8Array> {
  const response = await request(url, { method: 'GET', signal: AbortSignal.timeout(15_000) });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`attachment download answered ${response.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      abandonBody(response.body);
      throw new ProviderError('too_large', 'attachment over the limit');
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function instrumentMessenger(messenger: JobMessenger, metrics: Metrics): JobMessenger {
  return {
    ...messenger,
    async edit(job, body, options) {
      const route = await messenger.edit(job, body, options);
      metrics.discordEdits.inc({ route: route ?? 'none' });
      return route;
    },
  };
}

/**
 * Every gateway shard of this process is connected now. Not `client.isReady()`: that stays true
 * from the first READY on, through every disconnect and reconnect after it.
 */
function gatewayConnected(client: Client): boolean {
  const shards = [...client.ws.shards.values()];
  return shards.length > 0 && shards.every((shard) => shard.status === Status.Ready);
}

/**
 * How long this process's claims hold a job: POLL_LEASE_MS and DELIVERY_LEASE_MS, or by default
 * what outlasts the longest poll and the slowest upload allowed. A lease set shorter than those is
 * the operator's choice (a dead process's jobs are taken over sooner), warned about at start.
 */
function claimLeases(config: Config): { pollMs: number; deliveryMs: number; warnings: string[] } {
  const longestPollMs = longestRequestMs(config.video.timeoutMs);
  const slowestUploadMs = uploadTimeoutMs(config.video.maxVideoBytes, config.discord.uploadMinKbps);
  const pollMs = config.leases.pollMs ?? pollLeaseMs(config.video.timeoutMs);
  const deliveryMs =
    config.leases.deliveryMs ?? deliveryLeaseMs(config.video.maxVideoBytes, config.discord.uploadMinKbps);
  const warnings: string[] = [];
  if (pollMs < longestPollMs) {
    warnings.push(
      `POLL_LEASE_MS=${pollMs} is shorter than the longest poll (${longestPollMs} ms: 4 tries of VIDEO_API_TIMEOUT_MS and the waits between them): another process may poll a job whose slow poll is still out (an extra request; what it writes stays conditional)`,
    );
  }
  if (deliveryMs < slowestUploadMs) {
    warnings.push(
      `DELIVERY_LEASE_MS=${deliveryMs} is shorter than the slowest upload allowed (${slowestUploadMs} ms: MAX_VIDEO_BYTES at DISCORD_UPLOAD_MIN_KBPS): another process may upload a video again while a slow upload of it is still under way`,
    );
  }
  return { pollMs, deliveryMs, warnings };
}

/** Which store this process uses, and where, for the log: never DATABASE_URL's user or password. */
function storeDescription(config: Config): Record<string, string> {
  if (!config.databaseUrl) return { store: 'sqlite', path: config.databasePath };
  const url = new URL(config.databaseUrl);
  return { store: 'postgres', database: `${url.host}${url.pathname}` };
}

export async function startBot(options: BotOptions) {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  // Secrets in it are redacted by the logger; tests prove it.
  logger.debug({ config }, 'starting with configuration');
  const leases = claimLeases(config);
  for (const warning of [...config.warnings, ...leases.warnings]) logger.warn(warning);
  const store = await openStore(config, {
    now,
    instance: config.instance,
    onTransition: logTransitions(logger),
  });
  logger.info(storeDescription(config), 'job store opened');
  const submissions = createSubmissions();
  const catalogue = config.video.catalogue;
  const metrics = createMetrics(store);
  const rawClient = config.video.simulated
    ? createSimulatedClient({ catalogue, now })
    : createVideoClient({
        baseUrl: config.video.baseUrl,
        apiKey: config.video.apiKey,
        catalogue,
        timeoutMs: config.video.timeoutMs,
        now,
        callback: config.webhooks?.callback,
      });
  const videoClient = metrics.instrument(rawClient);
  const pollPolicy = options.pollPolicy ?? defaultPollPolicy;
  const webhooks = config.webhooks ? createWebhookState(store, config.webhooks, now) : undefined;
  const tracker = createTracker({
    store,
    submissions,
    client: videoClient,
    logger,
    now,
    policy: pollPolicy,
    maxAgeMs: config.jobs.maxAgeMinutes * 60_000,
    leaseMs: leases.pollMs,
    deliveryLeaseMs: leases.deliveryMs,
    webhooks,
  });
  const media = createMediaStore({
    dir: config.media.dir,
    client: videoClient,
    maxBytes: config.video.maxVideoBytes,
    retentionMs: config.media.retentionHours * 3_600_000,
    logger,
    now,
  });

  const shard = config.role.kind === 'shard' ? config.role : { id: 0, count: 1 };
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // Said outright: left out, discord.js reads SHARDS from the environment, where it is our setting.
    shards: [shard.id],
    shardCount: shard.count,
    rest: { api: config.discord.apiUrl },
    // A message that forgets to say whom it may ping pings no one.
    allowedMentions: { parse: [] },
  });
  const rest: REST = client.rest;
  // Uploads get their own client: a deadline per upload that fits its size, and no blind repeats.
  const uploadRest = new REST({
    api: config.discord.apiUrl,
    timeout: uploadTimeoutMs(config.video.maxVideoBytes, config.discord.uploadMinKbps),
    retries: 0,
  }).setToken(config.discord.token);
  const stopUploads = new AbortController();
  for (const each of [rest, uploadRest]) {
    each.on('rateLimited', (info) => metrics.discordRateLimits.inc({ global: String(info.global) }));
  }
  const messenger = instrumentMessenger(
    createMessenger({
      rest,
      uploads: { rest: uploadRest, minKbps: config.discord.uploadMinKbps, stopped: stopUploads.signal },
      store,
      logger,
      now,
    }),
    metrics,
  );
  const mediaSecret = createHash('sha256').update(`reelbot-media:${config.discord.token}`).digest('hex');
  const publicLink = (job: Job) => {
    if (!config.http.publicUrl || !job.mediaPath) return null;
    const expiresAt = now() + config.media.linkTtlHours * 3_600_000;
    return { url: `${config.http.publicUrl}${signMediaPath(job, expiresAt, mediaSecret)}`, expiresAt };
  };
  const referenceLink = (job: Job, index: number) => {
    if (!config.http.publicUrl) return null;
    // Long enough for the provider to fetch it; the link is only used at submission.
    const expiresAt = now() + 3_600_000;
    return `${config.http.publicUrl}${signMediaPath(job, expiresAt, mediaSecret, referenceKind(index))}`;
  };
  const unavailableModels = new Set<string>();
  const modelUnavailable = (model: string, error: ProviderError) => {
    if (unavailableModels.has(model)) return;
    unavailableModels.add(model);
    const isDefault = model === catalogue.defaultModel.id;
    // The provider's own words stay out: they may echo the prompt.
    logger.warn(
      {
        model,
        setting: isDefault ? 'VIDEO_DEFAULT_MODEL' : 'VIDEO_MODELS',
        status: error.status,
        code: error.code,
      },
      isDefault
        ? `the video provider does not serve the default model "${model}" (retired or unknown there): set VIDEO_DEFAULT_MODEL to another model and remove it from VIDEO_MODELS`
        : `the video provider does not serve model "${model}" (retired or unknown there): remove it from VIDEO_MODELS`,
    );
  };
  const observeEnd = (job: Job) =>
    metrics.jobDuration.observe({ state: job.state }, (now() - job.createdAt) / 1000);
  const renderContext = (job: Job) => ({
    supportsRemix: catalogue.find(job.model)?.supportsRemix ?? false,
    referenceMustMatchSize: catalogue.find(job.model)?.referenceMustMatchSize ?? false,
    simulated: config.video.simulated,
  });
  const secondsPerDay = async (guildId: string) =>
    effectiveLimits(config.quotas, await store.guildSettings(guildId)).secondsPerGuildPerDay;
  const retryTimers = new Set<NodeJS.Timeout>();
  const delivery = createDelivery({
    store,
    media,
    messenger,
    client: videoClient,
    logger,
    now,
    renderContext,
    publicLink: config.http.publicUrl ? publicLink : undefined,
    onDelivered: observeEnd,
    uploadsAtOnce: config.discord.uploadsAtOnce,
    leaseMs: leases.deliveryMs,
    retryLater: (job, attempt) => {
      // Stopping: the next start announces the job again and delivers it.
      if (!accepting) return;
      const timer = setTimeout(
        () => {
          retryTimers.delete(timer);
          void delivery.deliver(job);
        },
        Math.min(60_000, (options.deliveryRetryBaseMs ?? 2_000) * 2 ** attempt),
      );
      retryTimers.add(timer);
    },
  });
  const notifier = createNotifier({
    store,
    messenger,
    delivery,
    logger,
    renderContext,
    secondsPerDay,
    now,
    minEditIntervalMs: options.minEditIntervalMs,
  });
  notifier.attach(tracker);
  tracker.on('failed', observeEnd);
  tracker.on('expired', observeEnd);

  let accepting = true;
  const context: BotContext = {
    config,
    catalogue,
    store,
    submissions,
    moderation: createModeration(store),
    videoClient,
    tracker,
    notifier,
    delivery,
    messenger,
    messageDrafts: createMessageDrafts(now),
    logger,
    now,
    pollPolicy,
    webhooks,
    accepting: () => accepting,
    // About 2 s of Discord's 3, leaving time for the acknowledgement to travel.
    checkBeforeAcknowledgeMs: options.checkBeforeAcknowledgeMs ?? 2_000,
    fetchAttachment,
    renderContext,
    secondsPerDay,
    publicLink,
    referenceLink,
    modelUnavailable,
  };

  /** Interactions being handled: a graceful stop lets a submission reach the provider and its reply. */
  const handling = new Set<Promise<void>>();
  const routeInteraction = createRouter(options.commands);
  client.on(Events.InteractionCreate, (interaction) => {
    const handled = routeInteraction(interaction, context).finally(() => handling.delete(handled));
    handling.add(handled);
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'Discord client error'));
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(config.discord.token);
  await ready;
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'connected to Discord');

  // Under a shard manager, the manager registered them once for every shard.
  if (config.discord.registerOnStart && config.role.kind !== 'shard' && client.application) {
    const count = await registerCommands({
      rest,
      applicationId: client.application.id,
      guildId: config.discord.guildId,
      catalogue,
      commands: options.commands.commands,
    }).catch((error: unknown) => {
      logger.error({ err: error }, 'could not register the slash commands');
      return 0;
    });
    logger.info({ count, guildId: config.discord.guildId }, 'slash commands registered');
  }

  const http =
    config.http.port === undefined
      ? undefined
      : await startHttpServer({
          port: config.http.port,
          host: config.http.host,
          store,
          metrics,
          logger,
          mediaSecret,
          mediaDir: config.media.dir,
          media,
          now,
          webhooks:
            config.webhooks && webhooks
              ? createWebhookReceiver({
                  store,
                  verify: createWebhookVerifier(config.webhooks),
                  state: webhooks,
                  logger,
                  now,
                  // Without a tracker here, the row alone says the job is due: another process polls it.
                  onDue: config.tracker ? (jobId) => tracker.pollNow(jobId) : undefined,
                })
              : undefined,
          ready: () => accepting && gatewayConnected(client) && store.isAvailable(),
        });
  if (http) logger.info({ address: http.address() }, 'HTTP endpoint listening');
  if (http && config.webhooks) {
    logger.info(
      {
        path: webhookPath,
        events: config.webhooks.events,
        idPath: config.webhooks.idPath.join('.'),
        callbackField: config.webhooks.callback?.field,
        safetyPollMs: config.webhooks.safetyPollMs,
      },
      'provider webhooks on: a verified event has its job polled at once',
    );
  }

  // TRACKER=false: this process takes interactions and submits jobs; another one polls and delivers.
  let pruneTimer: NodeJS.Timeout | undefined;
  if (config.tracker) {
    await tracker.start();
    // At start too: a bot restarted more often than hourly would otherwise never prune.
    const prune = () => {
      void media.prune().catch((error: unknown) => logger.warn({ err: error }, 'pruning failed'));
      if (config.webhooks) {
        void pruneWebhooks(store, now()).catch((error: unknown) =>
          logger.warn({ err: error }, 'pruning webhook deliveries failed'),
        );
      }
    };
    prune();
    pruneTimer = setInterval(prune, 3_600_000);
    pruneTimer.unref();
    logger.info('tracker running: polling, delivering and pruning from this process');
  } else {
    logger.info('TRACKER=false: gateway only; another process polls and delivers the jobs');
  }

  return {
    context,
    client,
    store,
    tracker,
    metrics,
    http,
    /**
     * Stops taking commands (members get a "restarting" reply), then, within `graceMs` in all:
     * lets interactions in flight finish, so a submission reaches the provider and its row says
     * so; stops polling, abandoning a poll still running after a few seconds (its row keeps its
     * claim and the next start polls it again); gives uploads in flight what is left; closes
     * everything. Rows stay consistent either way: an upload cut short is re-checked and finished
     * by the next start, and a create cut short is failed as interrupted, never sent twice.
     */
    async stop(graceMs = 15_000): Promise<void> {
      const startedAt = performance.now();
      const left = () => Math.max(0, graceMs - (performance.now() - startedAt));
      accepting = false;
      clearInterval(pruneTimer);
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      // Side by side: uploads already running carry on meanwhile.
      const [handled] = await Promise.all([
        settleWithin([...handling, submissions.settled(left())], left()),
        tracker.stop(Math.min(left(), stopPollsWithinMs)),
      ]);
      if (!handled) {
        logger.warn({ submissions: submissions.size }, 'stopping with interactions still in flight');
      }
      // Only once the tracker and the interactions can start no more deliveries.
      if (!(await settleWithin([notifier.stop()], left()))) {
        // Rows stay consistent: the next start asks Discord whether the upload landed.
        logger.warn('stopping with uploads still in flight; aborting them');
        stopUploads.abort();
        // The aborted deliveries release their claims before the store closes: a claim left
        // behind would hold the job back from the next start until its lease ran out.
        await settleWithin([notifier.stop()], closeWithinMs);
      }
      uploadRest.clearHashSweeper();
      uploadRest.clearHandlerSweeper();
      await client.destroy();
      const httpClosed = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
      await settleWithin([httpClosed, videoClient.close()], closeWithinMs);
      await store.close();
    },
  };
}
