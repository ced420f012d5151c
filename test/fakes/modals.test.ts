// The fake Discord's modals beyond text inputs, driven by the real discord.js client: a modal of
// Labels wrapping a text input, string selects and a file upload (discord.js's LabelBuilder,
// StringSelectMenuBuilder, FileUploadBuilder), recorded as Discord keeps it and submitted as
// Discord's client submits it (read with fields.getTextInputValue, getStringSelectValues and
// getUploadedFiles); and the modal rules Discord enforces with 400 / 50035.
import { readFileSync } from 'node:fs';
import {
  type ChatInputCommandInteraction,
  type Client,
  ComponentType,
  type DiscordAPIError,
  Events,
  FileUploadBuilder,
  InteractionResponseType,
  LabelBuilder,
  ModalBuilder,
  type ModalSubmitInteraction,
  RESTJSONErrorCodes,
  Routes,
  StringSelectMenuBuilder,
  type TextChannel,
  TextDisplayBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from './discord.ts';
import { discordError, loginToFake, nextEvent } from './fakeClient.ts';

const guildId = '100000000000000001';
const channelId = '200000000000000001';
const alice = { id: '300000000000000001', username: 'alice' };
const png = readFileSync(new URL('../fixtures/reference.png', import.meta.url));

let discord: FakeDiscord;
let client: Client<true>;

beforeEach(async () => {
  discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
  client = await loginToFake(discord);
});

afterEach(async () => {
  await client?.destroy();
  await discord?.close();
});

async function slashCommand(): Promise<{ interaction: ChatInputCommandInteraction; token: string }> {
  const received = nextEvent(client, Events.InteractionCreate);
  const { token } = discord.sendCommand({ guildId, channelId, user: alice, name: 'video', locale: 'zh-CN' });
  const [interaction] = await received;
  if (!interaction.isChatInputCommand()) throw new Error('not a slash command');
  return { interaction, token };
}

async function submitted(token: string, values: Parameters<FakeDiscord['submitModal']>[1]) {
  const received = nextEvent(client, Events.InteractionCreate);
  const submit = discord.submitModal(token, values);
  const [interaction] = await received;
  if (!interaction.isModalSubmit()) throw new Error('not a modal submit');
  return { interaction: interaction as ModalSubmitInteraction, token: submit.token };
}

/** The Make a video modal of issue 11, in discord.js's builders. */
function makeAVideoModal(): ModalBuilder {
  return new ModalBuilder()
    .setCustomId('reelbot:make:200000000000000001:300000000000000009')
    .setTitle('Make a video')
    .addTextDisplayComponents(new TextDisplayBuilder().setContent('From a message by **bob**'))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('Prompt')
        .setDescription('Taken from the message; edit it as you like')
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId('prompt')
            .setStyle(TextInputStyle.Paragraph)
            .setMaxLength(1000)
            .setValue('a lighthouse at dawn'),
        ),
      new LabelBuilder()
        .setLabel('Model')
        .setStringSelectMenuComponent(
          new StringSelectMenuBuilder()
            .setCustomId('model')
            .setRequired(false)
            .addOptions(
              { label: 'sora-2', value: 'sora-2', default: true },
              { label: 'veo-3', value: 'veo-3', description: 'takes up to 3 images' },
            ),
        ),
      new LabelBuilder()
        .setLabel('Duration')
        .setStringSelectMenuComponent(
          new StringSelectMenuBuilder()
            .setCustomId('seconds')
            .setRequired(false)
            .addOptions({ label: '4 s', value: '4' }, { label: '8 s', value: '8' }),
        ),
      new LabelBuilder()
        .setLabel('More reference images')
        .setFileUploadComponent(
          new FileUploadBuilder()
            .setCustomId('images')
            .setMinValues(0)
            .setMaxValues(2)
            .setRequired(false)
            .setFileTypes('image'),
        ),
    );
}

