// Every job knows where it came from, end to end: a Regenerate's card links the card it was made
// from, the history and the CSV say it, and /video-history job:<n> shows a job with its chain (the
// jobs it came from and those made from it, each linked), as visible as the history is.
import { ApplicationCommandOptionType, MessageFlags } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/index.ts';
import {
  channelId,
  clickRegenerate,
  exportedHistoryCsv,
  guildId,
  type Harness,
  historyReply,
  isUpload,
  member,
  moderator,
  moderatorPermissions,
  otherGuildId,
  otherMember,
  prompt,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const cardLink = (messageId: string | null) =>
  `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;

/** The job `id` once delivered. */
const deliveredJob = (h: Harness, id: number) =>
  until(async () => {
    const job = await h.bot.store.get(id);
    return job?.state === 'delivered' ? job : undefined;
  }, 15_000);

/** A first job, then Regenerates: #2 of #1, #3 of #2, #4 of #1. */
async function chainOfRegenerates(h: Harness): Promise<Job[]> {
  const { token } = h.command({ options: [prompt('a fox in the snow')] });
  await h.discord.waitForCall(isUpload(token), 15_000);
  const jobs = [await deliveredJob(h, 1)];
  for (const [made, from] of [
    [2, 1],
    [3, 2],
    [4, 1],
  ] as const) {
    const source = jobs[from - 1];
    if (!source) throw new Error(`no job ${from}`);
    const click = await clickRegenerate(h, source);
    await h.discord.waitForCall(isUpload(click.token), 15_000);
    jobs.push(await deliveredJob(h, made));
  }
  return jobs;
}

const jobOption = (value: number) => ({ name: 'job', type: ApplicationCommandOptionType.Integer, value });

describe('where a job came from', () => {
  it('links a Regenerate to the card it was made from, on its card, in the history and in the CSV', async () => {
    harness = await startHarness();
    const h = harness;
    const [first, second] = await chainOfRegenerates(h);
    if (!first || !second) throw new Error('jobs');
    expect(second).toMatchObject({
      originKind: 'regenerate',
      originJobId: first.id,
      originChannelId: channelId,
      originMessageId: first.replyMessageId,
    });
    const card = h.discord.messages.get(second.replyMessageId ?? '');
    expect(JSON.stringify(card?.embeds)).toContain(
      `-# Regenerated from [job #1](${cardLink(first.replyMessageId)})`,
    );

    const list = await historyReply(h, []);
    expect(list.embeds?.[0]?.description).toContain(`**#2** · ✅ Done`);
    expect(list.embeds?.[0]?.description).toContain(
      `-# Regenerated from [job #1](${cardLink(first.replyMessageId)})`,
    );

    // The CSV: origin, the job it came from and the link, after the stored codes.
    const lines = await exportedHistoryCsv(h);
    const row = lines.find((line) => line.startsWith('2,'));
    expect(row).toMatch(
      new RegExp(`,delivered,,Regenerate,1,${cardLink(first.replyMessageId)},,0,regenerate,,,,,,,$`),
    );
    expect(lines.find((line) => line.startsWith('1,'))).toMatch(/,delivered,,\/video,,,,0,command,,,,,,,$/);
  });

  it('shows a job with the jobs it came from and those made from it, each linked to its card', async () => {
    harness = await startHarness();
    const h = harness;
    const jobs = await chainOfRegenerates(h);
    const [first, second, third, fourth] = jobs;
    const answer = await historyReply(h, [jobOption(2)]);
    expect(answer.flags).toBe(MessageFlags.Ephemeral);
    expect(answer.embeds?.[0]?.title).toBe('Job #2 and its chain');
    const text = answer.embeds?.[0]?.description ?? '';
    const [cameFrom, thisJob, madeFrom] = text.split('\n\n');
    expect(cameFrom).toBe(
      `**Came from**\n**[#1](${cardLink(first?.replyMessageId ?? null)})** · ✅ Done\n> a fox in the snow`,
    );
    expect(thisJob).toMatch(/^\*\*This job\*\*\n\*\*#2\*\* · ✅ Done/);
    expect(madeFrom).toBe(
      `**Made from it**\n**[#3](${cardLink(third?.replyMessageId ?? null)})** · ✅ Done · Regenerated from [job #2](${cardLink(second?.replyMessageId ?? null)})\n> a fox in the snow`,
    );

    // From the first job: nothing before it, and every job made from it, generation by generation.
    const root = (await historyReply(h, [jobOption(1)], { locale: 'zh-CN' })).embeds?.[0]?.description ?? '';
    expect(root).toContain('**来源**\n-# 暂无');
    const made = root.split('**由它生成**\n')[1] ?? '';
    expect([...made.matchAll(/\*\*\[#(\d+)\]/g)].map((match) => Number(match[1]))).toEqual([
      second?.id,
      fourth?.id,
      third?.id,
    ]);
  });

  it('shows the chain only to the requester and moderators, in the job’s own server, and audits a moderator’s look', async () => {
    harness = await startHarness();
    const h = harness;
    const { token } = h.command({ options: [prompt('mine alone')] });
    await h.discord.waitForCall(isUpload(token), 15_000);
    await deliveredJob(h, 1);
    // Another member's job made from it (say, a moderator's Regenerate with a new prompt).
    await h.database.run(
      `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at, updated_at,
         media_key, origin_kind, origin_job_id)
       VALUES (?, ?, ?, 'veo-3.1-fast-generate-preview', 'a secret twist', 6, '1280x720', 'delivered', ?, ?, ?, 'regenerate', 1)`,
      [guildId, channelId, otherMember.id, Date.now(), Date.now(), 'f'.repeat(32)],
    );

    expect((await historyReply(h, [jobOption(1)], { user: otherMember })).content).toBe(
      "Only moderators (Manage Messages, or the server's moderator role) can see another member's jobs.",
    );
    expect((await historyReply(h, [jobOption(1)], { guild: otherGuildId })).content).toBe(
      'That video job no longer exists.',
    );
    expect((await historyReply(h, [jobOption(99)])).content).toBe('That video job no longer exists.');

    // The member sees that a job was made from theirs, not its prompt.
    const own = (await historyReply(h, [jobOption(1)])).embeds?.[0]?.description ?? '';
    expect(own).toContain("**#2** · ✅ Done · Regenerated from job #1\n-# another member's job");
    expect(own).not.toContain('secret twist');
    const modView = await historyReply(h, [jobOption(1)], {
      user: moderator,
      permissions: moderatorPermissions,
    });
    expect(modView.embeds?.[0]?.description).toContain('> a secret twist');
    const audit = await h.bot.context.moderation.auditLog(guildId, 5);
    expect(audit[0]).toMatchObject({
      actorId: moderator.id,
      action: 'history.view',
      target: member.id,
      details: JSON.stringify({ job: 1 }),
    });
  });
});
