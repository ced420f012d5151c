// The HTTP endpoint under hostile or careless clients: bad request targets, abandoned downloads,
// files that vanish while they are served. The bot runs in this process, so its descriptors are ours.
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { embedText, type Harness, prompt, sampleVideo, startHarness, until } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const withEndpoint = { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' };

function port(h: Harness): number {
  const address = h.bot.http?.address();
  if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
  return address.port;
}

/** Sends `head` as it is on a fresh connection and resolves with the status line of the answer. */
function rawStatusLine(portNumber: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(portNumber, '127.0.0.1');
    let received = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(head)}`)));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed without an answer to ${head}`)));
    socket.write(head);
  });
}

/** Starts a ranged download, waits for its first bytes, then drops the connection as a viewer seeking away does. */
function abandonedRangeDownload(portNumber: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(portNumber, '127.0.0.1');
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-\r\n\r\n`);
  });
}

/** This process's open descriptors that point at `file`. */
function descriptorsOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // Closed between the listing and the read.
    }
  }
  return count;
}

/** Delivers one job as a link to the bot's own endpoint and returns the link's path and the kept file. */
async function deliveredAsLink(h: Harness): Promise<{ path: string; file: string; remoteId: string }> {
  const { token } = h.command({ attachmentSizeLimit: 10_000, options: [prompt('a long river')] });
  const final = await h.discord.waitForCall(
    (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Watch or download'),
    15_000,
  );
  const path = /\(http:\/\/placeholder\.invalid(\/media\/[^)]+)\)/.exec(embedText(final))?.[1];
  const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
  if (!path || !job.mediaPath || !job.remoteId) throw new Error('no link to a kept file');
  return { path, file: job.mediaPath, remoteId: job.remoteId };
}

describe('HTTP endpoint hardening', () => {
  it('answers 400 to request targets that are not URLs, and keeps running', async () => {
    harness = await startHarness({ env: withEndpoint });
    const at = port(harness);
    for (const target of ['//x:70000/', '//[', '//a%']) {
      const status = await rawStatusLine(at, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(status, `GET ${target}`).toBe('HTTP/1.1 400 Bad Request');
    }
    expect(await rawStatusLine(at, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toBe('HTTP/1.1 200 OK');
    expect(harness.logs.join('')).not.toContain('HTTP request failed');
  });

  it('closes the file of every abandoned range download', async () => {
    // Larger than the socket buffers, so each download is still being read when it is dropped.
    const large = Buffer.concat([sampleVideo(), Buffer.alloc(8 * 1024 * 1024)]);
    harness = await startHarness({ env: withEndpoint, video: { video: large } });
    const { path, file } = await deliveredAsLink(harness);
    const at = port(harness);
    expect(descriptorsOn(file)).toBe(0);
    for (let i = 0; i < 20; i++) await abandonedRangeDownload(at, path);
    await until(() => descriptorsOn(file) === 0, 3_000).catch(() => undefined);
    expect(descriptorsOn(file), 'descriptors left open on the kept video').toBe(0);
    // And the file still serves whole afterwards.
    const whole = await fetch(`http://127.0.0.1:${at}${path}`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(large)).toBe(true);
  });

  it('answers 404 when the kept file cannot be opened after all, and keeps running', async () => {
    harness = await startHarness({ env: withEndpoint });
    const { path, file, remoteId } = await deliveredAsLink(harness);
    const at = port(harness);
    // What stat finds but a read cannot use: the file replaced under the same name.
    await rm(file);
    await mkdir(file);
    expect((await fetch(`http://127.0.0.1:${at}${path}`)).status).toBe(404);
    // Gone from the folder and from the provider (a missing file the provider still has is
    // downloaded again: mediaAcrossHosts.test.ts).
    await rm(file, { recursive: true });
    harness.video.jobs.delete(remoteId);
    expect((await fetch(`http://127.0.0.1:${at}${path}`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${at}/livez`)).status).toBe(200);
  });
});
