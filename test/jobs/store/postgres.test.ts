// What only the PostgreSQL store has to prove: its migrations with several processes starting at
// once, the sentence for every DATABASE_URL that does not work, two processes claiming and
// inserting at the same moment, transitions told only once committed, and a server that goes away
// and comes back under a store that stays open.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IllegalTransitionError } from '../../../src/jobs/states.ts';
import type { JobStore, JobStoreOptions, JobTransition } from '../../../src/jobs/store/contract.ts';
import { StoreUnavailableError } from '../../../src/jobs/store/contract.ts';
import { createDatabase } from '../../../src/jobs/store/postgres/database.ts';
import { openPostgresStore } from '../../../src/jobs/store/postgres/index.ts';
import { latestPostgresVersion, migratePostgres } from '../../../src/jobs/store/postgres/migrations.ts';
import { DatabaseSettingError } from '../../../src/jobs/store/settingError.ts';
import { asSuperuser, freshDatabase } from '../../support/database.ts';
import { freePort, type PostgresServer, startPostgresServer } from '../../support/postgresServer.ts';
import { clock, generous, newJob } from '../helpers.ts';

/** Raw SQL on a database, as an operator (or another reelbot) would see it. */
async function sql<Row extends object = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh database per test, and every store opened on it closed after the test. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<{ url: string; open(options?: JobStoreOptions): Promise<JobStore> }> {
  const created = await freshDatabase();
  cleanups.push(created.drop);
  return {
    url: created.url,
    async open(options = {}) {
      const store = await openPostgresStore(created.url, { poolSize: 4, ...options });
      cleanups.push(() => store.close());
      return store;
    },
  };
}

/** `count` jobs waiting on the provider, due from `dueAt` on (the oldest first). */
async function seedDueJobs(url: string, count: number, dueAt: number): Promise<void> {
  await sql(
    url,
    `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, remote_id,
       next_poll_at, media_key, created_at, updated_at)
     SELECT 'g1', 'c1', 'u' || n, 'veo-3.1-fast-generate-preview', 'a lion', 6, '1280x720', 'queued',
       'remote-' || n, $1::bigint - n, md5(n::text), $1, $1
     FROM generate_series(1, $2::int) AS n`,
    [dueAt, count],
  );
}

