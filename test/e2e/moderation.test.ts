import { ApplicationCommandOptionType, ChannelType, InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { newMediaKey } from '../../src/jobs/keptFiles.ts';
import type { RecordedCall } from '../fakes/discord.ts';
import {
  body,
  channelId,
  guildId,
  type Harness,
  member,
  moderator,
  moderatorPermissions,
  otherChannelId,
  otherGuildId,
  otherMember,
  resolvedMember,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Jobs written straight into the database, as earlier /video commands would have left them. */
async function seedJobs(
  h: Harness,
  count: number,
  overrides: { guildId?: string; userId?: string; state?: string } = {},
): Promise<void> {
  const at = Date.now() - count * 1_000;
  for (let index = 0; index < count; index++) {
    await h.database.run(
      `INSERT INTO jobs (guild_id, channel_id, user_id, model, prompt, seconds, size, state, created_at,
         updated_at, reply_message_id, media_key)
       VALUES (?, ?, ?, 'veo-3.1-fast-generate-preview', ?, 6, '1280x720', ?, ?, ?, ?, ?)`,
      [
        overrides.guildId ?? guildId,
        channelId,
        overrides.userId ?? member.id,
        index % 3 === 0 ? `=cmd|' /C calc'!A0 #${index}` : `**bold** @everyone ${index}`,
        overrides.state ?? (index % 2 ? 'failed' : 'delivered'),
        at + index * 1_000,
        at + index * 1_000,
        String(900_000_000_000_000_000n + BigInt(index)),
        newMediaKey(),
      ],
    );
  }
}

interface Reply {
  content?: string;
  embeds?: { title?: string; description?: string }[];
  components?: { components: { custom_id: string; label: string; disabled?: boolean }[] }[];
  flags?: number;
  attachments?: unknown[];
}

async function reply(h: Harness, token: string): Promise<{ call: RecordedCall; data: Reply }> {
  const call = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
  if (body(call).type !== 5) return { call, data: (body(call).data ?? {}) as Reply };
  // Deferred (only the member sees it): the answer is the edit of the original response.
  const flags = ((body(call).data ?? {}) as Reply).flags;
  const edit = await h.discord.waitForCall(
    (c) => c.method === 'PATCH' && c.path.endsWith(`${token}/messages/@original`),
  );
  return { call: edit, data: { ...(body(edit) as Reply), flags } };
}

const memberOf = (user: { id: string; username: string }) => ({
  users: { [user.id]: { id: user.id, username: user.username, discriminator: '0', avatar: null } },
  members: {
    [user.id]: { roles: [], joined_at: new Date(0).toISOString(), permissions: '0', flags: 0 },
  },
});

function history(
  h: Harness,
  input: { user?: typeof member; target?: string; status?: string; permissions?: string; guild?: string },
) {
  const options: unknown[] = [];
  if (input.target)
    options.push({ name: 'user', type: ApplicationCommandOptionType.User, value: input.target });
  if (input.status)
    options.push({ name: 'status', type: ApplicationCommandOptionType.String, value: input.status });
  const resolved = input.target
    ? {
        users: { [input.target]: { id: input.target, username: 'target', discriminator: '0', avatar: null } },
        members:
          input.target === 'not-a-member'
            ? {}
            : {
                [input.target]: {
                  roles: [],
                  joined_at: new Date(0).toISOString(),
                  permissions: '0',
                  flags: 0,
                },
              },
      }
    : undefined;
  return h.discord.sendCommand({
    guildId: input.guild ?? guildId,
    channelId: input.guild === otherGuildId ? '222222222222222224' : channelId,
    user: input.user ?? member,
    memberPermissions: input.permissions,
    name: 'video-history',
    options,
    resolved,
  });
}

function admin(
  h: Harness,
  subcommand: string,
  options: unknown[] = [],
  input: { permissions?: string; resolved?: unknown; locale?: string } = {},
) {
  return h.discord.sendCommand({
    guildId,
    channelId,
    user: moderator,
    memberPermissions: input.permissions ?? moderatorPermissions,
    locale: input.locale,
    name: 'video-admin',
    options: [{ name: subcommand, type: ApplicationCommandOptionType.Subcommand, options }],
    resolved: input.resolved,
  });
}

/** /video-admin allow-channel for channel `id`, its type given by the command's resolved data. */
const allowChannel = (h: Harness, id: string, type: ChannelType = ChannelType.GuildText) =>
  admin(h, 'allow-channel', [{ name: 'channel', type: ApplicationCommandOptionType.Channel, value: id }], {
    resolved: { channels: { [id]: { id, type, name: 'videos', permissions: '0' } } },
  });

const jobIds = (data: Reply) =>
  [...(data.embeds?.[0]?.description ?? '').matchAll(/\*\*#(\d+)\*\*/g)].map((m) => Number(m[1]));

describe('/video-history', () => {
  it("shows a member's own jobs, newest first, ephemerally, with jump links", async () => {
    harness = await startHarness();
    await seedJobs(harness, 3);
    const { token } = history(harness, {});
    const { data } = await reply(harness, token);
    expect(data.flags).toBe(MessageFlags.Ephemeral);
    expect(jobIds(data)).toEqual([3, 2, 1]);
    expect(data.embeds?.[0]?.description).toContain(
      `(https://discord.com/channels/${guildId}/${channelId}/900000000000000002)`,
    );
    // The prompt is shown escaped: no markdown, no pings.
    expect(data.embeds?.[0]?.description).toContain('> \\*\\*bold\\*\\* @\u200beveryone 1');
    expect(data.embeds?.[0]?.description).not.toContain('@everyone');
  });

  it('pages with Previous and Next, stable when new jobs arrive, and only for the viewer', async () => {
    harness = await startHarness();
    await seedJobs(harness, 12);
    const first = await reply(harness, history(harness, {}).token);
    expect(jobIds(first.data)).toEqual([12, 11, 10, 9, 8]);
    const [previous, next] = first.data.components?.[0]?.components ?? [];
    expect(previous?.disabled).toBe(true);
    await seedJobs(harness, 1); // a new job (#13) arrives between pages
    const messageId = harness.discord.originalMessage(first.call.path.split('/')[3] ?? '')?.id ?? '1';
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: next?.custom_id ?? '',
      messageId,
    });
    const second = await reply(harness, click.token);
    expect(body(second.call).type).toBe(InteractionResponseType.UpdateMessage);
    expect(jobIds(second.data)).toEqual([7, 6, 5, 4, 3]);
    const back = second.data.components?.[0]?.components[0];
    const clickBack = harness.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: back?.custom_id ?? '',
      messageId,
    });
    expect(jobIds((await reply(harness, clickBack.token)).data)).toEqual([12, 11, 10, 9, 8]);

    const stranger = harness.discord.sendButton({
      guildId,
      channelId,
      user: otherMember,
      customId: next?.custom_id ?? '',
      messageId,
    });
    const refused = await reply(harness, stranger.token);
    expect(refused.data).toMatchObject({
      content: 'Only the member who opened this list can page through it.',
      flags: MessageFlags.Ephemeral,
    });
  });

  it('filters by status', async () => {
    harness = await startHarness();
    await seedJobs(harness, 6);
    const { data } = await reply(harness, history(harness, { status: 'failed' }).token);
    expect(jobIds(data)).toEqual([6, 4, 2]);
  });

  it("lets a moderator see a member's jobs, and refuses a non-moderator", async () => {
    harness = await startHarness();
    await seedJobs(harness, 2);
    const asModerator = await reply(
      harness,
      history(harness, { user: moderator, target: member.id, permissions: moderatorPermissions }).token,
    );
    expect(jobIds(asModerator.data)).toEqual([2, 1]);
    expect(asModerator.data.components?.[0]?.components.map((b) => b.label)).toEqual([
      'Previous',
      'Next',
      'Export CSV',
    ]);
    const asMember = await reply(harness, history(harness, { user: otherMember, target: member.id }).token);
    expect(asMember.data.content).toBe(
      "Only moderators (Manage Messages, or the server's moderator role) can see another member's jobs.",
    );
    expect(asMember.data.embeds ?? []).toHaveLength(0);
  });

  it('counts the configured moderator role as moderator', async () => {
    harness = await startHarness();
    await seedJobs(harness, 1);
    await harness.bot.store.updateGuildSettings(guildId, { moderatorRoleId: '444444444444444444' });
    const token = harness.discord.sendCommand({
      guildId,
      channelId,
      user: otherMember,
      memberRoles: ['444444444444444444'],
      name: 'video-history',
      options: [{ name: 'user', type: ApplicationCommandOptionType.User, value: member.id }],
      resolved: resolvedMember,
    }).token;
    expect(jobIds((await reply(harness, token)).data)).toEqual([1]);
  });

  it("never shows another guild's jobs, even to its moderators", async () => {
    harness = await startHarness();
    await seedJobs(harness, 3, { guildId: otherGuildId });
    const { data } = await reply(
      harness,
      history(harness, { user: moderator, target: member.id, permissions: moderatorPermissions }).token,
    );
    expect(jobIds(data)).toEqual([]);
    expect(data.embeds?.[0]?.description).toContain('No video jobs found.');
  });

  it('refuses a user who is not a member of the server', async () => {
    harness = await startHarness();
    const target = '555555555555555555';
    const token = harness.discord.sendCommand({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      name: 'video-history',
      options: [{ name: 'user', type: ApplicationCommandOptionType.User, value: target }],
      resolved: { users: { [target]: { id: target, username: 'ghost', discriminator: '0', avatar: null } } },
    }).token;
    expect((await reply(harness, token)).data.content).toBe('That user is not a member of this server.');
  });

  it('exports a full history as CSV for moderators, and audits the export', async () => {
    harness = await startHarness();
    await seedJobs(harness, 7);
    const list = await reply(
      harness,
      history(harness, { user: moderator, target: member.id, permissions: moderatorPermissions }).token,
    );
    const exportButton = list.data.components?.[0]?.components[2];
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      customId: exportButton?.custom_id ?? '',
      messageId: '1',
    });
    const { call, data } = await reply(harness, click.token);
    expect(data.content).toBe(`Full history of <@${member.id}>: 7 jobs.`);
    expect(data.flags).toBe(MessageFlags.Ephemeral);
    const bytes = call.files[0]?.bytes ?? Buffer.alloc(0);
    // A UTF-8 byte-order mark first, so that Excel reads the file as UTF-8.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe(
      'Job,Created (UTC),State,Model,Size,Seconds,Prompt,Failure,Error message,Provider video ID,Message link,state_code,failure_code,Origin,From job,Origin link,Take,Reference images,origin_code,Removed,removed_at,removed_by_role,Style,Style text,Style placement,Channel defaults',
    );
    expect(lines).toHaveLength(8);
    // A formula-looking prompt stays text in a spreadsheet: it is prefixed with a quote.
    expect(lines[1]).toMatch(
      /^7,20\d\d-.*,Done,veo-3.1-fast-generate-preview,1280x720,6,'=cmd\|' \/C calc'!A0 #6,,,,https:.*,delivered,,\/video,,,,0,command,,,,,,,$/,
    );
    expect(lines.join('\n')).not.toMatch(/,=cmd/);
    expect(lines[2]).toContain(',**bold** @everyone 5,');
    expect(lines[2]).toMatch(/,Failed,.*,failed,,\/video,,,,0,command,,,,,,,$/);
    expect((await harness.bot.context.moderation.auditLog(guildId, 5))[0]).toMatchObject({
      actorId: moderator.id,
      action: 'history.export',
      target: member.id,
    });
  });
});

