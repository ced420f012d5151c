// The pure parts of threads and Remove: where a card is, a thread's name, the refusal naming the
// permissions the bot lacks, and how history and its CSV show a removed video.
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { historyCsv, removedNote } from '../../src/discord/renderHistory.ts';
import {
  cardChannelId,
  missingThreadPermissions,
  threadName,
  threadNameMaxLength,
} from '../../src/discord/threads.ts';
import { createdAt, jobFixture } from './fixtures.ts';

const channel = '200000000000000001';
const card = '600000000000000001';
const thread = '700000000000000001';

describe('where a job’s card is', () => {
  it('is the channel for a job without a thread, and for the job whose card the thread was opened on', () => {
    expect(cardChannelId(jobFixture({ threadId: null }))).toBe(channel);
    // A thread started from a message has the message's id.
    expect(cardChannelId(jobFixture({ replyMessageId: card, threadId: card }))).toBe(channel);
  });

  it('is the thread for a job made in it, while its card is being posted and after', () => {
    expect(cardChannelId(jobFixture({ threadId: thread, replyMessageId: null }))).toBe(thread);
    expect(cardChannelId(jobFixture({ threadId: thread, replyMessageId: '600000000000000009' }))).toBe(
      thread,
    );
  });
});

describe('a thread’s name', () => {
  it('is the prompt on one line, markdown and mentions escaped', () => {
    expect(threadName('a **bold**\n@everyone lighthouse')).toBe(
      'a \\*\\*bold\\*\\* @\u200beveryone lighthouse',
    );
  });

  it('fits Discord’s 100 characters even once escaped, cut with an ellipsis and never inside an escape', () => {
    const long = threadName('x'.repeat(300));
    expect(long).toHaveLength(threadNameMaxLength);
    expect(long.endsWith('…')).toBe(true);
    const escaped = threadName('*'.repeat(300));
    expect(escaped.length).toBeLessThanOrEqual(threadNameMaxLength);
    expect(escaped).toMatch(/^(\\\*)+…$/);
    expect(threadName('short')).toBe('short');
  });
});

describe('the permissions threads take', () => {
  const without = (flag: bigint) =>
    new PermissionsBitField(
      PermissionFlagsBits.CreatePublicThreads | PermissionFlagsBits.SendMessagesInThreads,
    ).remove(flag);

  it('names each missing permission as Discord’s settings name it, in the member’s language', () => {
    expect(missingThreadPermissions(without(PermissionFlagsBits.CreatePublicThreads), 'en-US')).toBe(
      'I cannot open a thread here: I am missing the Create Public Threads permission in this channel. Ask a server admin to grant it.',
    );
    expect(missingThreadPermissions(without(PermissionFlagsBits.SendMessagesInThreads), 'zh-TW')).toContain(
      '在討論串中傳送訊息',
    );
    expect(missingThreadPermissions(null, 'en-US')).toContain(
      'Create Public Threads, Send Messages in Threads',
    );
  });

  it('has nothing to say when the bot has both', () => {
    expect(missingThreadPermissions(without(0n), 'en-US')).toBeNull();
  });
});

describe('a removed video in history', () => {
  const removed = jobFixture({
    state: 'delivered',
    removedAt: createdAt + 60_000,
    removedBy: '300000000000000009',
    removedByRole: 'moderator',
  });

  it('says who removed it, in the viewer’s language', () => {
    expect(removedNote(removed, 'en-US')).toBe('removed by a moderator');
    expect(removedNote({ ...removed, removedByRole: 'requester' }, 'zh-CN')).toBe('已被请求者删除');
    expect(removedNote(jobFixture({ state: 'delivered' }), 'en-US')).toBeNull();
  });

  it('keeps it in the CSV, in its own columns after the origin', () => {
    const [header, row, standing] = historyCsv([removed, jobFixture({ id: 8 })], 'en-US')
      .slice(1)
      .trim()
      .split('\r\n');
    // The style's four columns come after the removal's.
    expect(header).toMatch(/,origin_code,Removed,removed_at,removed_by_role,Style,/);
    expect(row).toContain(`,removed by a moderator,${new Date(createdAt + 60_000).toISOString()},moderator,`);
    expect(standing?.endsWith(',command,,,,,,,')).toBe(true);
  });
});
