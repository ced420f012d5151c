import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, jobLogger } from '../../src/log.ts';

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
