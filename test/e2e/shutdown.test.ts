// A graceful stop of the whole bot: what is in flight either finishes or is left for the next start.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, isUpload, prompt, startHarness, until } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The rows as the stopped bot left them in its database. */
const rowsLeft = (h: Harness) =>
  h.database.query('SELECT state, remote_id AS "remoteId", reply_message_id AS "replyMessageId" FROM jobs');

describe('graceful stop', () => {
  it('lets a /video whose create is still running reach the provider and its reply before closing', async () => {
    harness = await startHarness();
    const current = harness;
    current.video.fail({ method: 'POST', path: /^\/v1\/videos$/ }, { kind: 'delay', ms: 1_000 });
    const { token } = current.command({ options: [prompt('stop while I am sent')] });
    await until(() => current.video.requests.some((r) => r.method === 'POST'));
    await current.bot.stop();
    // Not failed a minute later as "restarted while sending": the provider has it, and so does the row.
    expect(await rowsLeft(current)).toEqual([
      { state: 'queued', remoteId: expect.stringMatching(/^video_/), replyMessageId: expect.any(String) },
    ]);
    expect(
      current.discord.calls.some(
        (call) => call.method === 'PATCH' && call.path.endsWith(`${token}/messages/@original`),
      ),
    ).toBe(true);
  });

  it('does not wait for a poll that hangs; the next start polls that job again and delivers it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 2 } });
    const current = harness;
    const { token } = current.command({ options: [prompt('an outage at shutdown')] });
    await until(async () => (await current.bot.store.byState(['queued', 'in_progress']))[0]);
    const polled = current.video.requests.filter((r) => r.method === 'GET').length;
    current.video.fail({ method: 'GET', path: /^\/v1\/videos\/[\w-]+$/ }, { kind: 'hang' });
    await until(() => current.video.requests.filter((r) => r.method === 'GET').length > polled);
    // Without a bound this never returns: the hanging request holds the poll.
    await current.bot.stop();
    const [row] = await rowsLeft(current);
    expect(row?.state).toMatch(/queued|in_progress/);

    await current.restart({ alreadyStopped: true });
    const upload = await current.discord.waitForCall(isUpload(token), 15_000);
    expect(upload.files).toHaveLength(1);
    await until(async () => (await current.bot.store.byState(['delivered'])).length === 1);
  }, 30_000);
});
