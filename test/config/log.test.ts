import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databasePassword } from '../../src/jobs/store/postgres/openFailure.ts';
import { createLogger, jobLogger, wantsPretty } from '../../src/log.ts';
import { ProviderError } from '../../src/provider/index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logging', () => {
  it('never writes the API key or bot token, wherever they travel', () => {
    const { lines, destination } = capture();
    const apiKey = 'sk-live-abcdef123456';
    const token = 'MTIzNDU2Nzg5.discord.token';
    const logger = createLogger({ level: 'debug', destination, secrets: [apiKey, token] });
    logger.info({ headers: { authorization: `Bearer ${apiKey}` } }, 'request');
    logger.info({ config: { discord: { token }, video: { apiKey } } }, 'config');
    logger.warn(`request failed with key ${apiKey}`);
    logger.error({ err: new Error(`401 for ${token}`) }, 'failure');
    logger.info({ nested: { deeper: { note: `see ${apiKey}` } } }, 'nested');
    const output = lines.join('');
    expect(lines).toHaveLength(5);
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain(token);
    expect(output).toContain('[Redacted]');
  });

  it('never writes DATABASE_URL or its password, in the configuration or in free text', () => {
    const { lines, destination } = capture();
    const databaseUrl = 'postgres://reelbot:p%40ss-W0rd-xyz@db.example.com:5432/reelbot';
    const logger = createLogger({ level: 'debug', destination, secrets: databasePassword(databaseUrl) });
    logger.debug(
      { config: { databaseUrl, databasePath: './data/reelbot.db' } },
      'starting with configuration',
    );
    logger.warn('could not reach postgres://reelbot:p@ss-W0rd-xyz@db.example.com (p%40ss-W0rd-xyz)');
    const output = lines.join('');
    expect(lines).toHaveLength(2);
    expect(output).not.toContain('p%40ss-W0rd-xyz');
    expect(output).not.toContain('p@ss-W0rd-xyz');
    expect(output).not.toContain(databaseUrl);
    expect(output).toContain('./data/reelbot.db');
  });

  it('never writes the webhook signing secret, in the configuration or in free text', () => {
    const { lines, destination } = capture();
    const secret = `whsec_${Buffer.from('log-test-webhook-signing-secret').toString('base64')}`;
    const result = loadConfig({
      DISCORD_TOKEN: 'discord-token-value',
      VIDEO_API_KEY: 'sk-video-secret-1234',
      HTTP_PORT: '8080',
      VIDEO_WEBHOOK_SECRET: secret,
    });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    // By path alone (no list of secrets), as the bot logs its configuration at start.
    createLogger({ level: 'debug', destination }).debug(
      { config: result.config },
      'starting with configuration',
    );
    // And in free text, with the secret among those the bot hands the logger (src/main.ts).
    createLogger({ level: 'debug', destination, secrets: [secret] }).warn(`verifying with ${secret} failed`);
    const output = lines.join('');
    expect(lines).toHaveLength(2);
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice('whsec_'.length));
    expect(output).toContain('video.completed');
  });

  it("keeps an error's own fields and its cause chain, without the credentials among them", () => {
    const { lines, destination } = capture();
    const apiKey = 'sk-live-abcdef123456';
    const logger = createLogger({ level: 'info', destination, secrets: [apiKey] });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
      code: 'ECONNREFUSED',
      request: { headers: { Authorization: 'Bearer someone-elses-key-987654' }, apiKey },
    });
    const error = new ProviderError('network', 'could not reach the video API', {
      status: 503,
      code: 'upstream_gone',
      cause: refused,
    });
    // discord.js's DiscordAPIError carries the interaction token in its URL.
    const discordError = Object.assign(new Error('Unknown Message'), {
      code: 10008,
      status: 404,
      method: 'PATCH',
      url: 'https://discord.com/api/v10/webhooks/111222333444555666/aW50ZXJhY3Rpb24tdG9rZW4tc2VjcmV0/messages/@original',
      requestBody: { files: [{ name: 'video.mp4', data: Buffer.alloc(4096) }] },
    });
    logger.error({ err: error }, 'create failed');
    logger.warn(discordError, 'edit failed');
    const [created, edited] = lines.map((line) => JSON.parse(line));
    expect(created.err).toMatchObject({
      type: 'ProviderError',
      kind: 'network',
      status: 503,
      code: 'upstream_gone',
      cause: { message: 'connect ECONNREFUSED 127.0.0.1:443', code: 'ECONNREFUSED' },
    });
    expect(edited.err).toMatchObject({
      code: 10008,
      status: 404,
      method: 'PATCH',
      message: 'Unknown Message',
    });
    expect(edited.err.url).toContain('/webhooks/111222333444555666/[Redacted]/messages');
    expect(edited.err.requestBody).toEqual({ files: 1, bytes: 4096 });
    const output = lines.join('');
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain('someone-elses-key-987654');
    expect(output).not.toContain('aW50ZXJhY3Rpb24tdG9rZW4tc2VjcmV0');
  });

  it('summarises the message a discord.js error carries (requestBody), never its text', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', destination });
    const refused = Object.assign(new Error('Internal Server Error'), {
      status: 500,
      requestBody: {
        files: [{ name: 'reelbot-1-3f2a9c1b.mp4', data: Buffer.alloc(2048) }],
        json: { embeds: [{ description: 'a lighthouse', fields: [{ value: 'garden.png' }] }] },
      },
    });
    logger.warn({ err: refused }, 'upload to Discord failed');
    logger.debug({ err: refused }, 'the same, at debug');
    for (const line of lines) {
      expect(JSON.parse(line).err.requestBody).toEqual({ files: 1, bytes: 2048, json: '[omitted]' });
      expect(line).not.toMatch(/lighthouse|garden/);
    }
  });

  it("writes the provider's own words (which may echo a prompt) only in lines below info", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', destination });
    const quoted = new ProviderError('provider_down', 'could not render "a lighthouse"', {
      status: 502,
      quotesProvider: true,
    });
    const ours = new ProviderError(
      'bad_content',
      'the provider sent a file that is not a video (it is text/html)',
    );
    logger.warn({ err: quoted }, 'video download failed');
    logger.info({ cause: { err: quoted } }, 'nested');
    logger.warn({ err: ours }, 'video download failed');
    logger.debug({ err: quoted }, 'at debug');
    const [warned, nested, own, debugged] = lines.map((line) => JSON.parse(line));
    expect(warned.err).toMatchObject({
      kind: 'provider_down',
      status: 502,
      message: expect.stringContaining('debug only'),
    });
    expect(JSON.stringify([warned, nested])).not.toContain('lighthouse');
    expect(own.err.message).toBe('the provider sent a file that is not a video (it is text/html)');
    expect(debugged.err.message).toBe('could not render "a lighthouse"');
  });

  it('writes an error whose cause refers back to it, once and readable', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    const outer = new Error('outer');
    const inner = new Error('inner', { cause: outer });
    Object.assign(outer, { cause: inner });
    logger.error({ err: outer }, 'loop');
    expect(JSON.parse(lines[0] ?? '{}').err).toMatchObject({
      message: 'outer',
      cause: { message: 'inner', cause: '[Circular]' },
    });
  });

  it('gives each job its own child logger carrying its ids', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    jobLogger(logger, { id: 42, guildId: '123', remoteId: 'video_1' }).info('polled');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      jobId: 42,
      guildId: '123',
      videoId: 'video_1',
      msg: 'polled',
    });
  });
});