describe('PostgreSQL migrations', () => {
  it('builds the schema from an empty database, and opening it again changes nothing', async () => {
    const db = await database();
    const first = await db.open();
    const applied = await sql<{ version: number; applied_at: string }>(
      db.url,
      'SELECT version, applied_at FROM schema_migrations',
    );
    expect(applied.map((row) => row.version)).toEqual([1, 2, 3]);
    expect(latestPostgresVersion).toBe(3);

    const tables = await sql<{ tablename: string }>(
      db.url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.map((row) => row.tablename)).toEqual([
      'audit_log',
      'blocked_members',
      'blocked_words',
      'channel_settings',
      'generation_samples',
      'guild_settings',
      'guild_styles',
      'jobs',
      'key_values',
      'prompt_refusals',
      'schema_migrations',
      'webhook_deliveries',
      'webhook_pending',
    ]);
    const indexes = Object.fromEntries(
      (
        await sql<{ indexname: string; indexdef: string }>(
          db.url,
          "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'jobs'",
        )
      ).map((row) => [row.indexname, row.indexdef]),
    );
    expect(indexes.jobs_due).toMatch(
      /ON public\.jobs USING btree \(next_poll_at\) WHERE \(\(next_poll_at IS NOT NULL\) AND \(state = ANY \(ARRAY\['queued'::text, 'in_progress'::text\]\)\)\)/,
    );
    expect(indexes.jobs_by_remote).toMatch(
      /^CREATE UNIQUE INDEX .*\(remote_id\) WHERE \(remote_id IS NOT NULL\)/,
    );
    expect(Object.keys(indexes)).toEqual(
      expect.arrayContaining(['jobs_by_member', 'jobs_by_state', 'jobs_by_guild_time']),
    );
    const columns = Object.fromEntries(
      (
        await sql<{ column_name: string; data_type: string; is_identity: string }>(
          db.url,
          "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_name = 'jobs'",
        )
      ).map((row) => [row.column_name, `${row.data_type}${row.is_identity === 'YES' ? ' identity' : ''}`]),
    );
    expect(columns).toMatchObject({
      id: 'bigint identity',
      created_at: 'bigint',
      charged: 'boolean',
      claimed_by: 'text',
      claim_expires_at: 'bigint',
      delivery_claimed_by: 'text',
      delivery_claim_expires_at: 'bigint',
      first_card_pending_until: 'bigint',
      reference_images: 'jsonb',
      origin_kind: 'text',
      origin_job_id: 'bigint',
      request_id: 'bigint',
      take_index: 'integer',
    });
    expect(columns).not.toHaveProperty('reference_url');

    const inserted = await first.insertWithinQuota(newJob({ prompt: 'kept' }), generous);
    await first.close();
    const again = await db.open();
    expect(await sql(db.url, 'SELECT version, applied_at FROM schema_migrations')).toEqual(applied);
    expect(await again.get(inserted.ok ? inserted.job.id : 0)).toMatchObject({ prompt: 'kept' });
  });

  it('migrates once when several processes start on an empty database together', async () => {
    const db = await database();
    const stores = await Promise.all([db.open(), db.open(), db.open()]);
    expect(await sql(db.url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
    for (const store of stores) {
      const inserted = await store.insertWithinQuota(newJob(), generous);
      expect(inserted.ok).toBe(true);
    }
    expect(await sql(db.url, 'SELECT COUNT(*)::int AS n FROM jobs')).toEqual([{ n: 3 }]);
  });

  it('upgrades a database left at version 1: its one reference image becomes a list, a remix has its origin', async () => {
    const db = await database();
    const old = createDatabase(db.url);
    await migratePostgres(old, Date.now, 1);
    await sql(
      db.url,
      `INSERT INTO jobs (id, guild_id, channel_id, user_id, model, prompt, seconds, size, state, media_key,
         created_at, updated_at, reference_url, reference_name, reference_size, remix_of_job_id)
       VALUES (1, 'g1', 'c1', 'u1', 'veo-3.1-fast-generate-preview', 'kept', 6, '1280x720', 'delivered',
         md5('1'), 1, 1, 'https://cdn.example/lion.png', 'lion.png', '640x480', NULL),
              (2, 'g1', 'c1', 'u1', 'sora-2', 'again', 4, '1280x720', 'queued', md5('2'), 2, 2,
         NULL, NULL, NULL, 1)`,
    );
    await old.close();
    const store = await db.open();
    expect(await store.get(1)).toMatchObject({
      prompt: 'kept',
      referenceImages: [{ url: 'https://cdn.example/lion.png', name: 'lion.png', size: '640x480' }],
      originKind: 'command',
      originJobId: null,
      takeIndex: 1,
      takeCount: 1,
      requestId: null,
    });
    expect(await store.get(2)).toMatchObject({ referenceImages: [], originKind: 'remix', originJobId: 1 });
    expect((await store.madeFrom('g1', [1], 10)).map((job) => job.id)).toEqual([2]);
  });

  it('refuses a database from a newer reelbot, in one sentence', async () => {
    const db = await database();
    await (await db.open()).close();
    await sql(db.url, 'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [
      latestPostgresVersion + 1,
    ]);
    const refused = db.open();
    await expect(refused).rejects.toBeInstanceOf(DatabaseSettingError);
    await expect(refused).rejects.toThrow(
      `DATABASE_URL's database is at schema version ${latestPostgresVersion + 1}, newer than this reelbot (${latestPostgresVersion}): upgrade reelbot`,
    );
  });
});

describe('a DATABASE_URL that does not work', () => {
  // A server of this block's own: it asks the role "guarded" for its password.
  let server: PostgresServer;
  const password = 'Sup3r-S3cret-Pa55';
  /** The URL of `database` on this block's server as `user`, always with the password. */
  const urlAs = (user: string, database: string, port = server.port, secret = password) =>
    `postgres://${user}:${secret}@127.0.0.1:${port}/${database}`;

  beforeAll(async () => {
    server = await startPostgresServer({ passwordRoles: ['guarded'] });
    await asSuperuser(`CREATE ROLE guarded LOGIN PASSWORD '${password}'`, server.url);
    // PostgreSQL 15 and later let only the owner create in public; said outright all the same.
    await asSuperuser('CREATE ROLE limited LOGIN', server.url);
    await asSuperuser('CREATE DATABASE untouched', server.url);
    await asSuperuser(
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
      server.url.replace(/\/postgres$/, '/untouched'),
    );
  });
  afterAll(() => server?.stop());

  /** The sentence opening the store at `url` fails with; it never carries a password. */
  async function refusal(url: string, secrets = [password]): Promise<string> {
    const error = await openPostgresStore(url, {}).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DatabaseSettingError);
    const message = (error as DatabaseSettingError).message;
    for (const secret of secrets) expect(message).not.toContain(secret);
    expect(message).toMatch(/^DATABASE_URL/);
    expect(message).not.toContain('\n');
    return message;
  }

  it('says nothing answers at a port where no server listens', async () => {
    const port = await freePort();
    expect(await refusal(urlAs('guarded', 'postgres', port))).toBe(
      `DATABASE_URL points at 127.0.0.1:${port}, where no PostgreSQL server accepts connections (connection refused): start it, or correct the host and port`,
    );
  });

  it('says a host name cannot be found', async () => {
    expect(await refusal(`postgres://guarded:${password}@no-such-host.invalid:5432/reelbot`)).toBe(
      'DATABASE_URL names the host no-such-host.invalid, which cannot be found (no such name): correct the host name',
    );
  });

  it('says the password is wrong, without the password it was given', async () => {
    const wrong = 'wr0ng-h0rse-battery';
    expect(await refusal(urlAs('guarded', 'postgres', server.port, wrong), [wrong, password])).toBe(
      `DATABASE_URL's user "guarded" was refused by 127.0.0.1:${server.port}: the password is wrong, or there is no such user`,
    );
    // Percent-encoded in the URL, decoded by the driver: neither spelling shows.
    expect(
      await refusal(urlAs('guarded', 'postgres', server.port, 'p%40ss%3Aw0rd'), [
        'p%40ss%3Aw0rd',
        'p@ss:w0rd',
      ]),
    ).toContain('was refused by');
  });

  it('says the user does not exist when the server says so', async () => {
    expect(await refusal(urlAs('nobody_here', 'postgres'))).toBe(
      `DATABASE_URL's user "nobody_here" may not connect to the database "postgres" at 127.0.0.1:${server.port} (the server says: role "nobody_here" does not exist)`,
    );
  });

  it('says the database does not exist', async () => {
    expect(await refusal(urlAs('guarded', 'nowhere'))).toBe(
      `DATABASE_URL names the database "nowhere", which does not exist on 127.0.0.1:${server.port}: create it (CREATE DATABASE nowhere) or correct the name`,
    );
  });

  it('says the user may not create the tables, and leaves nothing behind', async () => {
    expect(await refusal(urlAs('limited', 'untouched'))).toBe(
      `DATABASE_URL's user "limited" may not create or use reelbot's tables in the database "untouched" (permission denied for schema public): make it the database's owner, or grant it CREATE and USAGE on the schema`,
    );
    const tables = await sql(
      server.url.replace(/\/postgres$/, '/untouched'),
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables).toEqual([]);
  });

  it('runs as a user that may only read and write rows once the owner has migrated', async () => {
    const ownerUrl = server.url.replace(/\/postgres$/, '/untouched');
    await (await openPostgresStore(ownerUrl, {})).close();
    await asSuperuser(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO limited',
      ownerUrl,
    );
    await asSuperuser('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO limited', ownerUrl);
    const store = await openPostgresStore(urlAs('limited', 'untouched'), {});
    try {
      const inserted = await store.insertWithinQuota(newJob({ prompt: 'by a limited role' }), generous);
      expect(inserted.ok && inserted.job.prompt).toBe('by a limited role');
    } finally {
      await store.close();
    }
  });

  it('says what a postgres:// URL looks like when given something else', async () => {
    const sentence =
      'DATABASE_URL must be a postgres:// or postgresql:// URL, such as postgres://reelbot:PASSWORD@db.example.com:5432/reelbot';
    expect(await refusal(`mysql://guarded:${password}@127.0.0.1/reelbot`)).toBe(sentence);
    expect(await refusal(`guarded:${password}@127.0.0.1/reelbot`)).toBe(sentence);
  });
});