describe('a modal of labels with a text input, string selects and a file upload', () => {
  it('is recorded as Discord keeps it: every component numbered, in order', async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(makeAVideoModal());

    const modal = discord.modalShown(token) as { components: Record<string, unknown>[] };
    expect(modal.components.map((component) => component.type)).toEqual([
      ComponentType.TextDisplay,
      ComponentType.Label,
      ComponentType.Label,
      ComponentType.Label,
      ComponentType.Label,
    ]);
    expect(modal.components.map((component) => component.id)).toEqual([1, 2, 4, 6, 8]);
    expect(modal.components[4]).toMatchObject({
      label: 'More reference images',
      component: {
        type: ComponentType.FileUpload,
        id: 9,
        custom_id: 'images',
        max_values: 2,
        file_types: ['image'],
      },
    });
  });

  it("is submitted as Discord's client submits it, and discord.js reads every field", async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(makeAVideoModal());
    const first = discord.addAttachment(png, 'sea.png', 'image/png', { width: 64, height: 64 });
    const second = discord.addAttachment(png, 'sky.png', 'image/png');
    const { interaction: submit, token: submitToken } = await submitted(token, {
      prompt: 'a lighthouse at dusk',
      model: ['veo-3'],
      images: [first, second],
    });

    expect(submit.customId).toBe('reelbot:make:200000000000000001:300000000000000009');
    expect(submit.user.id).toBe(alice.id);
    expect(submit.channelId).toBe(channelId);
    expect(submit.locale).toBe('zh-CN');
    expect(submit.fields.getTextInputValue('prompt')).toBe('a lighthouse at dusk');
    expect(submit.fields.getStringSelectValues('model')).toEqual(['veo-3']);
    // A select the member left alone comes back empty (no option was marked default).
    expect(submit.fields.getStringSelectValues('seconds')).toEqual([]);
    const files = submit.fields.getUploadedFiles('images', true);
    expect([...files.keys()]).toEqual([first.id, second.id]);
    expect(files.get(first.id)).toMatchObject({ name: 'sea.png', contentType: 'image/png', ephemeral: true });
    const served = await fetch(files.get(second.id)?.url ?? '');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    // The submit is its own interaction, with its own token to answer.
    await submit.reply({ content: 'ok', flags: 64 });
    expect(discord.originalMessage(submitToken)?.content).toBe('ok');
  });

  it('keeps what the modal pre-filled for fields the member leaves, and an optional empty upload is null', async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(makeAVideoModal());
    const { interaction: submit } = await submitted(token, {});

    expect(submit.fields.getTextInputValue('prompt')).toBe('a lighthouse at dawn');
    expect(submit.fields.getStringSelectValues('model')).toEqual(['sora-2']);
    expect(submit.fields.getUploadedFiles('images')).toBeNull();
  });

  it('carries the message of the button that opened the modal', async () => {
    const card = await (client.channels.cache.get(channelId) as TextChannel).send('a card');
    const received = nextEvent(client, Events.InteractionCreate);
    const { token } = discord.sendButton({
      guildId,
      channelId,
      user: alice,
      customId: 'remix',
      messageId: card.id,
    });
    const [button] = await received;
    if (!button.isButton()) throw new Error('not a button');
    await button.showModal(makeAVideoModal());
    const { interaction: submit } = await submitted(token, {});
    expect(submit.message?.id).toBe(card.id);
    expect(submit.isFromMessage()).toBe(true);
  });

  it("refuses, as Discord's client would, values the modal does not allow", async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(makeAVideoModal());
    const image = discord.addAttachment(png, 'a.png', 'image/png');
    expect(() => discord.submitModal(token, { model: ['kling'] })).toThrow(/no option/);
    expect(() => discord.submitModal(token, { model: ['sora-2', 'veo-3'] })).toThrow(/2 options/);
    expect(() => discord.submitModal(token, { images: [image, image, image] })).toThrow(/3 files/);
    expect(() => discord.submitModal(token, { prompt: '' })).toThrow(/required/);
    expect(() => discord.submitModal(token, { style: 'noir' })).toThrow(/no such field/);
  });
});

type ErrorTree = { _errors?: { code: string }[] } & Record<string, unknown>;

/** The `_errors` codes under `path` in a 50035 answer's error tree. */
function codesAt(error: DiscordAPIError, path: string): string[] {
  let node = (error.rawError as { errors?: ErrorTree }).errors;
  for (const key of path.split('.')) node = node?.[key] as ErrorTree | undefined;
  return (node?._errors ?? []).map((entry) => entry.code);
}

