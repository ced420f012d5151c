// /video: collect the options, check them before anything costs money, acknowledge, submit.
import {
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from '../src/discord/context.ts';
import { requireAllowedToGenerate } from '../src/discord/permissions.ts';
import { ephemeralText, formatBytes } from '../src/discord/render.ts';
import { notAnImageText, problemText, quotaText } from '../src/discord/replies.ts';
import { refuseAfterDefer, startJob } from '../src/discord/startJob.ts';
import { localisations, t } from '../src/i18n/index.ts';
import {
  effectiveLimits,
  maxPromptLength,
  maxReferenceBytes,
  sniffImageType,
  type ValidVideoRequest,
  validateVideoOptions,
} from '../src/jobs/index.ts';
import type { Catalogue, ReferenceImage } from '../src/provider/index.ts';

export const name = 'video';

const sizeNames: Record<string, Parameters<typeof t>[1]> = {
  '1280x720': 'size.landscape',
  '720x1280': 'size.portrait',
  '1920x1080': 'size.landscape_hd',
  '1080x1920': 'size.portrait_hd',
  '1792x1024': 'size.wide',
  '1024x1792': 'size.tall',
};

export function sizeLabel(size: string, locale: string): string {
  const key = sizeNames[size];
  const dimensions = size.replace('x', '×');
  return key ? `${t(locale, key)} · ${dimensions}` : dimensions;
}

/** The command definition; the model choices come from the configured catalogue. */
export function data(catalogue: Catalogue) {
  const en = (key: Parameters<typeof t>[1]) => t('en-US', key);
  return new SlashCommandBuilder()
    .setName(name)
    .setNameLocalizations({ 'zh-CN': '视频', 'zh-TW': '視頻' })
    .setDescription(en('command.video.description'))
    .setDescriptionLocalizations(localisations('command.video.description'))
    .setContexts(InteractionContextType.Guild)
    .addStringOption((option) =>
      option
        .setName('prompt')
        .setNameLocalizations({ 'zh-CN': '提示词', 'zh-TW': '提示詞' })
        .setDescription(en('command.video.prompt'))
        .setDescriptionLocalizations(localisations('command.video.prompt'))
        .setRequired(true)
        .setMaxLength(maxPromptLength),
    )
    .addIntegerOption((option) =>
      option
        .setName('duration')
        .setNameLocalizations({ 'zh-CN': '时长', 'zh-TW': '時長' })
        .setDescription(en('command.video.duration'))
        .setDescriptionLocalizations(localisations('command.video.duration'))
        .setAutocomplete(true),
    )
    .addStringOption((option) =>
      option
        .setName('size')
        .setNameLocalizations({ 'zh-CN': '尺寸', 'zh-TW': '尺寸' })
        .setDescription(en('command.video.size'))
        .setDescriptionLocalizations(localisations('command.video.size'))
        .setAutocomplete(true),
    )
    .addAttachmentOption((option) =>
      option
        .setName('image')
        .setNameLocalizations({ 'zh-CN': '参考图', 'zh-TW': '參考圖' })
        .setDescription(en('command.video.image'))
        .setDescriptionLocalizations(localisations('command.video.image')),
    )
    .addStringOption((option) =>
      option
        .setName('model')
        .setNameLocalizations({ 'zh-CN': '模型', 'zh-TW': '模型' })
        .setDescription(en('command.video.model'))
        .setDescriptionLocalizations(localisations('command.video.model'))
        .addChoices(
          ...catalogue.offered.slice(0, 25).map((model) => ({ name: model.label, value: model.id })),
        ),
    );
}

/** Offers only the durations and sizes the chosen (or default) model supports. */
export async function autocomplete(interaction: AutocompleteInteraction, context: BotContext): Promise<void> {
  const model =
    context.catalogue.find(interaction.options.getString('model') ?? '') ?? context.catalogue.defaultModel;
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value).toLowerCase();
  const choices =
    focused.name === 'duration'
      ? model.seconds.map((seconds) => ({
          name: t(interaction.locale, 'render.duration_value', { seconds }),
          value: seconds,
        }))
      : model.sizes.map((size) => ({ name: sizeLabel(size, interaction.locale), value: size }));
  await interaction.respond(
    choices.filter((choice) => choice.name.toLowerCase().includes(typed)).slice(0, 25),
  );
}