describe('two processes on one database', () => {
  it('never hands one due job to both, claiming over 500 jobs truly at once', async () => {
    const time = clock();
    const db = await database();
    const stores = [
      await db.open({ now: time.now, instance: 'a' }),
      await db.open({ now: time.now, instance: 'b' }),
    ];
    await seedDueJobs(db.url, 500, time.now());
    const claimedBy = new Map<number, string[]>();
    for (let round = 1; round <= 30 && claimedBy.size < 500; round++) {
      // Four claims in flight from each store, all started before any is answered.
      const claims = stores.flatMap((store) =>
        [1, 2, 3, 4].map(async () => ({ holder: store.holder, jobs: await store.claimDue(9, 600_000) })),
      );
      for (const { holder, jobs } of await Promise.all(claims)) {
        for (const job of jobs) claimedBy.set(job.id, [...(claimedBy.get(job.id) ?? []), holder]);
      }
    }
    const twice = [...claimedBy].filter(([, holders]) => holders.length > 1);
    expect(twice).toEqual([]);
    expect(claimedBy.size).toBe(500);
    const rows = await sql<{ id: number; claimed_by: string; next_poll_at: string }>(
      db.url,
      'SELECT id, claimed_by, next_poll_at, claim_expires_at FROM jobs',
    );
    for (const row of rows) expect([row.claimed_by]).toEqual(claimedBy.get(Number(row.id)));
    expect(new Set(rows.map((row) => row.next_poll_at))).toEqual(new Set([String(time.now() + 600_000)]));
    const perHolder = stores.map((store) => rows.filter((row) => row.claimed_by === store.holder).length);
    expect(perHolder.every((count) => count > 0)).toBe(true);
    expect(await stores[0]?.claimDue(10, 600_000)).toEqual([]);
  });

  it('lets another process take a claim over once its lease ran out, and never skips the skip list', async () => {
    const time = clock();
    const db = await database();
    const [first, second] = [
      await db.open({ now: time.now, instance: 'a' }),
      await db.open({ now: time.now, instance: 'b' }),
    ];
    if (!first || !second) throw new Error('not opened');
    await seedDueJobs(db.url, 3, time.now());
    const claimed = await first.claimDue(10, 60_000, [1]);
    expect(claimed.map((job) => job.id)).toEqual([3, 2]);
    time.advance(10_000);
    expect((await second.claimDue(10, 60_000)).map((job) => job.id)).toEqual([1]);
    time.advance(49_999);
    expect(await second.claimDue(10, 60_000)).toEqual([]);
    time.advance(1);
    // Both leases ended at once: the same due time, then by id.
    expect((await second.claimDue(10, 60_000)).map((job) => job.id)).toEqual([2, 3]);
  });

  it('takes back at a restart the claims of its own earlier run only, and unscheduled waits', async () => {
    const time = clock();
    const db = await database();
    const earlier = await db.open({ now: time.now, instance: 'host-1' });
    const other = await db.open({ now: time.now, instance: 'host-10' });
    await seedDueJobs(db.url, 5, time.now());
    await earlier.claimDue(2, 60_000);
    await other.claimDue(2, 60_000);
    await sql(db.url, 'UPDATE jobs SET next_poll_at = NULL WHERE id = 1');
    await earlier.close(); // it died: its claims stay in the rows

    time.advance(5_000);
    const restarted = await db.open({ now: time.now, instance: 'host-1' });
    expect(restarted.holder).toMatch(/^host-1#[0-9a-f]{12}$/);
    expect(restarted.holder).not.toBe(earlier.holder);
    expect(await restarted.releaseOwnStaleClaims()).toBe(3);
    const rows = await sql<{ id: number; claimed_by: string | null; next_poll_at: string | null }>(
      db.url,
      'SELECT id, claimed_by, next_poll_at FROM jobs ORDER BY id',
    );
    const due = String(time.now());
    const othersLease = String(time.now() - 5_000 + 60_000);
    expect(rows.map((row) => [Number(row.id), row.claimed_by, row.next_poll_at])).toEqual([
      [1, null, due],
      [2, other.holder, othersLease],
      [3, other.holder, othersLease],
      [4, null, due],
      [5, null, due],
    ]);
  });

  it('hands an idle, undelivered job to the sweep only once nobody holds its delivery', async () => {
    const time = clock();
    const db = await database();
    const [first, second] = [await db.open({ now: time.now }), await db.open({ now: time.now })];
    if (!first || !second) throw new Error('not opened');
    await seedDueJobs(db.url, 2, time.now());
    await sql(db.url, "UPDATE jobs SET state = 'completed', next_poll_at = NULL");
    const idle = async () => (await second.undeliveredIdle(time.now(), 30_000)).map((job) => job.id);

    expect(await first.claimDelivery(1, 60_000)).toMatchObject({ id: 1, state: 'completed' });
    time.advance(30_001);
    expect(await idle()).toEqual([2]);
    expect(await second.claimDelivery(1, 60_000)).toBeUndefined();
    expect(await first.claimDelivery(1, 60_000)).toMatchObject({ id: 1 }); // renewed by its holder
    await second.releaseDelivery(1); // not its claim: nothing changes
    expect(await idle()).toEqual([2]);
    await first.releaseDelivery(1);
    expect(await idle()).toEqual([1, 2]);
    time.advance(60_000);
    expect(await second.claimDelivery(2, 60_000)).toMatchObject({ id: 2 });
    expect(await idle()).toEqual([1]);
    await sql(db.url, "UPDATE jobs SET state = 'delivered'");
    expect(await first.claimDelivery(1, 60_000)).toBeUndefined();
    expect(await idle()).toEqual([]);
  });

  it('never lets the quotas be overshot by inserts from two processes at once', async () => {
    const db = await database();
    const stores = [await db.open(), await db.open()];
    const insertFromBoth = async (
      count: number,
      job: (n: number) => Parameters<JobStore['insertWithinQuota']>[0],
      limits: typeof generous,
    ) => {
      const attempts = Array.from({ length: count }, (_, n) =>
        (stores[n % 2] as JobStore).insertWithinQuota(job(n), limits),
      );
      return Promise.all(attempts);
    };

    /** How many inserts went through, and the one limit every other was refused by. */
    const outcome = (results: Awaited<ReturnType<typeof insertFromBoth>>) => ({
      inserted: results.filter((result) => result.ok).length,
      refusedBy: [...new Set(results.flatMap((result) => (result.ok ? [] : [result.refusal.limit])))],
    });
    const inFlight = await insertFromBoth(20, () => newJob({ userId: 'busy' }), {
      ...generous,
      inFlightPerUser: 3,
    });
    expect(outcome(inFlight)).toEqual({ inserted: 3, refusedBy: ['in_flight'] });
    const daily = await insertFromBoth(20, () => newJob({ userId: 'keen' }), {
      ...generous,
      jobsPerUserPerDay: 4,
    });
    expect(outcome(daily)).toEqual({ inserted: 4, refusedBy: ['user_daily'] });

    const seconds = await insertFromBoth(
      20,
      (n) => newJob({ guildId: 'g2', userId: `member-${n}`, seconds: 10 }),
      {
        ...generous,
        secondsPerGuildPerDay: 55,
      },
    );
    expect(outcome(seconds)).toEqual({ inserted: 5, refusedBy: ['guild_seconds'] });
    const rows = await sql<{ guild_id: string; n: number; seconds: number }>(
      db.url,
      `SELECT guild_id, COUNT(*)::int AS n, SUM(seconds)::int AS seconds FROM jobs GROUP BY guild_id ORDER BY guild_id`,
    );
    expect(rows).toEqual([
      { guild_id: 'g1', n: 7, seconds: 42 },
      { guild_id: 'g2', n: 5, seconds: 50 },
    ]);
  });

  it('moves a job once when two processes race to move it, and tells only the one that did', async () => {
    const time = clock();
    const db = await database();
    const told: JobTransition[] = [];
    const onTransition = (change: JobTransition) => told.push(change);
    const stores = [
      await db.open({ now: time.now, onTransition }),
      await db.open({ now: time.now, onTransition }),
    ];
    await seedDueJobs(db.url, 40, time.now());
    const races = Array.from({ length: 40 }, (_, index) =>
      Promise.all(
        stores.map((store) =>
          store.tryTransition(index + 1, 'completed', { progress: 100 }, ['queued', 'in_progress']),
        ),
      ),
    );
    const results = await Promise.all(races);
    for (const pair of results) expect(pair.filter(Boolean)).toHaveLength(1);
    expect(told).toHaveLength(40);
    expect(new Set(told.map((change) => change.job.id)).size).toBe(40);
    expect(told.every((change) => change.from === 'queued' && change.job.state === 'completed')).toBe(true);
    expect(
      await sql(db.url, "SELECT COUNT(*)::int AS n FROM jobs WHERE state = 'completed' AND progress = 100"),
    ).toEqual([{ n: 40 }]);
  });

  it('lets one process at a time hold a delivery, even when both claim it at once', async () => {
    const time = clock();
    const db = await database();
    const stores = [await db.open({ now: time.now }), await db.open({ now: time.now })];
    await seedDueJobs(db.url, 30, time.now());
    await sql(db.url, "UPDATE jobs SET state = 'completed', next_poll_at = NULL");
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        Promise.all(stores.map((store) => store.claimDelivery(index + 1, 60_000))),
      ),
    );
    for (const pair of claims) expect(pair.filter(Boolean)).toHaveLength(1);
    const holders = await sql<{ delivery_claimed_by: string; n: number }>(
      db.url,
      'SELECT delivery_claimed_by, COUNT(*)::int AS n FROM jobs GROUP BY delivery_claimed_by',
    );
    expect(holders.reduce((sum, row) => sum + row.n, 0)).toBe(30);
    expect(holders.every((row) => stores.some((store) => store.holder === row.delivery_claimed_by))).toBe(
      true,
    );
  });
});

