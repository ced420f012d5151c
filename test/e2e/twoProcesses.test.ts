// Two bot processes sharing one database (issue 10): src/main.ts as two real child processes, each
// with its own INSTANCE_NAME and HTTP port, one per gateway shard of a two-shard bot, against one
// fake Discord (which sends each shard only its own guilds' interactions) and one fake video API.
// Each process reaches both fakes through a URL of its own, so every provider request and Discord
// call is recorded with the name of the process that made it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDiscord, type FakeMessage, type RecordedCall, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeVideoApi, sampleMp4, startFakeVideoApi } from '../fakes/videoApi.ts';
import { databaseForThisFile } from '../support/database.ts';
import { type BotProcess, logLines, startShardProcess } from './botProcess.ts';
import { apiKey, botToken, isUpload, member, prompt, until } from './harness.ts';

/** (id >> 22) % 2: the first guild is shard 0's, the second shard 1's; one channel each. */
const guildOfShard = [
  { id: '100000000000000001', channelId: '200000000000000001' },
  { id: '111111111111111111', channelId: '222222222222222222' },
];
/** Each shard's process slot: its INSTANCE_NAME, and the label its requests carry at the fakes. */
const instanceOfShard = ['reelbot-a', 'reelbot-b'] as const;

/**
 * Short leases, as an operator who wants a dead process's jobs taken over within seconds sets them
 * (each process warns at start that they are shorter than a slow poll or upload could take).
 */
const leases = { POLL_LEASE_MS: '3000', DELIVERY_LEASE_MS: '3000' };

const trackerRunning = 'tracker running: polling, delivering and pruning from this process';
const gatewayOnly = 'TRACKER=false: gateway only; another process polls and delivers the jobs';

/** What the tests read of a job's row, the same from either database. */
interface JobRow {
  id: number;
  state: string;
  token: string;
  remoteId: string | null;
  deliveryAttempts: number;
  claimedBy: string | null;
  claimExpiresAt: number | null;
  deliveryClaimedBy: string | null;
  deliveryClaimExpiresAt: number | null;
}

const jobQuery = `SELECT id, state, interaction_token AS token, remote_id AS "remoteId",
  delivery_attempts AS "deliveryAttempts", claimed_by AS "claimedBy", claim_expires_at AS "claimExpiresAt",
  delivery_claimed_by AS "deliveryClaimedBy", delivery_claim_expires_at AS "deliveryClaimExpiresAt"
  FROM jobs ORDER BY id`;

const asNumber = (value: unknown) => (value === null ? null : Number(value));
/** PostgreSQL's BIGINT columns come back as strings. */
const toJobRow = (row: Record<string, unknown>): JobRow =>
  ({
    ...row,
    id: Number(row.id),
    deliveryAttempts: Number(row.deliveryAttempts),
    claimExpiresAt: asNumber(row.claimExpiresAt),
    deliveryClaimExpiresAt: asNumber(row.deliveryClaimExpiresAt),
  }) as JobRow;

interface Database {
  /** The settings that point a process at it. */
  env: Record<string, string>;
  jobs(): Promise<JobRow[]>;
  close(): Promise<void>;
}

async function postgresDatabase(url: string): Promise<Database> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    env: { DATABASE_URL: url },
    jobs: async () => (await client.query(jobQuery)).rows.map(toJobRow),
    close: () => client.end(),
  };
}

function sqliteDatabase(path: string): Database {
  return {
    env: { DATABASE_PATH: path },
    async jobs() {
      const db = new BetterSqlite3(path, { readonly: true });
      try {
        return (db.prepare(jobQuery).all() as Record<string, unknown>[]).map(toJobRow);
      } finally {
        db.close();
      }
    },
    close: async () => undefined,
  };
}

interface ShardProcess {
  shard: number;
  name: string;
  tracker: boolean;
  bot: BotProcess;
  exited: Promise<NodeJS.Signals | number | null>;
}

type LogLine = Record<string, unknown>;
const linesOf = (bot: BotProcess, msg: string): LogLine[] => logLines(bot).filter((line) => line.msg === msg);

