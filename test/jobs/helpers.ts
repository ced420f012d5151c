// Shared set-up for the jobs room's tests: a store on a temp file, a clock the test drives,
// the real client against the fake video API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import {
  createSubmissions,
  createTracker,
  type JobStore,
  type NewJob,
  openSqliteStore,
  type TrackerOptions,
} from '../../src/jobs/index.ts';
import { buildCatalogue, createVideoClient } from '../../src/provider/index.ts';
import { type FakeVideoApiOptions, startFakeVideoApi } from '../fakes/videoApi.ts';

export const catalogue = (() => {
  const built = buildCatalogue({
    enabledIds: [],
    custom: [],
    defaultModelId: 'veo-3.1-fast-generate-preview',
  });
  if (!built.catalogue) throw new Error(built.problems.join());
  return built.catalogue;
})();

export const silent = pino({ level: 'silent' });
export const generous = { inFlightPerUser: 100, jobsPerUserPerDay: 100, secondsPerGuildPerDay: 100_000 };

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    guildId: 'g1',
    channelId: 'c1',
    userId: 'u1',
    model: 'veo-3.1-fast-generate-preview',
    prompt: 'a lion',
    seconds: 6,
    size: '1280x720',
    ...overrides,
  };
}

export function clock(start = Date.UTC(2026, 10, 24, 12)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Every job in the database, whatever its state. */
export async function countJobs(store: JobStore): Promise<number> {
  return Object.values(await store.countsByState()).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** The schema version an SQLite file is at, read without migrating it. */
export function sqliteUserVersion(path: string): number {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'reelbot-jobs-')), 'jobs.db');
}

/** The wall clock, for tests of the real timer loop; `advance` is refused. */
function wallClock(): ReturnType<typeof clock> {
  return {
    now: Date.now,
    advance() {
      throw new Error('the wall clock cannot be advanced');
    },
  };
}

/** Store, fake provider, real client and tracker on one driven clock (or the wall clock, for the timer loop). */
export async function world(
  options: {
    video?: FakeVideoApiOptions;
    tracker?: Partial<TrackerOptions>;
    path?: string;
    wallClock?: boolean;
  } = {},
) {
  const time = options.wallClock ? wallClock() : clock();
  const path = options.path ?? tempDbPath();
  const store = await openSqliteStore(path, { now: time.now });
  const submissions = createSubmissions();
  const video = await startFakeVideoApi({
    apiKey: 'test-key',
    pollsToComplete: 3,
    now: time.now,
    ...options.video,
  });
  const client = createVideoClient({
    baseUrl: video.url,
    apiKey: 'test-key',
    catalogue,
    http: { sleep: async () => undefined, retries: 0 },
  });
  const tracker = createTracker({
    store,
    submissions,
    client,
    logger: silent,
    now: time.now,
    ...options.tracker,
  });
  const events: { type: string; id: number; state: string }[] = [];
  for (const type of ['progress', 'completed', 'failed', 'expired'] as const) {
    tracker.on(type, (job) => events.push({ type, id: job.id, state: job.state }));
  }
  return {
    time,
    path,
    store,
    submissions,
    video,
    client,
    tracker,
    events,
    async close() {
      await tracker.stop();
      await client.close();
      await video.close();
      if (store.isAvailable()) await store.close();
    },
  };
}