describe('transitions on PostgreSQL', () => {
  it('keeps the state machine, the states the caller saw, and updates only while a job waits', async () => {
    const time = clock();
    const db = await database();
    const store = await db.open({ now: time.now });
    const inserted = await store.insertWithinQuota(newJob(), generous);
    if (!inserted.ok) throw new Error('refused');
    const id = inserted.job.id;
    time.advance(1_000);
    const queued = await store.transition(id, 'queued', { remoteId: 'r1', nextPollAt: time.now() });
    expect(queued).toMatchObject({ state: 'queued', remoteId: 'r1', updatedAt: time.now() });

    await expect(store.transition(id, 'delivered')).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(store.transition(id, 'delivered')).rejects.toMatchObject({
      from: 'queued',
      to: 'delivered',
    });
    await expect(store.transition(9_999, 'failed')).rejects.toThrow('job 9999 does not exist');
    expect(await store.tryTransition(id, 'completed', {}, ['in_progress'])).toBeUndefined();
    expect(await store.tryTransition(9_999, 'failed')).toBeUndefined();

    expect(await store.updateWhile(id, ['queued', 'in_progress'], { progress: 40 })).toMatchObject({
      progress: 40,
    });
    await store.transition(id, 'canceled');
    expect(
      await store.updateWhile(id, ['queued', 'in_progress'], { nextPollAt: time.now() + 5 }),
    ).toBeUndefined();
    expect(await store.tryTransition(id, 'failed')).toBeUndefined();
    expect(await store.get(id)).toMatchObject({ state: 'canceled', progress: 40, nextPollAt: null });
    await expect(store.update(9_999, { progress: 1 })).rejects.toThrow('job 9999 does not exist');
  });

  it('tells a change only once it is committed: one rolled back at COMMIT is never told', async () => {
    const db = await database();
    const told: JobTransition[] = [];
    const store = await db.open({ onTransition: (change) => told.push(change) });
    // A check PostgreSQL makes only at COMMIT: a transition that writes this message fails there.
    await sql(
      db.url,
      `CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.error_message = 'refused at commit' THEN RAISE EXCEPTION 'refused at commit'; END IF;
         RETURN NEW;
       END $$;
       CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON jobs
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();`,
    );
    const inserted = await store.insertWithinQuota(newJob(), generous);
    if (!inserted.ok) throw new Error('refused');
    const id = inserted.job.id;

    await expect(store.transition(id, 'failed', { errorMessage: 'refused at commit' })).rejects.toThrow(
      'refused at commit',
    );
    expect(told).toEqual([]);
    expect(await store.get(id)).toMatchObject({ state: 'submitting', errorMessage: null });

    const failed = await store.transition(
      id,
      'failed',
      { errorMessage: 'the provider said no' },
      { canceledBy: 'u9' },
    );
    expect(told).toEqual([{ job: failed, from: 'submitting', note: { canceledBy: 'u9' } }]);
  });
});