describe('/video-admin', () => {
  it('refuses members without Manage Server, checked at run time', async () => {
    harness = await startHarness();
    const { token } = admin(harness, 'usage', [], { permissions: String(1n << 13n) });
    expect((await reply(harness, token)).data.content).toBe(
      "Only members with Manage Server can change reelbot's settings.",
    );
  });

  it('shows and sets quotas; the change applies to the next /video and is audited', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    const shown = await reply(harness, admin(harness, 'quota').token);
    expect(shown.data.content).toContain('Videos in progress per member: 4 (default)');
    const set = await reply(
      harness,
      admin(harness, 'quota', [{ name: 'in_flight', type: ApplicationCommandOptionType.Integer, value: 1 }])
        .token,
    );
    expect(set.data.content).toContain('Quotas updated.');
    expect(set.data.content).toContain('Videos in progress per member: 1\n');

    harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'one' }],
    });
    await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.length === 1);
    const second = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'two' }],
    });
    expect((await reply(harness, second.token)).data.content).toBe(
      'You already have 1 videos in progress. Wait for one to finish, then try again.',
    );
    expect((await harness.bot.context.moderation.auditLog(guildId, 1))[0]).toMatchObject({
      action: 'quota.set',
      actorId: moderator.id,
    });
  });

  it('limits /video to allowed channels', async () => {
    harness = await startHarness();
    await reply(harness, allowChannel(harness, otherChannelId).token);
    const refused = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'here' }],
    });
    expect((await reply(harness, refused.token)).data.content).toBe(
      `Videos cannot be made in this channel. Try one of: <#${otherChannelId}>.`,
    );
    expect(harness.video.requests).toHaveLength(0);
  });

  describe("long lists stay within Discord's 2,000 characters", () => {
    const manyChannels = (count: number) =>
      Array.from({ length: count }, (_, index) => String(500_000_000_000_000_000n + BigInt(index)));

    /** Accepted by Discord, within its limit, every mention whole, and how many were left out. */
    function expectCutOnMentions(call: RecordedCall, content: string, total: number): void {
      // Accepted: 204 for an interaction response, 200 for a message.
      expect([200, 204]).toContain(call.status);
      expect(content.length).toBeLessThanOrEqual(2_000);
      const mentions = content.match(/<#\d+>/g) ?? [];
      // Every "<#" opens a whole mention.
      expect(content.split('<#').length - 1).toBe(mentions.length);
      const more = Number(/and (\d+) more\.?$/.exec(content)?.[1]);
      expect(mentions.length).toBeGreaterThan(50);
      expect(mentions.length + more).toBe(total);
    }

    it('lists as many allowed channels as fit when /video is refused in another, then "and N more"', async () => {
      harness = await startHarness();
      await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: manyChannels(150) });
      const refused = harness.command({
        options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'here' }],
      });
      const { call, data } = await reply(harness, refused.token);
      expect(data.content).toMatch(/^Videos cannot be made in this channel\. Try one of: <#/);
      expectCutOnMentions(call, data.content ?? '', 150);
      expect(harness.video.requests).toHaveLength(0);
    });

    it("cuts /video-admin channels and allow-channel on whole mentions, in the admin's language", async () => {
      harness = await startHarness();
      await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: manyChannels(150) });
      const listed = await reply(harness, admin(harness, 'channels').token);
      expectCutOnMentions(listed.call, listed.data.content ?? '', 150);
      const added = await reply(harness, allowChannel(harness, otherChannelId).token);
      expect(added.data.content).toMatch(new RegExp(`^<#${otherChannelId}> added\\.\n`));
      expectCutOnMentions(added.call, (added.data.content ?? '').split('\n')[1] ?? '', 151);
      expect(added.data.content?.length).toBeLessThanOrEqual(2_000);
      const inChinese = await reply(harness, admin(harness, 'channels', [], { locale: 'zh-CN' }).token);
      expect([200, 204]).toContain(inChinese.call.status);
      expect(inChinese.data.content).toMatch(/等另外 \d+ 项$/);
    });

    it('cuts a long audit log on whole lines, never inside a mention or a surrogate pair', async () => {
      harness = await startHarness();
      for (let index = 0; index < 15; index++) {
        await harness.bot.context.moderation.audit({
          guildId,
          actorId: moderator.id,
          action: 'member.block',
          target: member.id,
          details: { reason: `🎬*${'🦁'.repeat(60)}` },
        });
      }
      const { call, data } = await reply(harness, admin(harness, 'audit').token);
      const content = data.content ?? '';
      // Accepted: 204 for an interaction response, 200 for a message.
      expect([200, 204]).toContain(call.status);
      expect(content.length).toBeLessThanOrEqual(2_000);
      expect(content).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      const lines = content.split('\n');
      const more = Number(/^and (\d+) more$/.exec(lines.at(-1) ?? '')?.[1]);
      const entries = lines.slice(1, -1);
      expect(entries.length + more).toBe(15);
      for (const line of entries) expect(line).toMatch(/^<t:\d+:R> <@\d+> blocked <@\d+> `.+`$/);
    });
  });

  it('blocks and unblocks a member, with audit entries', async () => {
    harness = await startHarness();
    const resolved = memberOf(member);
    const blocked = await reply(
      harness,
      admin(
        harness,
        'block',
        [
          { name: 'user', type: ApplicationCommandOptionType.User, value: member.id },
          { name: 'reason', type: ApplicationCommandOptionType.String, value: 'spam' },
        ],
        { resolved },
      ).token,
    );
    expect(blocked.data.content).toBe(`<@${member.id}> can no longer make videos here.`);
    const refused = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'let me' }],
    });
    expect((await reply(harness, refused.token)).data.content).toBe(
      'You are not allowed to make videos in this server. Ask a moderator if you think this is a mistake.',
    );
    await reply(
      harness,
      admin(
        harness,
        'unblock',
        [{ name: 'user', type: ApplicationCommandOptionType.User, value: member.id }],
        { resolved },
      ).token,
    );
    const allowed = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'let me' }],
    });
    expect(
      body(await harness.discord.waitForCall((c) => c.path.endsWith(`${allowed.token}/callback`))).type,
    ).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const audit = await reply(harness, admin(harness, 'audit').token);
    expect(audit.data.content).toContain(`<@${moderator.id}> unblocked <@${member.id}>`);
    expect(audit.data.content).toContain(`<@${moderator.id}> blocked <@${member.id}> \`{"reason":"spam"}\``);
    expect(audit.data.content).toContain('spam');
    expect(audit.data.content).not.toContain('member.block');
  });

  it("cancels any job of its own guild by id, never another guild's", async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'cancel me' }],
    });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    await seedJobs(harness, 1, { guildId: otherGuildId, state: 'queued' });
    const foreign = (await harness.bot.store.byState(['queued'])).find((j) => j.guildId === otherGuildId);
    const refused = await reply(
      harness,
      admin(harness, 'cancel', [
        { name: 'job', type: ApplicationCommandOptionType.Integer, value: foreign?.id },
      ]).token,
    );
    expect(refused.data.content).toBe('That video job no longer exists.');
    expect((await harness.bot.store.get(foreign?.id ?? 0))?.state).toBe('queued');
    const done = await reply(
      harness,
      admin(harness, 'cancel', [{ name: 'job', type: ApplicationCommandOptionType.Integer, value: job.id }])
        .token,
    );
    expect(done.data.content).toBe(`Job #${job.id} canceled.`);
    expect(done.data.flags).toBe(MessageFlags.Ephemeral);
    expect((await harness.bot.store.get(job.id))?.state).toBe('canceled');
    const missing = await reply(
      harness,
      admin(harness, 'cancel', [{ name: 'job', type: ApplicationCommandOptionType.Integer, value: 999_999 }])
        .token,
    );
    expect(missing.data.content).toBe('That video job no longer exists.');
  });

  it("answers /video-admin cancel in time while the provider's DELETE is slow", async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'cancel me' }],
    });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    harness.video.fail({ method: 'DELETE' }, { kind: 'delay', ms: 4_000 });
    const { token } = admin(harness, 'cancel', [
      { name: 'job', type: ApplicationCommandOptionType.Integer, value: job.id },
    ]);
    const callback = await harness.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
    expect(callback.status).toBe(204);
    expect(body(callback)).toMatchObject({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: { flags: MessageFlags.Ephemeral },
    });
    expect((await reply(harness, token)).data.content).toBe(`Job #${job.id} canceled.`);
    expect((await harness.bot.store.get(job.id))?.state).toBe('canceled');
  });

  it('summarises usage for the last 24 hours and 7 days', async () => {
    harness = await startHarness();
    await seedJobs(harness, 4);
    const usage = await reply(harness, admin(harness, 'usage').token);
    expect(usage.data.content).toContain('4 jobs, 24 s of video');
    expect(usage.data.content).toContain(`Top members: <@${member.id}> 4 (24 s)`);
    expect(usage.data.content).toContain('By state: Done 2, Failed 2');
  });
});

