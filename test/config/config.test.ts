import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const minimal = { DISCORD_TOKEN: 'discord-token-value', VIDEO_API_KEY: 'sk-video-secret-1234' };

/** Runs src/main.ts as `npm start` does, in `cwd` with only `env`; its exit code and stderr lines if it failed. */
async function npmStartFails(
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; lines: string[] } | null> {
  const main = join(import.meta.dirname, '../../src/main.ts');
  return promisify(execFile)(process.execPath, ['--experimental-strip-types', '--no-warnings', main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
  }).then(
    () => null,
    (error: { code: number; stderr: string }) => ({
      code: error.code,
      lines: error.stderr.trim().split('\n'),
    }),
  );
}

/** The configuration of `minimal` plus `env`; throws with the problems when there are any. */
function configOf(env: Record<string, string>) {
  const result = loadConfig({ ...minimal, ...env });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

/** The problems of `minimal` plus `env` (none when it loads). */
function problemsOf(env: Record<string, string>) {
  const result = loadConfig({ ...minimal, ...env });
  return result.ok ? [] : result.problems;
}

describe('configuration', () => {
  it('keeps the media folder beside the database unless MEDIA_DIR says otherwise', () => {
    const mediaDir = (env: Record<string, string>) => {
      const result = loadConfig({ ...minimal, ...env });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      return result.config.media.dir;
    };
    expect(mediaDir({})).toBe(join('data', 'media'));
    expect(mediaDir({ DATABASE_PATH: '/srv/reelbot/jobs.db' })).toBe('/srv/reelbot/media');
    expect(mediaDir({ DATABASE_PATH: '/srv/reelbot/jobs.db', MEDIA_DIR: '/mnt/videos' })).toBe('/mnt/videos');
  });

  it('applies the documented defaults', () => {
    const result = loadConfig(minimal);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.discord.apiUrl).toBe('https://discord.com/api');
    // Unset, the leases are worked out from the timeouts they must outlast.
    expect(result.config.leases).toEqual({ pollMs: undefined, deliveryMs: undefined });
    expect(result.config.video.baseUrl).toBe('https://models.hingnet.com.cn/v1');
    expect(result.config.video.catalogue.defaultModel.id).toBe('veo-3.1-fast-generate-preview');
    expect(result.config.video.catalogue.offered.map((model) => model.id)).toEqual([
      'veo-3.1-fast-generate-preview',
      'veo-3.1-generate-preview',
    ]);
    expect(result.config.databasePath).toBe('./data/reelbot.db');
    expect(result.config.discord).toMatchObject({ uploadMinKbps: 100, uploadsAtOnce: 2 });
    expect(result.config.log.level).toBe('info');
    expect(result.config.video.simulated).toBe(false);
    expect(result.config.warnings).toEqual([]);
  });

  it('runs the simulated provider, with a warning, when only DISCORD_TOKEN is set', () => {
    const result = loadConfig({ DISCORD_TOKEN: 'discord-token-value' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.video.simulated).toBe(true);
    expect(result.config.warnings).toEqual([
      'VIDEO_API_KEY is not set: running the simulated provider; no real videos are made',
    ]);
    const emptyKey = loadConfig({
      DISCORD_TOKEN: 'discord-token-value',
      VIDEO_API_KEY: ' ',
      VIDEO_SIMULATED: '',
    });
    expect(emptyKey.ok && emptyKey.config.video.simulated).toBe(true);
  });

  it('runs the simulated provider with a key only when VIDEO_SIMULATED=true', () => {
    const asked = loadConfig({ ...minimal, VIDEO_SIMULATED: 'true' });
    if (!asked.ok) throw new Error(asked.problems.join('\n'));
    expect(asked.config.video.simulated).toBe(true);
    expect(asked.config.warnings.join()).toContain('running the simulated provider');
    const auto = loadConfig({ ...minimal, VIDEO_SIMULATED: 'AUTO' });
    expect(auto.ok && auto.config.video.simulated).toBe(false);
  });

  it('refuses VIDEO_SIMULATED=false without a key, naming VIDEO_API_KEY', () => {
    const result = loadConfig({ DISCORD_TOKEN: 'discord-token-value', VIDEO_SIMULATED: 'false' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^VIDEO_API_KEY is required/);
    expect(result.notes).toEqual([]);
    const typo = loadConfig({ ...minimal, VIDEO_SIMULATED: 'maybe' });
    expect(!typo.ok && typo.problems).toEqual(['VIDEO_SIMULATED must be auto, true or false']);
  });

  it('reports every missing and malformed setting at once, by name, cross-field checks included', () => {
    const result = loadConfig({
      VIDEO_API_BASE_URL: 'not a url',
      VIDEO_SIMULATED: 'false',
      LOG_LEVEL: 'loud',
      QUOTA_IN_FLIGHT_PER_USER: 'two',
      PUBLIC_URL: 'https://reelbot.example.com',
      VIDEO_MODELS: 'nope',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const named = result.problems.map((problem) => /^[A-Z_]+/.exec(problem)?.[0]);
    expect(named.sort()).toEqual(
      [
        'DISCORD_TOKEN',
        'LOG_LEVEL',
        'PUBLIC_URL',
        'QUOTA_IN_FLIGHT_PER_USER',
        'VIDEO_API_BASE_URL',
        'VIDEO_API_KEY',
        'VIDEO_DEFAULT_MODEL',
        'VIDEO_MODELS',
      ].sort(),
    );
    expect(result.problems.find((problem) => problem.startsWith('PUBLIC_URL'))).toContain('HTTP_PORT is not');
  });

  it('refuses VIDEO_API_TIMEOUT_MS=3000000000, naming the allowed range and why (Node timers cap at 2^31-1 ms)', () => {
    const result = loadConfig({ ...minimal, VIDEO_API_TIMEOUT_MS: '3000000000' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^VIDEO_API_TIMEOUT_MS must be a whole number from 1000 to 600000: /);
    expect(result.problems[0]).toContain('2^31-1');
  });

  const numericSettings: [name: string, min: number, max: number][] = [
    ['VIDEO_API_TIMEOUT_MS', 1_000, 600_000],
    ['MAX_VIDEO_BYTES', 8 * 1024, 4 * 1024 ** 3],
    ['MEDIA_RETENTION_HOURS', 1, 8_760],
    ['MEDIA_LINK_TTL_HOURS', 1, 8_760],
    ['JOB_MAX_AGE_MINUTES', 5, 1_440],
    ['QUOTA_IN_FLIGHT_PER_USER', 1, 100],
    ['QUOTA_JOBS_PER_USER_PER_DAY', 1, 10_000],
    ['QUOTA_SECONDS_PER_GUILD_PER_DAY', 1, 1_000_000],
    ['HTTP_PORT', 0, 65_535],
    ['POLL_LEASE_MS', 1_000, 86_400_000],
    ['DELIVERY_LEASE_MS', 1_000, 86_400_000],
  ];

  it.each(numericSettings)('bounds %s to [%d, %d] and says why outside it', (name, min, max) => {
    for (const inside of [min, max]) {
      const result = loadConfig({ ...minimal, [name]: String(inside) });
      expect(result.ok ? [] : result.problems, `${name}=${inside}`).toEqual([]);
    }
    const outside = [String(max + 1), '9'.repeat(30), ...(min > 0 ? [String(min - 1)] : [])];
    for (const value of outside) {
      const result = loadConfig({ ...minimal, [name]: value });
      const problems = result.ok ? [] : result.problems;
      expect(problems, `${name}=${value}`).toHaveLength(1);
      // The range and a reason after it; never the value that was given.
      expect(problems[0]).toMatch(new RegExp(`^${name} must be a whole number from ${min} to ${max}: \\w`));
      if (value.length > 12) expect(problems[0]).not.toContain(value);
    }
  });

  it('keeps MAX_VIDEO_BYTES at or above the smallest download accepted as a video, and says so', () => {
    const result = loadConfig({ ...minimal, MAX_VIDEO_BYTES: '1024' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.stringMatching(/^MAX_VIDEO_BYTES must be a whole number from 8192 to /),
    ]);
    expect(result.problems[0]).toContain('a download under 8 KiB is refused as not a video');
  });

  it.each([
    {
      what: 'no seconds',
      model: { seconds: [0] },
      problem: /VIDEO_MODELS_JSON\[0\.seconds\.0\] .*from 1 to 120 seconds/,
    },
    {
      what: 'ten minutes',
      model: { seconds: [5, 600] },
      problem: /VIDEO_MODELS_JSON\[0\.seconds\.1\] .*from 1 to 120 seconds/,
    },
    {
      what: 'a 16-pixel side',
      model: { sizes: ['16x720'] },
      problem: /VIDEO_MODELS_JSON\[0\.sizes\.0\] .*from 64 to 8192 pixels/,
    },
    {
      what: 'a side of 20,000 pixels',
      model: { sizes: ['1280x720', '1280x20000'] },
      problem: /VIDEO_MODELS_JSON\[0\.sizes\.1\] .*from 64 to 8192 pixels/,
    },
  ])('refuses a custom model with $what, naming the bounds', ({ model, problem }) => {
    const json = JSON.stringify([{ id: 'odd-1', seconds: [5], sizes: ['1280x720'], ...model }]);
    const result = loadConfig({
      ...minimal,
      VIDEO_MODELS_JSON: json,
      VIDEO_MODELS: 'odd-1',
      VIDEO_DEFAULT_MODEL: 'odd-1',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('accepts a custom model at the bounds: 1 and 120 seconds, 64 and 8192 pixels a side', () => {
    const json = JSON.stringify([{ id: 'edge-1', seconds: [1, 120], sizes: ['64x8192', '8192x64'] }]);
    const result = loadConfig({ ...minimal, VIDEO_MODELS_JSON: json, VIDEO_DEFAULT_MODEL: 'edge-1' });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('keeps sora-2 opt-in and lets operators enable it', () => {
    const hidden = loadConfig(minimal);
    expect(hidden.ok && hidden.config.video.catalogue.find('sora-2')).toBeFalsy();
    const enabled = loadConfig({ ...minimal, VIDEO_MODELS: 'sora-2,veo-3.1-fast-generate-preview' });
    if (!enabled.ok) throw new Error(enabled.problems.join('\n'));
    expect(enabled.config.video.catalogue.find('sora-2')?.referenceShape).toBe('multipart');
  });

  it('accepts custom models as JSON and names mistakes in them', () => {
    const custom = loadConfig({
      ...minimal,
      VIDEO_MODELS_JSON:
        '[{"id":"kling-1","seconds":[5,10],"sizes":["1280x720"],"referenceShape":"image_url"}]',
      VIDEO_DEFAULT_MODEL: 'kling-1',
    });
    if (!custom.ok) throw new Error(custom.problems.join('\n'));
    expect(custom.config.video.catalogue.defaultModel).toMatchObject({ id: 'kling-1', seconds: [5, 10] });
    const broken = loadConfig({ ...minimal, VIDEO_MODELS_JSON: '[{"id":"x","seconds":[],"sizes":["big"]}]' });
    expect(broken.ok).toBe(false);
    if (!broken.ok)
      expect(broken.problems.join('\n')).toMatch(
        /VIDEO_MODELS_JSON\[0\.seconds\].*VIDEO_MODELS_JSON\[0\.sizes\.0\]/s,
      );
    const several = loadConfig({
      ...minimal,
      VIDEO_MODELS_JSON:
        '[{"id":"gw-1","seconds":[5],"sizes":["1280x720"],"maxReferenceImages":3},{"id":"gw-2","seconds":[5],"sizes":["1280x720"],"referenceShape":"multipart"}]',
      VIDEO_DEFAULT_MODEL: 'gw-1',
    });
    if (!several.ok) throw new Error(several.problems.join('\n'));
    // A model not told otherwise takes one image, whatever its shape.
    expect(several.config.video.catalogue.find('gw-1')?.maxReferenceImages).toBe(3);
    expect(several.config.video.catalogue.find('gw-2')?.maxReferenceImages).toBe(1);
    const tooMany = loadConfig({
      ...minimal,
      VIDEO_MODELS_JSON:
        '[{"id":"a","seconds":[5],"sizes":["1280x720"],"maxReferenceImages":4},{"id":"b","seconds":[5],"sizes":["1280x720"],"referenceShape":"image_url","maxReferenceImages":2}]',
    });
    expect(!tooMany.ok && tooMany.problems).toEqual(
      expect.arrayContaining([
        'VIDEO_MODELS_JSON[0.maxReferenceImages] must be a whole number from 0 to 3: how many reference images one video may have (0: none)',
        'VIDEO_MODELS_JSON[1.maxReferenceImages] can be more than 1 only with "referenceShape": "url_array": a file upload or {image_url} carries one image',
      ]),
    );
    const unknown = loadConfig({ ...minimal, VIDEO_MODELS: 'nope' });
    expect(!unknown.ok && unknown.problems.join()).toContain('unknown model "nope"');
  });

  it('never puts a secret value into a problem', () => {
    const result = loadConfig({ ...minimal, VIDEO_API_BASE_URL: 'sk-video-secret-1234' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).not.toContain('sk-video-secret-1234');
  });

  it('npm start without configuration exits 1 naming DISCORD_TOKEN, and says the simulated provider would run', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reelbot-noconfig-'));
    const failure = await npmStartFails(cwd);
    expect(failure?.code).toBe(1);
    const lines = failure?.lines ?? [];
    expect(lines.filter((line) => line.startsWith('  - '))).toEqual([
      expect.stringContaining('DISCORD_TOKEN is required'),
    ]);
    expect(lines.filter((line) => /VIDEO_API_KEY/.test(line))).toEqual([
      expect.stringMatching(/VIDEO_API_KEY is not set, so reelbot would run its built-in simulated provider/),
    ]);
  });

  it('reads .env from the working directory, with the process environment winning', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reelbot-dotenv-'));
    writeFileSync(
      join(cwd, '.env'),
      'DISCORD_TOKEN=from-dotenv\nVIDEO_SIMULATED=false\nLOG_LEVEL=shouting\n',
    );
    const failure = await npmStartFails(cwd, { LOG_LEVEL: 'info' });
    expect(failure?.code).toBe(1);
    const lines = failure?.lines ?? [];
    // DISCORD_TOKEN came from .env; LOG_LEVEL from the environment beat the file's bad value.
    expect(lines.filter((line) => line.startsWith('  - '))).toEqual([
      expect.stringContaining('VIDEO_API_KEY is required'),
    ]);
    expect(lines[0]).toBe('reelbot cannot start: the configuration has problems.');
  });

  describe('provider webhooks (VIDEO_WEBHOOK_*)', () => {
    const secret = `whsec_${Buffer.from('config-test-webhook-secret').toString('base64')}`;
    const withEndpoint = { HTTP_PORT: '8080', VIDEO_WEBHOOK_SECRET: secret };

    it("is off without a secret, and on with OpenAI's events, id path and a one-minute safety net by default", () => {
      expect(configOf({}).webhooks).toBeUndefined();
      expect(configOf(withEndpoint).webhooks).toEqual({
        secret,
        events: ['video.completed', 'video.failed'],
        idPath: ['data', 'id'],
        callback: undefined,
        safetyPollMs: 60_000,
        liveMs: 15 * 60_000,
      });
    });

    it("takes a gateway's event names, id path and callback field, sending PUBLIC_URL/webhooks/video", () => {
      const config = configOf({
        ...withEndpoint,
        PUBLIC_URL: 'https://reelbot.example.com/',
        VIDEO_WEBHOOK_EVENTS:
          'video.generation.completed, video.generation.failed,video.generation.cancelled',
        VIDEO_WEBHOOK_ID_PATH: 'data.id',
        VIDEO_WEBHOOK_CALLBACK_FIELD: 'callback_url',
        VIDEO_WEBHOOK_SAFETY_POLL_SECONDS: '30',
        VIDEO_WEBHOOK_LIVE_MINUTES: '5',
      });
      expect(config.webhooks).toMatchObject({
        events: ['video.generation.completed', 'video.generation.failed', 'video.generation.cancelled'],
        callback: { field: 'callback_url', url: 'https://reelbot.example.com/webhooks/video' },
        safetyPollMs: 30_000,
        liveMs: 5 * 60_000,
      });
    });

    it('refuses a malformed secret without quoting it, and settings that could never work together', () => {
      const problems = (env: Record<string, string>) => {
        const result = loadConfig({ ...minimal, ...env });
        return result.ok ? [] : result.problems;
      };
      const malformed = problems({ HTTP_PORT: '8080', VIDEO_WEBHOOK_SECRET: 'not-a-whsec-value-1234' });
      expect(malformed).toEqual([expect.stringMatching(/^VIDEO_WEBHOOK_SECRET must be the signing secret/)]);
      expect(malformed.join('')).not.toContain('not-a-whsec-value-1234');
      expect(problems({ VIDEO_WEBHOOK_SECRET: secret })).toEqual([
        expect.stringMatching(/^VIDEO_WEBHOOK_SECRET is set but HTTP_PORT is not/),
      ]);
      expect(problems({ HTTP_PORT: '8080', VIDEO_WEBHOOK_CALLBACK_FIELD: 'callback_url' }).sort()).toEqual([
        expect.stringMatching(/^VIDEO_WEBHOOK_CALLBACK_FIELD is set but PUBLIC_URL is not/),
        expect.stringMatching(/^VIDEO_WEBHOOK_CALLBACK_FIELD is set but VIDEO_WEBHOOK_SECRET is not/),
      ]);
      expect(problems({ ...withEndpoint, VIDEO_WEBHOOK_ID_PATH: 'data..id' })).toEqual([
        expect.stringMatching(/^VIDEO_WEBHOOK_ID_PATH must be field names joined by dots/),
      ]);
      expect(problems({ ...withEndpoint, VIDEO_WEBHOOK_EVENTS: 'video completed' })).toEqual([
        expect.stringMatching(/^VIDEO_WEBHOOK_EVENTS must be event types separated by commas/),
      ]);
      expect(problems({ ...withEndpoint, VIDEO_WEBHOOK_SAFETY_POLL_SECONDS: '0' })).toEqual([
        expect.stringMatching(/^VIDEO_WEBHOOK_SAFETY_POLL_SECONDS must be a whole number from 1 to 3600/),
      ]);
    });
  });

  describe('the database (DATABASE_URL, DATABASE_POOL_SIZE, INSTANCE_NAME)', () => {
    const secretUrl = 'postgres://reelbot:Sup3r-S3cret-Pa55@db.example.com:5432/reelbot';

    it('keeps SQLite without DATABASE_URL, with a pool of 10 and the host as the instance', () => {
      expect(configOf({})).toMatchObject({
        databasePath: './data/reelbot.db',
        databaseUrl: undefined,
        databasePoolSize: 10,
        instance: hostname(),
      });
      expect(configOf({ DATABASE_URL: ' ' }).databaseUrl).toBeUndefined();
    });

    it('takes a postgres:// or postgresql:// URL, a pool size and an instance name', () => {
      expect(
        configOf({ DATABASE_URL: secretUrl, DATABASE_POOL_SIZE: '25', INSTANCE_NAME: 'eu-1.bot_a' }),
      ).toMatchObject({
        databaseUrl: secretUrl,
        databasePoolSize: 25,
        instance: 'eu-1.bot_a',
      });
      const postgresql = 'postgresql://reelbot@10.0.0.5/reelbot?sslmode=require';
      expect(configOf({ DATABASE_URL: postgresql }).databaseUrl).toBe(postgresql);
    });

    it('refuses a DATABASE_URL that is not a postgres URL, naming the setting but never its value', () => {
      for (const value of [
        'mysql://reelbot:Sup3r-S3cret-Pa55@db.example.com/reelbot',
        'Sup3r-S3cret-Pa55',
        'postgres://reelbot:Sup3r-S3cret-Pa55@db example/x',
      ]) {
        const problems = problemsOf({ DATABASE_URL: value });
        expect(problems, value).toEqual([
          'DATABASE_URL must be a postgres:// or postgresql:// URL, such as postgres://reelbot:PASSWORD@db.example.com:5432/reelbot (or unset for the SQLite file at DATABASE_PATH)',
        ]);
        expect(problems.join()).not.toContain('Sup3r-S3cret-Pa55');
      }
    });

    it('bounds DATABASE_POOL_SIZE and refuses an INSTANCE_NAME the claims could not carry', () => {
      for (const value of ['0', '101', 'ten']) {
        expect(problemsOf({ DATABASE_POOL_SIZE: value }), value).toEqual([
          expect.stringMatching(
            /^DATABASE_POOL_SIZE must be a whole number from 1 to 100: connections each process/,
          ),
        ]);
      }
      for (const value of ['host#1', 'two words', 'x'.repeat(101)]) {
        expect(problemsOf({ INSTANCE_NAME: value }), value).toEqual([
          'INSTANCE_NAME must be up to 100 letters, digits, dots, dashes or underscores (it names this process in the database)',
        ]);
      }
    });

    it('names a shard process after its host and shard, unless INSTANCE_NAME says otherwise', () => {
      const shard = { SHARDING_MANAGER: 'true', SHARDS: '1', SHARD_COUNT: '2' };
      expect(configOf(shard).instance).toBe(`${hostname()}-shard-1`);
      expect(configOf({ ...shard, INSTANCE_NAME: 'blue' }).instance).toBe('blue');
    });
  });

  describe('processes (SHARDS, TRACKER, TRACKER_SHARDS)', () => {
    it('runs one process with the tracker by default, and with SHARDS=1', () => {
      const oneProcess: Record<string, string>[] = [{}, { SHARDS: '1' }, { SHARDS: ' ' }];
      for (const env of oneProcess) {
        expect(configOf(env)).toMatchObject({ role: { kind: 'single' }, tracker: true });
      }
      expect(configOf({ TRACKER: 'false' }).tracker).toBe(false);
    });

    it('makes SHARDS=auto or 2 to 64 a shard manager, TRACKER_SHARDS the shards that run the tracker', () => {
      expect(configOf({ SHARDS: 'AUTO' }).role).toEqual({ kind: 'manager', shards: 'auto' });
      expect(configOf({ SHARDS: '64' }).role).toEqual({ kind: 'manager', shards: 64 });
      expect(configOf({ SHARDS: '3', TRACKER_SHARDS: '2, 0,2' }).role).toEqual({
        kind: 'manager',
        shards: 3,
        trackerShards: [0, 2],
      });
    });

    it('refuses a SHARDS that is not auto or 1 to 64, saying what it counts', () => {
      for (const value of ['0', '65', 'two', '-1', '2.5']) {
        expect(problemsOf({ SHARDS: value }), value).toEqual([
          expect.stringMatching(/^SHARDS must be auto or a whole number from 1 to 64: the shard processes/),
        ]);
      }
    });

    it('refuses a TRACKER_SHARDS that cannot apply, naming why', () => {
      expect(problemsOf({ SHARDS: '2', TRACKER_SHARDS: 'first' })).toEqual([
        'TRACKER_SHARDS must be shard ids separated by commas, such as 0 or 0,2',
      ]);
      expect(problemsOf({ TRACKER_SHARDS: '0' })).toEqual([
        expect.stringMatching(/^TRACKER_SHARDS is set but SHARDS is not/),
      ]);
      expect(problemsOf({ SHARDS: '2', TRACKER_SHARDS: '0', TRACKER: 'false' })).toEqual([
        'TRACKER_SHARDS is set but TRACKER=false turns the tracker off in every process',
      ]);
      expect(problemsOf({ SHARDS: '2', TRACKER_SHARDS: '1,2' })).toEqual([
        'TRACKER_SHARDS names shard 2, but there are 2 shards (0 to 1)',
      ]);
      expect(problemsOf({ TRACKER: 'sometimes' })).toEqual(['TRACKER must be true or false']);
    });

    it('refuses an HTTP_PORT whose shard ports run past 65535 (shards listen on HTTP_PORT + their id)', () => {
      expect(problemsOf({ SHARDS: '2', HTTP_PORT: '65534' })).toEqual([]);
      expect(problemsOf({ SHARDS: '3', HTTP_PORT: '65534' })).toEqual([
        'HTTP_PORT leaves no room for 3 shards: shard processes listen on HTTP_PORT plus their shard id, up to 65536, past 65535',
      ]);
      expect(problemsOf({ SHARDS: '64', HTTP_PORT: '0' })).toEqual([]);
    });

    it("reads a shard process's id and count where ShardingManager puts them, and its port from HTTP_PORT", () => {
      // What discord.js's ShardingManager gives shard 1 of 2: SHARDS is then the shard's id.
      const shard = { SHARDING_MANAGER: 'true', SHARDS: '1', SHARD_COUNT: '2', TRACKER: 'false' };
      expect(configOf({ ...shard, HTTP_PORT: '8080', TRACKER_SHARDS: '0' })).toMatchObject({
        role: { kind: 'shard', id: 1, count: 2 },
        tracker: false,
        http: { port: 8081 },
      });
      expect(configOf({ ...shard, HTTP_PORT: '0' }).http.port).toBe(0);
      expect(configOf({ ...shard, SHARDS: '0' }).http.port).toBeUndefined();
      // SHARDING_MANAGER alone (the manager's own environment) is not a shard.
      expect(configOf({ SHARDING_MANAGER: 'true', SHARDS: '2' }).role).toEqual({
        kind: 'manager',
        shards: 2,
      });
    });
  });
});