describe('generation times on PostgreSQL', () => {
  it('prunes the samples of a kind beyond the most recent 200 from the table, leaving other kinds', async () => {
    const time = clock();
    const db = await database();
    const store = await db.open({ now: time.now });
    await store.recordGenerationTime('other', 8, '1280x720', 5_000, time.now());
    for (let index = 1; index <= 230; index++) {
      await store.recordGenerationTime('sora-2', 8, '1280x720', index, time.now());
    }
    expect(
      await sql(
        db.url,
        'SELECT model, COUNT(*)::int AS n, MIN(duration_ms) AS oldest FROM generation_samples GROUP BY model ORDER BY model',
      ),
    ).toEqual([
      { model: 'other', n: 1, oldest: '5000' },
      { model: 'sora-2', n: 200, oldest: '31' },
    ]);
  });
});

describe('a PostgreSQL server that goes away while the store is open', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(() => server?.stop());

  it('rejects calls as unavailable while the server is down, then serves again without reopening', async () => {
    const created = await freshDatabase(server.url);
    const store = await openPostgresStore(created.url, { poolSize: 2 });
    try {
      const inserted = await store.insertWithinQuota(newJob({ prompt: 'survives' }), generous);
      if (!inserted.ok) throw new Error('refused');
      expect(store.isAvailable()).toBe(true);

      // A transition under way when the server goes: it waits on a row another session holds.
      const holder = new pg.Client({ connectionString: created.url });
      holder.on('error', () => {}); // its connection dies with the server, as intended
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [inserted.job.id]);
      const cut = store.transition(inserted.job.id, 'failed', { errorMessage: 'never written' });
      cut.catch(() => {}); // awaited below, after the server is gone
      await vi.waitFor(async () => {
        const waiting = await holder.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
        expect(waiting.rows).toHaveLength(1);
      });

      await server.kill();
      await expect(cut).rejects.toBeInstanceOf(StoreUnavailableError);
      await holder.end().catch(() => {});
      await expect(store.get(inserted.job.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(store.isAvailable()).toBe(false);
      await expect(store.insertWithinQuota(newJob(), generous)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.transition(inserted.job.id, 'failed')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(store.isAvailable()).toBe(false);

      await server.restart();
      // Nobody calls meanwhile: the store's own probe finds the server back.
      await vi.waitFor(() => expect(store.isAvailable()).toBe(true), { timeout: 15_000, interval: 100 });
      expect(await store.get(inserted.job.id)).toMatchObject({
        prompt: 'survives',
        state: 'submitting',
        errorMessage: null,
      });
      expect(await store.byState(['submitting'])).toHaveLength(1);
      expect(await store.transition(inserted.job.id, 'failed')).toMatchObject({ state: 'failed' });
    } finally {
      await store.close();
    }
    expect(store.isAvailable()).toBe(false);
    await expect(store.get(1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await created.drop();
  });
});
