// Server styles: defined by admins, picked by members on /video and in Make a video, sent to the
// provider with the prompt, shown by name on the card, kept apart from the prompt in the history.
import { ApplicationCommandOptionType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { countJobs } from '../jobs/helpers.ts';
import {
  channelId,
  clickRegenerate,
  embedText,
  ephemeralReply,
  exportedHistoryCsv,
  guildId,
  type Harness,
  historyReply,
  jobButtonId,
  member,
  otherGuildId,
  prompt,
  providerCreates,
  startHarness,
  until,
} from './harness.ts';
import { admin, autocompleteChoices, delivered, integer, isCardEdit, text } from './settingsHelpers.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const otherGuildChannel = '222222222222222224';

const addNoir = (h: Harness, extra: ReturnType<typeof text | typeof integer>[] = []) =>
  admin(
    h,
    ['style', 'add'],
    [text('name', 'Noir'), text('text', 'in black and white, hard shadows'), ...extra],
  );

describe('server styles', () => {
  it('sends the styled prompt to the provider, names the style on the card, and keeps prompt and style apart in the row, the history and the CSV', async () => {
    harness = await startHarness();
    const h = harness;
    expect(await addNoir(h, [integer('duration', 4)])).toBe(
      'Style **Noir** added.\n**Noir** (after the prompt): in black and white, hard shadows\n-# uses 4 s',
    );
    const { token } = h.command({ options: [prompt('a lighthouse at dusk'), text('style', 'noir')] });
    const create = await until(() => providerCreates(h)[0]);
    // The style's own duration applies: the member gave none.
    expect(create.json).toMatchObject({
      prompt: 'a lighthouse at dusk in black and white, hard shadows',
      seconds: 4,
    });
    const card = await h.discord.waitForCall(isCardEdit(token));
    expect(embedText(card)).toContain('-# Style: Noir');
    expect(embedText(card)).toContain('> a lighthouse at dusk\n');
    expect(embedText(card)).not.toContain('hard shadows');

    const [job] = await delivered(h);
    expect(job).toMatchObject({
      prompt: 'a lighthouse at dusk',
      styleName: 'Noir',
      styleText: 'in black and white, hard shadows',
      stylePlacement: 'after',
      defaultsApplied: [],
      seconds: 4,
    });
    const rows = await h.database.query<{ prompt: string; style_name: string }>(
      'SELECT prompt, style_name FROM jobs',
    );
    expect(rows).toEqual([{ prompt: 'a lighthouse at dusk', style_name: 'Noir' }]);

    const page = await historyReply(h, []);
    const entry = page.embeds?.[0]?.description ?? '';
    expect(entry).toContain('> a lighthouse at dusk\n');
    expect(entry).toContain('Style: Noir');
    expect(entry).not.toContain('hard shadows');

    const [header, line] = await exportedHistoryCsv(h);
    const columns = (header ?? '').split(',');
    const cells = (line ?? '').split(',');
    const cell = (name: string) => cells[columns.indexOf(name)];
    expect(cell('Prompt')).toBe('a lighthouse at dusk');
    expect(cell('Style')).toBe('Noir');
    expect(columns.slice(-4)).toEqual(['Style', 'Style text', 'Style placement', 'Channel defaults']);
    expect(line?.endsWith(',Noir,"in black and white, hard shadows",after the prompt,')).toBe(true);
  });

  it("puts a style's text before the prompt when told, and the member's own options win over the style's", async () => {
    harness = await startHarness();
    const h = harness;
    await admin(
      h,
      ['style', 'add'],
      [
        text('name', 'Claymation'),
        text('text', 'Stop-motion clay:'),
        text('placement', 'before'),
        text('size', '720x1280'),
        integer('duration', 8),
      ],
    );
    h.command({
      options: [
        prompt('a fox'),
        text('style', 'Claymation'),
        { name: 'duration', type: ApplicationCommandOptionType.Integer, value: 4 },
      ],
    });
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({ prompt: 'Stop-motion clay: a fox', seconds: 4, size: '720x1280' });
  });

  it('keeps the style on Regenerate', async () => {
    harness = await startHarness();
    const h = harness;
    await addNoir(h);
    h.command({ options: [prompt('a train'), text('style', 'Noir')] });
    const [first] = await delivered(h);
    if (!first) throw new Error('no job');
    await clickRegenerate(h, first);
    const second = await until(() => providerCreates(h)[1]);
    expect(second.json).toMatchObject({ prompt: 'a train in black and white, hard shadows' });
    const [, again] = await delivered(h, 2);
    expect(again).toMatchObject({ prompt: 'a train', styleName: 'Noir', originKind: 'regenerate' });
  });

  it("sends a Remix's new prompt with the job's style, and keeps it on the new job", async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const h = harness;
    await addNoir(h);
    h.command({ options: [prompt('a boat'), text('style', 'Noir')] });
    const [job] = await delivered(h);
    if (!job) throw new Error('no job');
    h.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'remix-modal', job.id),
      fields: { prompt: 'the same boat at night' },
    });
    const remix = await until(() => h.video.requests.find((r) => r.path.endsWith('/remix')));
    expect(remix.json).toMatchObject({ prompt: 'the same boat at night in black and white, hard shadows' });
    const [, remixed] = await delivered(h, 2);
    expect(remixed).toMatchObject({
      prompt: 'the same boat at night',
      styleName: 'Noir',
      originKind: 'remix',
    });
  });

  it('refuses a style naming a model, size or duration this deployment does not offer, keeping nothing', async () => {
    harness = await startHarness();
    const h = harness;
    expect(await addNoir(h, [text('model', 'sora-2')])).toBe(
      'The model "sora-2" is not offered here. Available: veo-3.1-fast-generate-preview, veo-3.1-generate-preview.',
    );
    expect(await addNoir(h, [integer('duration', 5)])).toBe(
      'No model here makes 5-second videos that way. Choose one of: 4, 6, 8 seconds.',
    );
    expect(await addNoir(h, [text('size', '640x480')])).toContain(
      'No model here makes videos of size 640x480',
    );
    expect(
      await admin(h, ['style', 'add'], [text('name', 'n'.repeat(33)), text('text', 'x')], {
        locale: 'zh-CN',
      }),
    ).toBe('风格名称为 1 到 32 个字符、只占一行，且至少含一个字母或数字。');
    expect(await admin(h, ['style', 'list'])).toBe(
      'This server has no styles yet. Add one with /video-admin style add.',
    );
    expect(await h.database.query('SELECT name FROM guild_styles')).toEqual([]);
    expect(await h.database.query("SELECT action FROM audit_log WHERE action LIKE 'style.%'")).toEqual([]);
  });

  it('refuses a second style of the same name in any case, lists styles escaped, removes them, and audits both', async () => {
    harness = await startHarness();
    const h = harness;
    await addNoir(h);
    expect(await admin(h, ['style', 'add'], [text('name', 'NOIR'), text('text', 'other')])).toBe(
      'This server already has a style named **NOIR**.',
    );
    await admin(h, ['style', 'add'], [text('name', '**@everyone**'), text('text', '<@&1> `code` # big')]);
    expect(await admin(h, ['style', 'list'])).toBe(
      [
        '**Styles of this server**',
        '**\\*\\*@\u200beveryone\\*\\*** (after the prompt): <\u200b@\u200b&1\\> \\`code\\` # big',
        '**Noir** (after the prompt): in black and white, hard shadows',
      ].join('\n'),
    );
    expect(await admin(h, ['style', 'remove'], [text('name', 'noir')])).toBe('Style **Noir** removed.');
    expect(await admin(h, ['style', 'remove'], [text('name', 'noir')])).toBe(
      'This server has no style named **noir**.',
    );
    const audit = await h.database.query<{ action: string; target: string }>(
      'SELECT action, target FROM audit_log ORDER BY id',
    );
    expect(audit).toEqual([
      { action: 'style.add', target: 'Noir' },
      { action: 'style.add', target: '**@everyone**' },
      { action: 'style.remove', target: 'Noir' },
    ]);
    expect(await admin(h, ['audit'])).toContain('removed the style Noir');
  });

  it("keeps each server's styles to itself: autocomplete and /video in another server see none of them", async () => {
    harness = await startHarness();
    const h = harness;
    await addNoir(h);
    const autocomplete = (guild: string, channel: string) =>
      h.discord.sendAutocomplete({
        guildId: guild,
        channelId: channel,
        user: member,
        name: 'video',
        options: [
          prompt('x'),
          { name: 'style', type: ApplicationCommandOptionType.String, value: 'no', focused: true },
        ],
      });
    expect(await autocompleteChoices(h, autocomplete(guildId, channelId).token)).toEqual([
      { name: 'Noir', value: 'Noir' },
    ]);
    expect(await autocompleteChoices(h, autocomplete(otherGuildId, otherGuildChannel).token)).toEqual([]);

    const { token } = h.discord.sendCommand({
      guildId: otherGuildId,
      channelId: otherGuildChannel,
      user: member,
      name: 'video',
      options: [prompt('a cat'), text('style', 'Noir')],
    });
    expect(await ephemeralReply(h, token)).toBe(
      'This server has no style named "Noir". Pick one from the list.',
    );
    expect(await admin(h, ['style', 'list'], [], { guild: otherGuildId, channel: otherGuildChannel })).toBe(
      'This server has no styles yet. Add one with /video-admin style add.',
    );
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });

  it('offers the styles in Make a video beside the models, one of each, and applies the one picked', async () => {
    harness = await startHarness();
    const h = harness;
    await addNoir(h);
    const message = h.discord.seedMessage({
      channelId,
      author: { id: '9', username: 'bob' },
      content: 'a harbour',
    });
    const open = () =>
      h.discord.sendMessageCommand({ guildId, user: member, name: 'Make a video', messageId: message.id });
    const first = open();
    const form = (await until(() => h.discord.modalShown(first.token))) as {
      components: {
        label?: string;
        component: { custom_id: string; max_values?: number; options?: unknown[] };
      }[];
    };
    const select = form.components[1];
    expect(select?.label).toBe('Model and style');
    expect(form.components).toHaveLength(5);
    expect(select?.component).toMatchObject({ custom_id: 'model', max_values: 2 });
    expect(select?.component.options).toEqual([
      { label: 'Veo 3.1 Fast', value: 'veo-3.1-fast-generate-preview', default: true },
      { label: 'Veo 3.1', value: 'veo-3.1-generate-preview', default: false },
      { label: 'Style: Noir', value: 'style:Noir' },
    ]);
    // Two models at once: refused before anything is spent.
    const twice = h.discord.submitModal(first.token, {
      model: ['veo-3.1-fast-generate-preview', 'veo-3.1-generate-preview'],
    });
    expect(await ephemeralReply(h, twice.token)).toBe('Pick at most one model and one style.');
    expect(providerCreates(h)).toHaveLength(0);

    const second = open();
    await until(() => h.discord.modalShown(second.token));
    h.discord.submitModal(second.token, { model: ['veo-3.1-generate-preview', 'style:Noir'] });
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({
      model: 'veo-3.1-generate-preview',
      prompt: 'a harbour in black and white, hard shadows',
    });
    const [job] = await delivered(h);
    expect(job).toMatchObject({ prompt: 'a harbour', styleName: 'Noir', originKind: 'message' });
  });
});