/** Two shard processes on one database, started and killed as a test needs them. */
function twoShards(discord: FakeDiscord, video: FakeVideoApi, database: Database) {
  const running = new Map<number, ShardProcess>();
  /** Every process started, killed ones too: their logs stay readable. */
  const started: ShardProcess[] = [];
  const mediaDir = mkdtempSync(join(tmpdir(), 'reelbot-two-processes-'));

  async function start(shard: number, options: { tracker?: boolean } = {}): Promise<ShardProcess> {
    const name = instanceOfShard[shard] ?? `reelbot-${shard}`;
    const tracker = options.tracker ?? true;
    const bot = startShardProcess(
      {
        DISCORD_TOKEN: botToken,
        DISCORD_API_URL: discord.restUrlFor(name),
        VIDEO_API_BASE_URL: video.urlFor(name),
        VIDEO_API_KEY: apiKey,
        ...database.env,
        MEDIA_DIR: mediaDir,
        INSTANCE_NAME: name,
        TRACKER: String(tracker),
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...leases,
        // Every test's jobs are the one member's.
        QUOTA_IN_FLIGHT_PER_USER: '20',
        QUOTA_JOBS_PER_USER_PER_DAY: '100',
      },
      { id: shard, count: 2 },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      bot.child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    const process: ShardProcess = { shard, name, tracker, bot, exited };
    started.push(process);
    running.set(shard, process);
    await until(() => {
      if (bot.child.exitCode !== null) throw new Error(`${name} exited: ${bot.output.join('')}`);
      return linesOf(bot, tracker ? trackerRunning : gatewayOnly).length > 0;
    }, 30_000);
    return process;
  }

  return {
    started,
    start,
    /** The running process of `shard`. */
    of(shard: number): ShardProcess {
      const process = running.get(shard);
      if (!process) throw new Error(`no process runs shard ${shard}`);
      return process;
    },
    /** The running process whose requests carry `label` at the fakes. */
    named(label: string | undefined): ShardProcess {
      const process = [...running.values()].find((each) => each.name === label);
      if (!process) throw new Error(`no running process is named ${label}`);
      return process;
    },
    other(process: ShardProcess): ShardProcess {
      return this.of(1 - process.shard);
    },
    async kill(process: ShardProcess): Promise<void> {
      process.bot.child.kill('SIGKILL');
      expect(await process.exited).toBe('SIGKILL');
      running.delete(process.shard);
    },
    /**
     * The shard's process, running the tracker or not as asked: started when none runs (a test
     * before killed it), or stopped gracefully and started again when it runs otherwise.
     */
    async ensure(shard: number, options: { tracker?: boolean } = {}): Promise<ShardProcess> {
      const tracker = options.tracker ?? true;
      const process = running.get(shard);
      if (process?.tracker === tracker) return process;
      if (process) {
        process.bot.child.kill('SIGTERM');
        expect(await process.exited).toBe(0);
        running.delete(shard);
      }
      return start(shard, { tracker });
    },
    /** Every process's log lines with this message, killed processes' included. */
    lines(msg: string): (LogLine & { from: string })[] {
      return started.flatMap((process) =>
        linesOf(process.bot, msg).map((line) => ({ ...line, from: process.name })),
      );
    },
    async stopAll(): Promise<void> {
      for (const process of running.values()) process.bot.child.kill('SIGKILL');
      await Promise.all([...running.values()].map((process) => process.exited));
      running.clear();
    },
  };
}

type Cluster = ReturnType<typeof twoShards>;

/** The port the process's HTTP endpoint took (HTTP_PORT=0: a free one, said in its log). */
function httpPortOf(process: ShardProcess): number {
  const [line] = linesOf(process.bot, 'HTTP endpoint listening');
  const port = (line?.address as { port?: number } | undefined)?.port;
  if (!port) throw new Error(`${process.name} serves no HTTP endpoint`);
  return port;
}

/** Polls of one job until the fake video API says it is done. */
const pollsToComplete = 2;

/** Every job's video is its own: a sample MP4 followed by its provider id. */
const videoOfJob = (remoteId: string | null) =>
  Buffer.concat([sampleMp4(), Buffer.from(`\nthe video of ${remoteId}`)]);

async function fakes() {
  const discord = await startFakeDiscord({
    token: botToken,
    guilds: guildOfShard.map(({ id, channelId }) => ({ id, channels: [{ id: channelId }] })),
  });
  const video = await startFakeVideoApi({
    apiKey,
    pollsToComplete,
    videoOf: (job) => videoOfJob(job.id),
  });
  return { discord, video };
}

function guildOf(shard: number): { id: string; channelId: string } {
  const guild = guildOfShard[shard];
  if (!guild) throw new Error(`no guild of shard ${shard}`);
  return guild;
}

/** A member's `/video` in shard `shard`'s guild: only that shard's process receives it. */
const videoIn = (discord: FakeDiscord, shard: number, text: string) => {
  const guild = guildOf(shard);
  return discord.sendCommand({
    name: 'video',
    guildId: guild.id,
    channelId: guild.channelId,
    user: member,
    options: [prompt(text)],
  });
};

/** The custom id of the card's `action` button, as a member would click it. */
function buttonOn(card: FakeMessage | undefined, action: string): string | undefined {
  const rows = (card?.components ?? []) as { components?: { custom_id?: string }[] }[];
  return rows
    .flatMap((row) => row.components ?? [])
    .map((component) => component.custom_id)
    .find((id) => id?.startsWith(`reelbot:${action}:`));
}

/** The card's title, description and footer, as a member reads them. */
function cardText(card: FakeMessage | undefined): string {
  const embeds = (card?.embeds ?? []) as {
    title?: string;
    description?: string;
    footer?: { text?: string };
  }[];
  return [
    card?.content ?? '',
    ...embeds.flatMap((embed) => [embed.title, embed.description, embed.footer?.text]),
  ].join('\n');
}

const isCreate = (request: { method: string; path: string }) =>
  request.method === 'POST' && request.path === '/v1/videos';
/** The tracker's polls of one job at the provider. */
const retrievesOf = (video: FakeVideoApi, job: { remoteId: string | null }) =>
  video.requests.filter(
    (request) => request.method === 'GET' && request.path === `/v1/videos/${job.remoteId}`,
  );
/** What Discord accepted: a held call that was dropped never got an answer. */
const accepted = (call: RecordedCall) => call.status >= 200 && call.status < 300;

/** The row of the job a command with `token` made, once it has one with the provider's id. */
const rowOf = (database: Database, token: string) =>
  until(async () => (await database.jobs()).find((row) => row.token === token && row.remoteId !== null));

/** Waits until the row of the job a command with `token` made is in `state`, its delivery claim released. */
const rowOnceIn = (database: Database, token: string, state: string) =>
  until(
    async () =>
      (await database.jobs()).find(
        (row) => row.token === token && row.state === state && row.deliveryClaimedBy === null,
      ),
    30_000,
  );

/** A `/video` in shard `shard`'s guild whose video the provider has ready by its first poll. */
async function finishedAtFirstPoll(
  discord: FakeDiscord,
  video: FakeVideoApi,
  database: Database,
  shard: number,
  text: string,
): Promise<{ token: string }> {
  const { token } = videoIn(discord, shard, text);
  // The first poll comes seconds after the job was queued, long after its row has the provider's id.
  video.completeJob((await rowOf(database, token)).remoteId ?? '');
  return { token };
}

/** The holder a lease names: `<instance>#<random per start>`. */
const heldBy = (process: ShardProcess) => new RegExp(`^${process.name}#`);

/** The card's attachments, with the bytes the fake CDN serves for each. */
async function attachmentsOf(discord: FakeDiscord, token: string) {
  const card = discord.originalMessage(token);
  return Promise.all(
    (card?.attachments ?? []).map(async (attachment) => ({
      filename: attachment.filename,
      bytes: Buffer.from(await (await fetch(attachment.url)).arrayBuffer()),
    })),
  );
}

/**
 * Who logged `job delivered` for the job, and how it was delivered: waits for the first such line
 * (a process's log reaches its pipe a moment after the row is written).
 */
async function deliveredBy(cluster: Cluster, jobId: number): Promise<[string, unknown][]> {
  const lines = () => cluster.lines('job delivered').filter((line) => line.jobId === jobId);
  await until(() => lines().length > 0);
  return lines().map((line) => [line.from, line.how]);
}

/** The ids of the jobs `msg` was logged for, by any process, in order of id (repeats kept). */
const jobIdsLogged = (cluster: Cluster, msg: string, among: number[]) =>
  cluster
    .lines(msg)
    .map((line) => Number(line.jobId))
    .filter((id) => among.includes(id))
    .sort((a, b) => a - b);

/**
 * Jobs submitted through both processes, three each at once, are each delivered exactly once:
 * one upload per job, with that job's own video, that Discord accepted; one delivery in its row.
 * Either process may poll and deliver any of them (both run the tracker).
 */
async function deliversEachJobOnce({ discord, video, cluster, database }: TwoProcesses) {
  const sent = [0, 1, 0, 1, 0, 1].map((shard, index) => ({
    shard,
    ...videoIn(discord, shard, `two processes, job ${index + 1}`),
  }));
  const tokens = sent.map(({ token }) => token);
  const rows = await until(async () => {
    const all = (await database.jobs()).filter((row) => tokens.includes(row.token));
    const settled = all.every((row) => row.state === 'delivered' && row.deliveryClaimedBy === null);
    return all.length === sent.length && settled && all;
  }, 40_000);

  for (const { shard, token } of sent) {
    const row = rows.find((each) => each.token === token);
    const uploads = discord.calls.filter(isUpload(token));
    expect(uploads).toHaveLength(1);
    expect(accepted(uploads[0] as RecordedCall)).toBe(true);
    expect(uploads[0]?.files.map((file) => file.bytes.equals(videoOfJob(row?.remoteId ?? null)))).toEqual([
      true,
    ]);
    expect(discord.originalMessage(token)?.attachments).toHaveLength(1);
    // The command reached only its shard's process, which answered it and submitted the job.
    const answers = discord.calls.filter((call) => call.path.endsWith(`/${token}/callback`));
    expect(answers.map((call) => call.client)).toEqual([cluster.of(shard).name]);
    // Polled one at a time: no poll more than the provider needed to finish it.
    expect(retrievesOf(video, row ?? { remoteId: null })).toHaveLength(pollsToComplete);
  }
  expect(
    rows.map(({ deliveryAttempts, deliveryClaimedBy }) => ({ deliveryAttempts, deliveryClaimedBy })),
  ).toEqual(rows.map(() => ({ deliveryAttempts: 1, deliveryClaimedBy: null })));
  const ids = rows.map((row) => row.id);
  // A process's log reaches its pipe a moment after the row is written.
  await until(() => jobIdsLogged(cluster, 'job delivered', ids).length >= ids.length);
  expect(jobIdsLogged(cluster, 'job completed', ids)).toEqual(ids);
  expect(jobIdsLogged(cluster, 'job delivered', ids)).toEqual(ids);
  const creates = video.requests.filter(isCreate);
  expect(creates.map((request) => request.client).sort()).toEqual(
    sent.map(({ shard }) => cluster.of(shard).name).sort(),
  );
}

interface TwoProcesses {
  discord: FakeDiscord;
  video: FakeVideoApi;
  database: Database;
  cluster: Cluster;
}

/**
 * The fakes and two shard processes on the database `open` gives, for the describe's tests
 * (filled in by its beforeAll); `startBoth` starts them.
 */
function twoProcessesOn(open: () => Promise<Database>, startBoth: (cluster: Cluster) => Promise<unknown>) {
  const context = {} as TwoProcesses;
  beforeAll(async () => {
    Object.assign(context, await fakes());
    context.database = await open();
    context.cluster = twoShards(context.discord, context.video, context.database);
    await startBoth(context.cluster);
  }, 60_000);
  afterAll(async () => {
    await context.cluster?.stopAll();
    await context.database?.close();
    await context.discord?.close();
    await context.video?.close();
  });
  return context;
}

describe('two processes on one PostgreSQL database', () => {
  const postgres = databaseForThisFile();
  const t = twoProcessesOn(
    () => postgresDatabase(postgres.url),
    // Both at once: they take turns migrating the new database under its advisory lock.
    (cluster) => Promise.all([cluster.start(0), cluster.start(1)]),
  );

  it('delivers jobs submitted through both processes exactly once each', async () => {
    const { cluster } = t;
    // Each serves its own health on its own port.
    const ports = cluster.started.map(httpPortOf);
    expect(new Set(ports).size).toBe(2);
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    // The short leases reached both processes, which said what they risk.
    for (const process of cluster.started) {
      const warned = logLines(process.bot)
        .map((line) => String(line.msg))
        .filter((msg) => /^(POLL|DELIVERY)_LEASE_MS=/.test(msg));
      expect(warned).toEqual([
        expect.stringMatching(/^POLL_LEASE_MS=3000 is shorter than the longest poll/),
        expect.stringMatching(/^DELIVERY_LEASE_MS=3000 is shorter than the slowest upload allowed/),
      ]);
    }
    await deliversEachJobOnce(t);
  }, 60_000);

  it('takes over the poll of a process killed mid-poll once its lease ran out, and delivers the job once', async () => {
    const { discord, video, database, cluster } = t;
    await Promise.all([cluster.ensure(0), cluster.ensure(1)]);
    const held = video.hold({ method: 'GET', path: /^\/v1\/videos\/[\w-]+$/ });
    const { token } = videoIn(discord, 0, 'killed mid-poll');
    const poll = await held.arrived;
    const poller = cluster.named(poll.client);
    const survivor = cluster.other(poller);
    const claimed = await rowOf(database, token);
    expect(claimed.claimedBy).toMatch(heldBy(poller));
    await cluster.kill(poller);
    // The provider answers the poll; nobody is left to read it.
    held.release();

    const delivered = await rowOnceIn(database, token, 'delivered');
    const retrieves = retrievesOf(video, claimed);
    expect(retrieves.map((request) => request.client)).toEqual([poller.name, survivor.name]);
    // Not before the dead process's lease ran out.
    expect(retrieves[1]?.at).toBeGreaterThanOrEqual(claimed.claimExpiresAt ?? Number.POSITIVE_INFINITY);
    const uploads = discord.calls.filter(isUpload(token));
    expect(uploads.map((call) => [call.client, call.status])).toEqual([[survivor.name, 200]]);
    expect(await attachmentsOf(discord, token)).toEqual([
      { filename: expect.stringMatching(`^reelbot-${claimed.id}-`), bytes: videoOfJob(claimed.remoteId) },
    ]);
    expect(delivered).toMatchObject({ deliveryAttempts: 1, claimedBy: null, deliveryClaimedBy: null });
    expect(await deliveredBy(cluster, claimed.id)).toEqual([[survivor.name, 'upload']]);
  }, 60_000);

  /**
   * A job's upload is in flight (held by the fake Discord) when its process is killed with SIGKILL;
   * Discord then handles the held call (`release`) or never does (`drop`). Once the other process
   * has delivered the job, its card shows one video, that job's, and only the other process said so.
   */
  async function killedMidUpload(shard: number, text: string, discordThen: 'release' | 'drop') {
    const { discord, video, database, cluster } = t;
    await Promise.all([cluster.ensure(0), cluster.ensure(1)]);
    const held = discord.holdNext({ method: 'PATCH', withFiles: true });
    const { token } = await finishedAtFirstPoll(discord, video, database, shard, text);
    const first = await held.arrived;
    const uploader = cluster.named(first.client);
    const survivor = cluster.other(uploader);
    const delivering = await rowOf(database, token);
    expect(delivering).toMatchObject({
      state: 'delivering',
      deliveryClaimedBy: expect.stringMatching(heldBy(uploader)),
    });
    await cluster.kill(uploader);
    held[discordThen]();

    const delivered = await rowOnceIn(database, token, 'delivered');
    expect(await attachmentsOf(discord, token)).toEqual([
      {
        filename: expect.stringMatching(`^reelbot-${delivering.id}-`),
        bytes: videoOfJob(delivering.remoteId),
      },
    ]);
    expect(await deliveredBy(cluster, delivering.id)).toEqual([[survivor.name, 'upload']]);
    const leaseEnd = delivering.deliveryClaimExpiresAt ?? Number.POSITIVE_INFINITY;
    return { token, first, uploader, survivor, leaseEnd, delivered };
  }

  it('when a process dies mid-upload after Discord took the upload whole, the other finds the video on the card once the lease ran out, and uploads nothing', async () => {
    const { discord } = t;
    // Discord goes on to show the upload it received; its answer reaches nobody.
    const { token, first, survivor, leaseEnd, delivered } = await killedMidUpload(
      1,
      'killed mid-upload, the upload landed',
      'release',
    );
    expect(discord.calls.filter(isUpload(token))).toEqual([first]);
    // The survivor read the card back, once the dead process's lease ran out, and saw the video.
    const readBack = discord.calls.filter(
      (call) => call.method === 'GET' && call.path.includes(token) && call.client === survivor.name,
    );
    expect(readBack).toHaveLength(1);
    expect(readBack[0]?.at).toBeGreaterThanOrEqual(leaseEnd);
    expect(delivered).toMatchObject({ deliveryAttempts: 1 });
  }, 60_000);

  it('when a process dies mid-upload before Discord had it, the other uploads the video once the lease ran out, once', async () => {
    const { discord } = t;
    const { token, uploader, survivor, leaseEnd, delivered } = await killedMidUpload(
      0,
      'killed mid-upload, the upload lost',
      'drop',
    );
    const uploads = discord.calls.filter(isUpload(token));
    expect(uploads.map((call) => [call.client, call.status])).toEqual([
      [uploader.name, 0],
      [survivor.name, 200],
    ]);
    expect(uploads[1]?.at).toBeGreaterThanOrEqual(leaseEnd);
    expect(delivered).toMatchObject({ deliveryAttempts: 2 });
  }, 60_000);

  it('a Cancel clicked through one process stops the poll the other has out: no retrieve after it, the card ends Canceled, nothing delivered', async () => {
    const { discord, video, database, cluster } = t;
    // Shard 0's process only takes interactions now (TRACKER=false): the job's poll is surely shard 1's.
    const [gateway, poller] = await Promise.all([cluster.ensure(0, { tracker: false }), cluster.ensure(1)]);
    const held = video.hold({ method: 'GET', path: /^\/v1\/videos\/[\w-]+$/ });
    const { token } = videoIn(discord, 0, 'canceled through the other process');
    const poll = await held.arrived;
    expect(poll.client).toBe(poller.name);
    const job = await rowOf(database, token);
    expect(job.claimedBy).toMatch(heldBy(poller));

    const cancel = await until(() => buttonOn(discord.originalMessage(token), 'cancel'));
    const guild = guildOf(0);
    const click = discord.sendButton({
      guildId: guild.id,
      channelId: guild.channelId,
      user: member,
      customId: cancel,
      messageId: discord.originalMessage(token)?.id ?? '',
    });
    await rowOnceIn(database, token, 'canceled');
    await until(() => cardText(discord.originalMessage(token)).includes('Canceled'));
    // The provider finished the video meanwhile: a poll that still counted would deliver it.
    video.completeJob(job.remoteId ?? '');
    held.release();
    // The poller's next job is delivered: it has read that answer and moved on.
    const next = await finishedAtFirstPoll(discord, video, database, 1, 'after the cancel');
    await discord.waitForCall(isUpload(next.token), 30_000);

    expect(retrievesOf(video, job).map((request) => request.client)).toEqual([poller.name]);
    expect(discord.calls.filter(isUpload(token))).toEqual([]);
    // The click went to shard 0's process, which drew the card; the poller never touched it.
    const answers = discord.calls.filter((call) => call.path.includes(click.token));
    expect(new Set(answers.map((call) => call.client))).toEqual(new Set([gateway.name]));
    expect(discord.calls.filter((call) => call.path.includes(token) && call.client === poller.name)).toEqual(
      [],
    );
    expect(cardText(discord.originalMessage(token))).toContain('Canceled');
    expect(await rowOnceIn(database, token, 'canceled')).toMatchObject({
      claimedBy: null,
      deliveryAttempts: 0,
    });
    const deletes = video.requests.filter(
      (request) => request.method === 'DELETE' && request.path === `/v1/videos/${job.remoteId}`,
    );
    expect(deletes.map((request) => request.client)).toEqual([gateway.name]);
    expect(cluster.lines('job completed').filter((line) => line.jobId === job.id)).toEqual([]);
  }, 60_000);
});

describe('two processes on one SQLite file', () => {
  const t = twoProcessesOn(
    async () => sqliteDatabase(join(mkdtempSync(join(tmpdir(), 'reelbot-two-sqlite-')), 'reelbot.db')),
    // One after the other, as a shard manager starts them.
    async (cluster) => {
      await cluster.start(0);
      await cluster.start(1);
    },
  );

  it('delivers jobs submitted through both processes exactly once each', async () => {
    await deliversEachJobOnce(t);
  }, 60_000);
});