const label = (component: object, text = 'Field') => ({ type: ComponentType.Label, label: text, component });
const textInput = (customId: string) => ({ type: ComponentType.TextInput, custom_id: customId, style: 1 });
const select = (customId: string, count: number, extra: object = {}) => ({
  type: ComponentType.StringSelect,
  custom_id: customId,
  options: Array.from({ length: count }, (_, index) => ({ label: `option ${index}`, value: `v${index}` })),
  ...extra,
});
const modal = (components: object[], extra: object = {}) => ({
  custom_id: 'm',
  title: 'Make a video',
  components,
  ...extra,
});

describe('the modal rules Discord enforces', () => {
  const broken: [string, object, string][] = [
    [
      'more than 5 top-level components',
      modal(Array.from({ length: 6 }, (_, i) => label(textInput(`f${i}`)))),
      'data.components',
    ],
    ['no component', modal([]), 'data.components'],
    ['a title over 45 characters', modal([label(textInput('f'))], { title: 'x'.repeat(46) }), 'data.title'],
    [
      'a custom id over 100 characters',
      modal([label(textInput('f'))], { custom_id: 'x'.repeat(101) }),
      'data.custom_id',
    ],
    ['a label over 45 characters', modal([label(textInput('f'), 'x'.repeat(46))]), 'data.components.0.label'],
    ['a select with 26 options', modal([label(select('s', 26))]), 'data.components.0.component.options'],
    ['a select with no option', modal([label(select('s', 0))]), 'data.components.0.component.options'],
    [
      'a disabled select',
      modal([label(select('s', 2, { disabled: true }))]),
      'data.components.0.component.disabled',
    ],
    [
      'a required select that may be left empty',
      modal([label(select('s', 2, { min_values: 0 }))]),
      'data.components.0.component.min_values',
    ],
    [
      'a file upload taking 11 files',
      modal([label({ type: ComponentType.FileUpload, custom_id: 'u', max_values: 11 })]),
      'data.components.0.component.max_values',
    ],
    [
      'a file upload outside a label',
      modal([{ type: ComponentType.FileUpload, custom_id: 'u' }]),
      'data.components.0.type',
    ],
    [
      'a button in a label',
      modal([label({ type: ComponentType.Button, custom_id: 'b', style: 1 })]),
      'data.components.0.component.type',
    ],
    [
      'two fields with one custom id',
      modal([label(textInput('f')), label(textInput('f'))]),
      'data.components',
    ],
  ];

  it.each(broken)(
    'refuses %s with 400 / 50035 at the field, and leaves the interaction unanswered',
    async (_, data, path) => {
      const { interaction, token } = await slashCommand();
      const error = await discordError(interaction.showModal(data as never));
      expect([error.status, error.code]).toEqual([400, RESTJSONErrorCodes.InvalidFormBodyOrContentType]);
      expect(codesAt(error, path)).not.toEqual([]);
      expect(discord.modalShown(token)).toBeUndefined();
      // Refused, the modal did not answer the interaction: the bot can still reply.
      await interaction.reply({ content: 'That did not work', flags: 64 });
      expect(discord.originalMessage(token)?.content).toBe('That did not work');
    },
  );

  it('takes the largest modal Discord allows: 5 labels, a 45-character title, 25 options', async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(
      modal(
        [
          label(select('s', 25), 'x'.repeat(45)),
          ...Array.from({ length: 4 }, (_, i) => label(textInput(`f${i}`))),
        ],
        { title: 'x'.repeat(45), custom_id: 'x'.repeat(100) },
      ) as never,
    );
    expect(discord.modalShown(token)).toBeDefined();
  });

  it('refuses a modal in answer to a modal submit', async () => {
    const { interaction, token } = await slashCommand();
    await interaction.showModal(makeAVideoModal());
    const { interaction: submit } = await submitted(token, {});
    // discord.js has no showModal on a modal submit; the raw callback is refused by Discord.
    const error = await discordError(
      client.rest.post(Routes.interactionCallback(submit.id, submit.token), {
        body: { type: InteractionResponseType.Modal, data: makeAVideoModal().toJSON() },
        auth: false,
      }),
    );
    expect([error.status, error.code]).toEqual([400, RESTJSONErrorCodes.InvalidFormBodyOrContentType]);
  });
});
