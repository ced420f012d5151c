// The fake video API's webhooks: signed per Standard Webhooks (checked here with the package a
// real receiver uses), sent when a job ends, to the configured URL or the create's callback URL,
// and lost on demand.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeVideoApi, startFakeVideoApi } from './videoApi.ts';

const secret = `whsec_${Buffer.from('fake-video-api-webhook-secret').toString('base64')}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let api: FakeVideoApi | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await api?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  api = undefined;
  receiver = undefined;
});

async function startReceiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204);
      response.end();
    });
  });
  const server = receiver;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

async function create(fake: FakeVideoApi, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${fake.url}/videos`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'sora-2',
      prompt: 'a lighthouse',
      seconds: '4',
      size: '720x1280',
      ...extra,
    }),
  });
  return ((await response.json()) as { id: string }).id;
}

const verified = (event: Received) =>
  new Webhook(secret).verify(event.body, event.headers as Record<string, string>) as {
    type: string;
    data: { id: string };
  };

describe('the fake video API sends signed webhooks', () => {
  it('signs a completion and a failure as Standard Webhooks, to the configured URL', async () => {
    const { url, received } = await startReceiver();
    api = await startFakeVideoApi({ webhooks: { secret, url } });
    const [done, failed] = [await create(api), await create(api)];
    api.completeJob(done);
    api.failJob(failed, 'moderation_blocked', 'blocked');
    await api.webhooks.settled();
    expect(received.map(verified)).toEqual([
      expect.objectContaining({ type: 'video.completed', data: { id: done } }),
      expect.objectContaining({ type: 'video.failed', data: { id: failed } }),
    ]);
    expect(api.webhooks.sent.map((sent) => sent.status)).toEqual([204, 204]);
    // The same job's end is signalled once.
    api.completeJob(done);
    await api.webhooks.settled();
    expect(received).toHaveLength(2);
    // Signed with another secret, the package refuses it.
    const [first] = received;
    if (!first) throw new Error('nothing received');
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another-secret-entirely').toString('base64')}`).verify(
        first.body,
        first.headers as Record<string, string>,
      ),
    ).toThrow(/signature/i);
  });

  it("sends to the create's callback URL under the gateway's event names, and loses what it is told to", async () => {
    const { url, received } = await startReceiver();
    api = await startFakeVideoApi({
      webhooks: {
        secret,
        names: { completed: 'video.generation.completed', failed: 'video.generation.failed' },
      },
    });
    const kept = await create(api, { callback_url: url });
    const lost = await create(api, { callback_url: url });
    api.webhooks.lose = (job) => job.id === lost;
    api.completeJob(kept);
    api.completeJob(lost);
    await api.webhooks.settled();
    expect(received.map(verified)).toEqual([
      expect.objectContaining({ type: 'video.generation.completed', data: { id: kept } }),
    ]);
    expect(api.webhooks.sent.map(({ videoId, lost: wasLost }) => ({ videoId, wasLost }))).toEqual([
      { videoId: kept, wasLost: false },
      { videoId: lost, wasLost: true },
    ]);
  });

  it('signals a job that ends by time when it ends, without being polled', async () => {
    const { url, received } = await startReceiver();
    api = await startFakeVideoApi({ webhooks: { secret, url }, completeAfterMs: 50 });
    const id = await create(api);
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received.map(verified)).toEqual([expect.objectContaining({ data: { id } })]);
    expect(api.jobs.get(id)?.polls).toBe(0);
  });
});
