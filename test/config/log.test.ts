import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, jobLogger } from '../../src/log.ts';
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
    expect(edited.err.requestBody.files[0].data).toBe('[4096 bytes]');
    const output = lines.join('');
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain('someone-elses-key-987654');
    expect(output).not.toContain('aW50ZXJhY3Rpb24tdG9rZW4tc2VjcmV0');
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