describe('/video-admin input checks', () => {
  it('refuses to block a user who is not in the server', async () => {
    harness = await startHarness();
    const ghost = { id: '555555555555555555', username: 'ghost' };
    const refused = await reply(
      harness,
      admin(harness, 'block', [{ name: 'user', type: ApplicationCommandOptionType.User, value: ghost.id }], {
        resolved: { users: memberOf(ghost).users },
      }).token,
    );
    expect(refused.data.content).toBe(
      'That user is not a member of this server, so there is nothing to block.',
    );
    expect(await harness.bot.context.moderation.blocked(guildId)).toEqual([]);
    expect(await harness.bot.context.moderation.auditLog(guildId, 5)).toEqual([]);
  });

  it('refuses @everyone as the moderator role, and takes a real role', async () => {
    harness = await startHarness();
    const everyone = { id: guildId, name: '@everyone', permissions: '0', position: 0, color: 0 };
    const refused = await reply(
      harness,
      admin(
        harness,
        'moderator-role',
        [{ name: 'role', type: ApplicationCommandOptionType.Role, value: guildId }],
        {
          resolved: { roles: { [guildId]: everyone } },
        },
      ).token,
    );
    expect(refused.data.content).toBe(
      '@everyone cannot be the moderator role: every member would become a moderator. Choose a role only moderators have.',
    );
    expect((await harness.bot.store.guildSettings(guildId)).moderatorRoleId).toBeNull();
    // Nobody without Manage Messages became a moderator.
    await seedJobs(harness, 1);
    const asMember = await reply(harness, history(harness, { user: otherMember, target: member.id }).token);
    expect(asMember.data.embeds ?? []).toHaveLength(0);

    const role = { ...everyone, id: '444444444444444444', name: 'video mods', position: 1 };
    const set = await reply(
      harness,
      admin(
        harness,
        'moderator-role',
        [{ name: 'role', type: ApplicationCommandOptionType.Role, value: role.id }],
        {
          resolved: { roles: { [role.id]: role } },
        },
      ).token,
    );
    expect(set.data.content).toBe(`Moderator role set to <@&${role.id}>.`);
  });

  it('allows only channels members chat in, and offers only those in the picker', async () => {
    harness = await startHarness();
    // Channels the bot has not cached yet, so their type comes from the command's resolved data.
    const categoryId = '222222222222222280';
    const forumId = '222222222222222281';
    const category = await reply(harness, allowChannel(harness, categoryId, ChannelType.GuildCategory).token);
    expect(category.data.content).toBe(
      `<#${categoryId}> is not a channel members chat in. Choose a text, announcement, forum or voice channel.`,
    );
    expect((await harness.bot.store.guildSettings(guildId)).allowedChannelIds).toEqual([]);
    const forum = await reply(harness, allowChannel(harness, forumId, ChannelType.GuildForum).token);
    expect(forum.data.content).toContain(`<#${forumId}> added.`);
    expect((await harness.bot.store.guildSettings(guildId)).allowedChannelIds).toEqual([forumId]);

    const registered = (harness.discord.commands.get('global') ?? []) as {
      name: string;
      options?: { name: string; options?: { name: string; channel_types?: number[] }[] }[];
    }[];
    const registeredAllowChannel = registered
      .find((command) => command.name === 'video-admin')
      ?.options?.find((sub) => sub.name === 'allow-channel');
    expect(registeredAllowChannel?.options?.[0]?.channel_types?.sort((a, b) => a - b)).toEqual([
      ChannelType.GuildText,
      ChannelType.GuildVoice,
      ChannelType.GuildAnnouncement,
      ChannelType.GuildStageVoice,
      ChannelType.GuildForum,
      ChannelType.GuildMedia,
    ]);
  });
});