/**
 * Starts src/main.ts as `npm start` does, with only `env` (Discord unreachable), reads what it
 * writes until the start line, then stops it. With `terminal`, standard output is a terminal
 * (util-linux's `script` gives it one).
 */
async function startOutput(env: Record<string, string>, terminal: boolean): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'reelbot-start-'));
  const main = join(import.meta.dirname, '../../src/main.ts');
  const node = `${process.execPath} --experimental-strip-types --no-warnings ${main}`;
  const child = terminal
    ? spawn('script', ['-qec', node, '/dev/null'], { cwd, env: { PATH: process.env.PATH ?? '', ...env } })
    : spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', main], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...env },
      });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in: ${output}`)), 15_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        // The whole start line: its JSON line, or the pretty block down to its last field.
        if (/"msg":"starting reelbot"\}\r?\n|starting reelbot[\s\S]*models[\s\S]*\]/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    child.kill('SIGKILL');
  }
  return output;
}

describe('LOG_PRETTY and the start line', () => {
  const unreachable = {
    DISCORD_TOKEN: 'discord-token-value',
    DISCORD_API_URL: 'http://127.0.0.1:9/api',
    LOG_LEVEL: 'info',
  };

  it('defaults to auto: human-readable on a terminal, JSON lines elsewhere; true and false force it', () => {
    const setting = (value?: string) => {
      const result = loadConfig({ ...unreachable, ...(value === undefined ? {} : { LOG_PRETTY: value }) });
      if (!result.ok) throw new Error(result.problems.join());
      return result.config.log.pretty;
    };
    expect(setting()).toBe('auto');
    expect(setting('true')).toBe(true);
    expect(setting('false')).toBe(false);
    expect(loadConfig({ ...unreachable, LOG_PRETTY: 'sometimes' })).toMatchObject({
      ok: false,
      problems: ['LOG_PRETTY must be auto, true or false'],
    });
    expect([true, false].map((terminal) => wantsPretty('auto', terminal))).toEqual([true, false]);
    expect([true, false].map((terminal) => wantsPretty(false, terminal))).toEqual([false, false]);
    expect([true, false].map((terminal) => wantsPretty(true, terminal))).toEqual([true, true]);
  });

  it('writes JSON lines when standard output is not a terminal, and the start line names the simulated provider', async () => {
    const output = await startOutput(unreachable, false);
    const start = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'starting reelbot');
    expect(start).toMatchObject({ provider: 'simulated provider' });
    expect(output).not.toContain('models.hingnet.com.cn');
  });

  // util-linux's `script` (Debian's essential bsdutils) gives the child a real terminal; never skipped.
  it('writes human-readable lines to a terminal, naming the gateway in use', async () => {
    const output = await startOutput(
      {
        ...unreachable,
        VIDEO_API_KEY: 'sk-video-secret-1234',
        VIDEO_API_BASE_URL: 'https://gateway.example/v1',
      },
      true,
    );
    expect(output).toMatch(/INFO.*starting reelbot/);
    expect(output).toMatch(/provider.*"https:\/\/gateway\.example\/v1"/);
    expect(output).not.toMatch(/^\{"level"/m);
    expect(output).not.toContain('sk-video-secret-1234');
  });
});
