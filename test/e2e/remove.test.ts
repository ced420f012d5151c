// Remove (issue 12), through the fakes: the requester or a moderator takes a delivered video off
// its card; the card says who did, the kept file and the bot's link are gone, the row, the history,
// its CSV and the audit log say so. Anyone else is refused and nothing changes.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Job, keptVideoPath } from '../../src/jobs/index.ts';
import {
  body,
  cardMessageId,
  channelId,
  embedText,
  ephemeralReply,
  exportedHistoryCsv,
  guildId,
  type Harness,
  historyReply,
  jobButtonId,
  member,
  moderator,
  moderatorRoleId,
  otherGuildId,
  otherMember,
  prompt,
  sampleVideo,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const linkEnv = { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' };

async function deliveredVideo(h: Harness): Promise<Job> {
  h.command({ options: [prompt('a lighthouse at dawn')] });
  return until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
}

/** The bot's own signed link to the job's kept video, as its HTTP endpoint serves it here. */
function ownLink(h: Harness, job: Job): string {
  const address = h.bot.http?.address();
  if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
  const link = h.bot.context.publicLink(job)?.url;
  if (!link) throw new Error('no link');
  return link.replace('http://placeholder.invalid', `http://127.0.0.1:${address.port}`);
}

async function clickRemove(
  h: Harness,
  job: Job,
  user: { id: string; username: string },
  input: { permissions?: string; roles?: string[]; guild?: string } = {},
) {
  return h.discord.sendButton({
    guildId: input.guild ?? guildId,
    channelId: input.guild ? '222222222222222224' : channelId,
    user,
    memberPermissions: input.permissions,
    memberRoles: input.roles,
    customId: await jobButtonId(h, 'remove', job),
    messageId: cardMessageId(h, job),
  });
}

/** The removal columns as the database has them (through SQL, on either store). */
const removal = async (h: Harness, id: number) =>
  (
    await h.database.query<{
      removedAt: number | null;
      removedBy: string | null;
      removedByRole: string | null;
    }>(
      'SELECT removed_at AS "removedAt", removed_by AS "removedBy", removed_by_role AS "removedByRole" FROM jobs WHERE id = ?',
      [id],
    )
  )[0];

/** The removal is in place: the edit without attachments, the card's text, the file, the link, the row. */
async function expectRemoved(
  h: Harness,
  job: Job,
  token: string,
  by: string,
  role: 'requester' | 'moderator',
) {
  const edit = await h.discord.waitForCall((c) => c.method === 'PATCH' && c.path.includes(token));
  expect(body(edit).attachments).toEqual([]);
  const text = role === 'moderator' ? 'Video removed by a moderator.' : 'Video removed by the requester.';
  expect(embedText(edit)).toContain(text);
  const card = h.discord.messages.get(cardMessageId(h, job));
  expect(card?.attachments).toEqual([]);
  expect(JSON.stringify(card?.embeds)).toContain(text);
  // The card offers Regenerate still, but neither the video again nor another Remove.
  const labels = ((card?.components ?? []) as { components: { label?: string }[] }[]).flatMap((r) =>
    r.components.map((c) => c.label),
  );
  expect(labels).toContain('Regenerate');
  expect(labels).not.toContain('Remove');
  expect(labels).not.toContain('Remix');
  expect(existsSync(keptVideoPath(h.bot.context.config.media.dir, job))).toBe(false);
  const row = await removal(h, job.id);
  expect(row).toMatchObject({ removedBy: by, removedByRole: role });
  expect(Number(row?.removedAt)).toBeGreaterThan(0);
  const [entry] = await h.bot.context.moderation.auditLog(guildId, 1);
  expect(entry).toMatchObject({ action: 'job.remove', actorId: by, target: String(job.id) });
  expect(JSON.parse(entry?.details ?? '{}')).toEqual({ role });
}

describe('Remove', () => {
  it('by the requester: the video leaves the card, the file and the link are gone, the row and the audit say so', async () => {
    harness = await startHarness({ env: linkEnv });
    const h = harness;
    const job = await deliveredVideo(h);
    const link = ownLink(h, job);
    const before = await fetch(link);
    expect(Buffer.from(await before.arrayBuffer()).equals(sampleVideo())).toBe(true);
    expect(h.discord.messages.get(cardMessageId(h, job))?.attachments).toHaveLength(1);

    const { token } = await clickRemove(h, job, member);
    await expectRemoved(h, job, token, member.id, 'requester');
    const after = await fetch(link);
    expect(after.status).toBe(410);
    expect(await after.text()).toBe('This video was removed.\n');
    // Nothing was fetched again from the provider to serve it, and the provider's copy was deleted.
    expect(existsSync(keptVideoPath(h.bot.context.config.media.dir, job))).toBe(false);
    await until(() =>
      h.video.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/videos/${job.remoteId}`),
    );
    expect(h.video.jobs.has(job.remoteId ?? '')).toBe(false);
    expect(await ephemeralReply(h, token)).toBe('The video was removed. Its file and links are gone.');
  });

  it.each([
    { who: 'Manage Messages', input: { permissions: String(1n << 13n) } },
    { who: "the server's moderator role", input: { permissions: '0', roles: [moderatorRoleId] } },
  ])('by a moderator ($who): the card says a moderator removed it', async ({ input }) => {
    harness = await startHarness({ env: linkEnv });
    const h = harness;
    await h.bot.store.updateGuildSettings(guildId, { moderatorRoleId });
    const job = await deliveredVideo(h);
    const link = ownLink(h, job);
    const { token } = await clickRemove(h, job, moderator, input);
    await expectRemoved(h, job, token, moderator.id, 'moderator');
    expect((await fetch(link)).status).toBe(410);
  });

  it("refuses a member who is neither the requester nor a moderator, and another server's click, changing nothing", async () => {
    harness = await startHarness({ env: linkEnv });
    const h = harness;
    const job = await deliveredVideo(h);
    const link = ownLink(h, job);
    const stranger = await clickRemove(h, job, otherMember, { permissions: '0' });
    expect(await ephemeralReply(h, stranger.token)).toBe(
      'Only the member who asked for this video, or a moderator, can do that.',
    );
    const zh = await h.discord.sendButton({
      guildId,
      channelId,
      user: otherMember,
      locale: 'zh-CN',
      customId: await jobButtonId(h, 'remove', job),
      messageId: cardMessageId(h, job),
    });
    expect(await ephemeralReply(h, zh.token)).toBe('只有发起此视频的成员或版主才能执行此操作。');
    // A moderator of another server clicking a copy of the button there.
    const foreign = await clickRemove(h, job, moderator, {
      guild: otherGuildId,
      permissions: String(1n << 13n),
    });
    expect(await ephemeralReply(h, foreign.token)).toBe('That video job no longer exists.');

    expect(await removal(h, job.id)).toEqual({ removedAt: null, removedBy: null, removedByRole: null });
    expect(existsSync(keptVideoPath(h.bot.context.config.media.dir, job))).toBe(true);
    expect(h.discord.messages.get(cardMessageId(h, job))?.attachments).toHaveLength(1);
    expect((await fetch(link)).status).toBe(200);
    expect(await h.bot.context.moderation.auditLog(guildId, 5)).toEqual([]);
  });

  it('shows the removal in /video-history and its CSV, with no video link', async () => {
    harness = await startHarness({ env: linkEnv });
    const h = harness;
    const job = await deliveredVideo(h);
    const page = await historyReply(h, []);
    expect(page.embeds?.[0]?.description).toContain('[Video](');
    const { token } = await clickRemove(h, job, member);
    await until(async () => (await removal(h, job.id))?.removedAt);
    await h.discord.waitForCall((c) => c.method === 'PATCH' && c.path.includes(token));

    const after = (await historyReply(h, [])).embeds?.[0]?.description ?? '';
    expect(after).toContain('**#1** · ✅ Done · removed by the requester · ');
    expect(after).not.toContain('[Video](');
    const [header, line] = await exportedHistoryCsv(h);
    expect(
      header?.endsWith(
        ',Removed,removed_at,removed_by_role,Style,Style text,Style placement,Channel defaults',
      ),
    ).toBe(true);
    expect(line).toMatch(/,removed by the requester,\d{4}-\d\d-\d\dT[\d:.]+Z,requester,,,,$/);
  });

  it('lets only the first of two Removes pressed at once remove: the other hears it was already removed, one audit row', async () => {
    harness = await startHarness({ env: linkEnv });
    const h = harness;
    await h.bot.store.updateGuildSettings(guildId, { moderatorRoleId });
    const job = await deliveredVideo(h);
    // The requester's click is held at its acknowledgement: the bot has read the row, not removed yet.
    const held = h.discord.holdNext({ method: 'POST', path: /^\/interactions\/\d+\/[^/]+\/callback$/ });
    const requester = await clickRemove(h, job, member);
    await held.arrived;
    const mod = await clickRemove(h, job, moderator, { permissions: '0', roles: [moderatorRoleId] });
    await expectRemoved(h, job, mod.token, moderator.id, 'moderator');
    expect(await ephemeralReply(h, mod.token)).toBe('The video was removed. Its file and links are gone.');

    held.release();
    expect(await ephemeralReply(h, requester.token)).toBe('This video was already removed.');
    // The first removal stands: its row, its card, one audit row, one delete at the provider.
    expect(await removal(h, job.id)).toMatchObject({ removedBy: moderator.id, removedByRole: 'moderator' });
    expect(h.discord.calls.some((c) => c.method === 'PATCH' && c.path.includes(requester.token))).toBe(false);
    expect(JSON.stringify(h.discord.messages.get(cardMessageId(h, job))?.embeds)).toContain(
      'Video removed by a moderator.',
    );
    expect(await h.bot.context.moderation.auditLog(guildId, 5)).toHaveLength(1);
    const deletes = () => h.video.requests.filter((r) => r.method === 'DELETE');
    await until(() => deletes().length > 0);
    expect(deletes()).toHaveLength(1);
  });

  it('refuses a second Remove, and Remove of a video that is not delivered', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    h.command({ options: [prompt('still running')] });
    const running = await until(async () => {
      const job = await h.bot.store.get(1);
      return job?.replyMessageId ? job : undefined;
    });
    const early = await clickRemove(h, running, member);
    expect(await ephemeralReply(h, early.token)).toBe('Only a delivered video can be removed.');
    h.video.completeJob(running.remoteId ?? '');
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
    const first = await clickRemove(h, job, member);
    await until(async () => (await removal(h, job.id))?.removedAt);
    await h.discord.waitForCall((c) => c.method === 'PATCH' && c.path.includes(first.token));
    const again = await clickRemove(h, (await h.bot.store.get(job.id)) ?? job, member);
    expect(await ephemeralReply(h, again.token)).toBe('This video was already removed.');
    expect(await h.bot.context.moderation.auditLog(guildId, 5)).toHaveLength(1);
  });
});