describe('moderators viewing others', () => {
  it("audits a moderator opening another member's history, not a member opening their own", async () => {
    harness = await startHarness();
    await seedJobs(harness, 2);
    await reply(harness, history(harness, {}).token);
    expect(await harness.bot.context.moderation.auditLog(guildId, 5)).toEqual([]);
    await reply(
      harness,
      history(harness, {
        user: moderator,
        target: member.id,
        status: 'failed',
        permissions: moderatorPermissions,
      }).token,
    );
    expect(await harness.bot.context.moderation.auditLog(guildId, 5)).toMatchObject([
      { actorId: moderator.id, action: 'history.view', target: member.id, details: '{"status":"failed"}' },
    ]);
    const audit = await reply(harness, admin(harness, 'audit').token);
    expect(audit.data.content).toContain(`<@${moderator.id}> viewed the history of <@${member.id}>`);
  });
});

describe('video links in /video-history', () => {
  it("links the bot's own copy while it is kept, then the provider's while valid, then none", async () => {
    harness = await startHarness({
      env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'https://reelbot.example.com' },
    });
    harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'a link' }],
    });
    const job = await until(async () => (await harness?.bot.store.byState(['delivered']))?.[0], 15_000);
    const videoLink = async (h: Harness) => {
      const { data } = await reply(h, history(h, {}).token);
      return /\[Video\]\(([^)]+)\)/.exec(data.embeds?.[0]?.description ?? '')?.[1] ?? null;
    };

    const own = await videoLink(harness);
    expect(own).toMatch(
      new RegExp(
        `^https://reelbot\\.example\\.com/media/${job.id}-${job.mediaKey}\\.mp4\\?expires=\\d+&sig=`,
      ),
    );
    const address = harness.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const { pathname, search } = new URL(own ?? '');
    const served = await fetch(`http://127.0.0.1:${address.port}${pathname}${search}`);
    expect(served.status).toBe(200);
    await served.arrayBuffer();

    const { rm } = await import('node:fs/promises');
    await rm(job.mediaPath ?? '');
    expect(await videoLink(harness)).toBe(job.videoUrl);
    harness.advance(2 * 3_600_000);
    expect(await videoLink(harness)).toBeNull();
  });
});

