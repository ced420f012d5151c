// The poll schedule while provider webhooks arrive (schedule.ts): pure functions of the time.
import { describe, expect, it } from 'vitest';
import { webhooksLive, withWebhooks } from '../../src/jobs/schedule.ts';

describe('polling while webhooks arrive', () => {
  it('counts webhooks as arriving only within the window after the last verified one', () => {
    expect(webhooksLive(null, 1_000_000, 900_000)).toBe(false);
    expect(webhooksLive(1_000_000, 1_000_000, 900_000)).toBe(true);
    expect(webhooksLive(1_000_000, 1_899_999, 900_000)).toBe(true);
    expect(webhooksLive(1_000_000, 1_900_000, 900_000)).toBe(false);
    // A clock that went back says nothing about now.
    expect(webhooksLive(1_000_000, 999_000, 900_000)).toBe(false);
  });

  it('polls at the safety net interval while they arrive, and on the schedule otherwise', () => {
    const live = { live: true, safetyPollMs: 60_000 };
    expect(withWebhooks(3_000, live)).toBe(60_000);
    // Never denser than the safety net, never sparser than the schedule asked.
    expect(withWebhooks(120_000, live)).toBe(120_000);
    expect(withWebhooks(3_000, { ...live, live: false })).toBe(3_000);
    expect(withWebhooks(3_000, undefined)).toBe(3_000);
  });
});
