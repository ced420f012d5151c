import { afterEach, describe, expect, it } from 'vitest';
import { body, embedText, type Harness, startHarness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('/video end to end', () => {
  it('defers, shows progress, and uploads the finished MP4 into the reply', async () => {
    harness = await startHarness();
    const { discord } = harness;
    const { token } = harness.command({
      options: [{ name: 'prompt', type: 3, value: 'A cinematic lion at sunset' }],
    });
    const deferred = await discord.waitForCall((call) => call.path.endsWith('/callback'));
    expect(body(deferred)).toMatchObject({ type: 5 });
    const upload = await discord.waitForCall(
      (call) => call.method === 'PATCH' && call.path.includes(token) && call.files.length > 0,
      15_000,
    );
    expect(upload.files[0]?.name).toMatch(/^reelbot-\d+\.mp4$/);
    expect(embedText(upload)).toContain('Done');
  });
});