type Refusal = string | null;

function checkAttachmentMetadata(attachment: Attachment | null, locale: string): Refusal {
  if (!attachment) return null;
  if (attachment.size > maxReferenceBytes) {
    return t(locale, 'error.attachment_too_large', {
      size: formatBytes(attachment.size),
      max: formatBytes(maxReferenceBytes),
    });
  }
  if (attachment.contentType && !attachment.contentType.startsWith('image/')) {
    return notAnImageText(locale, attachment.name);
  }
  return null;
}

/** Every check before anything costs money: bad input is refused before we acknowledge publicly. */
async function precheck(
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
): Promise<{ refusal: string } | { request: ValidVideoRequest; attachment: Attachment | null }> {
  const locale = interaction.locale;
  const validated = validateVideoOptions(
    {
      prompt: interaction.options.getString('prompt', true),
      model: interaction.options.getString('model'),
      seconds: interaction.options.getInteger('duration'),
      size: interaction.options.getString('size'),
    },
    context.catalogue,
  );
  if (!validated.ok) return { refusal: problemText(locale, validated) };
  const attachment = interaction.options.getAttachment('image');
  const refusal =
    (await requireAllowedToGenerate(interaction, context)) ?? checkAttachmentMetadata(attachment, locale);
  if (refusal) return { refusal };
  const limits = effectiveLimits(context.config.quotas, context.store.guildSettings(interaction.guildId));
  const quota = context.store.quotaRefusal(
    {
      ...jobIdentity(interaction),
      model: validated.value.model.id,
      prompt: '',
      seconds: validated.value.seconds,
      size: '',
    },
    limits,
  );
  if (quota) return { refusal: quotaText(locale, quota) };
  return { request: validated.value, attachment };
}

function jobIdentity(interaction: ChatInputCommandInteraction<'cached' | 'raw'>) {
  return { guildId: interaction.guildId, channelId: interaction.channelId, userId: interaction.user.id };
}

type FetchedReference = { refusal: string } | { reference: ReferenceImage };

/** Downloads the member's image and checks by its bytes, not its name, that it is one. */
async function fetchReference(
  attachment: Attachment,
  context: BotContext,
  locale: string,
): Promise<FetchedReference> {
  let bytes: Uint8Array;
  try {
    bytes = await context.fetchAttachment(attachment.url, maxReferenceBytes);
  } catch {
    return { refusal: t(locale, 'error.attachment_unreadable') };
  }
  const type = sniffImageType(bytes);
  if (!type) return { refusal: notAnImageText(locale, attachment.name) };
  return { reference: { url: attachment.url, bytes, contentType: type, fileName: attachment.name } };
}

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const locale = interaction.locale;
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(locale, 'error.guild_only')));
    return;
  }
  const checked = await precheck(interaction, context);
  if ('refusal' in checked) {
    await interaction.reply(ephemeralText(checked.refusal));
    return;
  }
  await interaction.deferReply();

  const { request, attachment } = checked;
  let reference: ReferenceImage | undefined;
  if (attachment) {
    const fetched = await fetchReference(attachment, context, locale);
    if ('refusal' in fetched) return refuseAfterDefer(interaction, fetched.refusal);
    reference = fetched.reference;
  }
  await startJob(interaction, context, {
    model: request.model.id,
    prompt: request.prompt,
    seconds: request.seconds,
    size: request.size,
    referenceUrl: attachment?.url ?? null,
    referenceName: attachment?.name ?? null,
    reference,
  });
}
