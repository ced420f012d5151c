// Verifying and reading provider webhooks (src/provider/webhooks.ts): what is refused, and what a
// verified event may say (only which video to poll).
import { describe, expect, it } from 'vitest';
import { createWebhookVerifier } from '../../src/provider/index.ts';
import { signedWebhook } from '../fakes/videoApi.ts';

const secret = `whsec_${Buffer.from('provider-webhook-test-secret').toString('base64')}`;
const openAi = { secret, events: ['video.completed', 'video.failed'], idPath: ['data', 'id'] };
const verify = createWebhookVerifier(openAi);
const check = (signed: { body: string; headers: Record<string, string> }, verifier = verify) =>
  verifier(Buffer.from(signed.body), signed.headers);

describe('provider webhook verification', () => {
  it('reads a signed OpenAI event: its delivery id, type and video id at data.id', () => {
    const signed = signedWebhook(secret, {
      type: 'video.completed',
      videoId: 'video_123',
      webhookId: 'msg_1',
    });
    expect(check(signed)).toEqual({
      ok: true,
      event: { webhookId: 'msg_1', type: 'video.completed', videoId: 'video_123' },
    });
  });

  it('refuses another secret, an altered body, missing headers and a body that is not JSON', () => {
    const other = `whsec_${Buffer.from('someone-elses-secret-value').toString('base64')}`;
    const forged = signedWebhook(other, { type: 'video.completed', videoId: 'video_123' });
    expect(check(forged)).toEqual({ ok: false, reason: 'No matching signature found' });
    const signed = signedWebhook(secret, { type: 'video.completed', videoId: 'video_123' });
    expect(check({ ...signed, body: signed.body.replace('video_123', 'video_999') }).ok).toBe(false);
    const { 'webhook-signature': _dropped, ...unsigned } = signed.headers;
    expect(check({ body: signed.body, headers: unsigned })).toEqual({
      ok: false,
      reason: 'Missing required headers',
    });
    const notJson = signedWebhook(secret, { type: 'x', videoId: 'y', body: 'not json{' });
    expect(check(notJson)).toEqual({ ok: false, reason: 'the body is not JSON' });
  });

  it('refuses a timestamp more than 5 minutes old or ahead, and takes one within them', () => {
    const at = (offsetMs: number) =>
      signedWebhook(secret, {
        type: 'video.completed',
        videoId: 'v',
        timestamp: new Date(Date.now() + offsetMs),
      });
    expect(check(at(-6 * 60_000))).toEqual({ ok: false, reason: 'Message timestamp too old' });
    expect(check(at(6 * 60_000))).toEqual({ ok: false, reason: 'Message timestamp too new' });
    expect(check(at(-4 * 60_000)).ok).toBe(true);
  });

  it('names no video for an event type not configured, and reads the id where the settings say', () => {
    const other = signedWebhook(secret, { type: 'batch.completed', videoId: 'video_1' });
    expect(check(other)).toMatchObject({ ok: true, event: { type: 'batch.completed', videoId: null } });
    // OpenRouter's names, same place for the id.
    const openRouter = createWebhookVerifier({
      secret,
      events: [
        'video.generation.completed',
        'video.generation.failed',
        'video.generation.cancelled',
        'video.generation.expired',
      ],
      idPath: ['data', 'id'],
    });
    const expired = signedWebhook(secret, { type: 'video.generation.expired', videoId: 'gen_1' });
    expect(check(expired, openRouter)).toMatchObject({ ok: true, event: { videoId: 'gen_1' } });
    expect(check(signedWebhook(secret, { type: 'video.completed', videoId: 'v' }), openRouter)).toMatchObject(
      {
        event: { videoId: null },
      },
    );
    // A gateway that puts the id elsewhere.
    const custom = createWebhookVerifier({ secret, events: ['task.done'], idPath: ['task', 'video_id'] });
    const body = JSON.stringify({ type: 'task.done', task: { video_id: 'task_77' } });
    expect(check(signedWebhook(secret, { type: '', videoId: '', body }), custom)).toMatchObject({
      event: { videoId: 'task_77' },
    });
    const numeric = JSON.stringify({ type: 'task.done', task: { video_id: 77 } });
    expect(check(signedWebhook(secret, { type: '', videoId: '', body: numeric }), custom)).toMatchObject({
      event: { videoId: null },
    });
  });
});