describe('in the member’s language', () => {
  it('answers /video-admin usage and audit in Chinese to a zh-CN admin', async () => {
    harness = await startHarness();
    await seedJobs(harness, 4);
    await harness.database.run("UPDATE jobs SET error_kind = 'provider_down' WHERE state = 'failed'");
    await harness.bot.context.moderation.block(guildId, member.id, moderator.id, null);
    await harness.bot.context.moderation.audit({
      guildId,
      actorId: moderator.id,
      action: 'member.block',
      target: member.id,
    });
    const usage = (await reply(harness, admin(harness, 'usage', [], { locale: 'zh-CN' }).token)).data.content;
    expect(usage).toContain('**用量**');
    expect(usage).toContain('按状态：已完成 2、失败 2');
    expect(usage).toContain(`最活跃成员：<@${member.id}> 4（24 秒）`);
    expect(usage).toContain('失败原因：服务商故障 2');
    expect(usage).not.toMatch(/delivered|failed|provider_down|[,()]/);
    const audit = (await reply(harness, admin(harness, 'audit', [], { locale: 'zh-CN' }).token)).data.content;
    expect(audit).toContain(`<@${moderator.id}> 封禁了 <@${member.id}>`);
  });

  it('shows the audit log in Chinese, each line a sentence with the member in it', async () => {
    harness = await startHarness();
    for (const action of ['history.export', 'member.unblock']) {
      await harness.bot.context.moderation.audit({
        guildId,
        actorId: moderator.id,
        action,
        target: member.id,
      });
    }
    await harness.bot.context.moderation.audit({
      guildId,
      actorId: moderator.id,
      action: 'moderator_role.set',
      target: null,
    });
    const audit = async (h: Harness, locale: string) =>
      (await reply(h, admin(h, 'audit', [], { locale }).token)).data.content ?? '';
    const zhCN = await audit(harness, 'zh-CN');
    expect(zhCN).toContain('**最近的版主与管理操作**');
    expect(zhCN).toContain(`<@${moderator.id}> 导出了 <@${member.id}> 的记录`);
    expect(zhCN).toContain(`<@${moderator.id}> 解封了 <@${member.id}>`);
    expect(zhCN).toContain(`<@${moderator.id}> 清除了版主身份组`);
    const zhTW = await audit(harness, 'zh-TW');
    expect(zhTW).toContain(`<@${moderator.id}> 匯出了 <@${member.id}> 的紀錄`);
    expect(zhTW).toContain(`<@${moderator.id}> 將 <@${member.id}> 解除封鎖`);
  });

  it("exports the CSV in a zh-CN moderator's language, with the stored codes kept for scripts", async () => {
    harness = await startHarness();
    await seedJobs(harness, 2);
    await harness.database.run("UPDATE jobs SET error_kind = 'provider_down' WHERE state = 'failed'");
    const list = await reply(
      harness,
      history(harness, { user: moderator, target: member.id, permissions: moderatorPermissions }).token,
    );
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      locale: 'zh-CN',
      customId: list.data.components?.[0]?.components[2]?.custom_id ?? '',
      messageId: '1',
    });
    const { call, data } = await reply(harness, click.token);
    expect(data.content).toBe(`<@${member.id}> 的完整记录：共 2 个任务。`);
    const bytes = call.files[0]?.bytes ?? Buffer.alloc(0);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe(
      '任务编号,创建时间（UTC）,状态,模型,尺寸,时长（秒）,提示词,失败原因,错误信息,服务商视频 ID,消息链接,state_code,failure_code,来源,来源任务,来源链接,版本,参考图数,origin_code,已删除,removed_at,removed_by_role,风格,风格文字,风格位置,频道默认',
    );
    // The same words as the history and /video-admin usage; the codes stay as stored.
    expect(lines[1]).toMatch(
      /^2,.*,失败,veo-3.1-fast-generate-preview,.*,服务商故障,.*,failed,provider_down,\/视频,,,,0,command,,,,,,,$/,
    );
    expect(lines[2]).toMatch(
      /^1,.*,已完成,veo-3.1-fast-generate-preview,.*,delivered,,\/视频,,,,0,command,,,,,,,$/,
    );
  });

  it.each([
    ['zh-CN', { title: '视频记录', failed: '❌ 失败', jump: '[跳转到消息]', pages: ['上一页', '下一页'] }],
    ['zh-TW', { title: '影片紀錄', failed: '❌ 失敗', jump: '[跳至訊息]', pages: ['上一頁', '下一頁'] }],
  ])('answers /video-history to a %s member in that catalogue', async (locale, text) => {
    harness = await startHarness();
    await seedJobs(harness, 2);
    const token = harness.discord.sendCommand({
      guildId,
      channelId,
      user: member,
      locale,
      name: 'video-history',
      options: [],
    }).token;
    const { data } = await reply(harness, token);
    expect(data.embeds?.[0]?.title).toBe(text.title);
    const description = data.embeds?.[0]?.description ?? '';
    expect(description).toContain('✅ 已完成');
    expect(description).toContain(text.failed);
    expect(description).toContain('6 秒');
    expect(description).toContain(text.jump);
    expect(data.components?.[0]?.components.map((b) => b.label)).toEqual(text.pages);
  });

  it('registers every command with zh-CN and zh-TW names and descriptions for every option', async () => {
    harness = await startHarness();
    interface Option {
      name: string;
      name_localizations?: Record<string, string>;
      description_localizations?: Record<string, string>;
      options?: Option[];
    }
    const registered = (harness.discord.commands.get('global') ?? []) as Option[];
    const missing: string[] = [];
    const check = (option: Option, path: string) => {
      for (const locale of ['zh-CN', 'zh-TW']) {
        if (!option.name_localizations?.[locale]) missing.push(`${path}${option.name} ${locale} name`);
        if (!option.description_localizations?.[locale])
          missing.push(`${path}${option.name} ${locale} description`);
      }
      for (const child of option.options ?? []) check(child, `${path}${option.name} `);
    };
    for (const name of ['video', 'video-admin', 'video-history', 'video-quota']) {
      const command = registered.find((c) => c.name === name);
      expect(command).toBeDefined();
      if (command) check(command, '/');
    }
    expect(missing).toEqual([]);
    const admin = registered.find((c) => c.name === 'video-admin');
    expect(admin?.options?.find((o) => o.name === 'usage')?.description_localizations?.['zh-CN']).toBe(
      '最近 24 小时和 7 天的用量',
    );
    // zh-TW is its own catalogue, in Taiwan's words, not Simplified text under Traditional names.
    const video = registered.find((c) => c.name === 'video');
    expect(video?.name_localizations).toEqual({ 'zh-CN': '视频', 'zh-TW': '影片' });
    expect(video?.description_localizations).toEqual({
      'zh-CN': '根据提示词生成一段短视频',
      'zh-TW': '根據提示詞產生一段短影片',
    });
    expect(video?.options?.find((o) => o.name === 'duration')?.name_localizations?.['zh-TW']).toBe('長度');
    expect(registered.find((c) => c.name === 'video-history')?.name_localizations?.['zh-TW']).toBe(
      '影片紀錄',
    );
    const sub = (name: string) => admin?.options?.find((o) => o.name === name);
    expect(sub('block')?.name_localizations).toEqual({ 'zh-CN': '封禁', 'zh-TW': '封鎖' });
    expect(sub('moderator-role')?.name_localizations).toEqual({
      'zh-CN': '版主身份组',
      'zh-TW': '版主身分組',
    });
    expect(sub('moderator-role')?.options?.[0]?.name_localizations).toEqual({
      'zh-CN': '身份组',
      'zh-TW': '身分組',
    });
    expect(sub('audit')?.name_localizations).toEqual({ 'zh-CN': '操作日志', 'zh-TW': '操作紀錄' });
    expect(sub('audit')?.description_localizations?.['zh-TW']).toBe('最近的版主與管理操作');
  });
});
