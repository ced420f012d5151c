// /video: collect the options, check them before anything costs money, acknowledge, submit.
import {
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
} from 'discord.js';
import { type CheckedReferenceImage, checkedReference } from '../src/discord/checkedReference.ts';
import { named } from '../src/discord/commandText.ts';
import type { BotContext } from '../src/discord/context.ts';
import { requireAllowedToGenerate } from '../src/discord/permissions.ts';
import { ephemeralText, formatBytes } from '../src/discord/render.ts';
import { notAnImageText, problemText, quotaText } from '../src/discord/replies.ts';
import { acknowledgeAfter, startJob } from '../src/discord/startJob.ts';
import { t } from '../src/i18n/index.ts';
import {
  effectiveLimits,
  maxPromptLength,
  maxReferenceBytes,
  type ValidVideoRequest,
  validateVideoOptions,
} from '../src/jobs/index.ts';
import type { Catalogue, ModelSpec, ReferenceImage } from '../src/provider/index.ts';

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
  return named(new SlashCommandBuilder(), name, ['视频', '影片'], 'command.video.description')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((option) =>
      named(option, 'prompt', ['提示词', '提示詞'], 'command.video.prompt')
        .setRequired(true)
        .setMaxLength(maxPromptLength),
    )
    .addIntegerOption((option) =>
      named(option, 'duration', ['时长', '長度'], 'command.video.duration').setAutocomplete(true),
    )
    .addStringOption((option) =>
      named(option, 'size', ['尺寸', '尺寸'], 'command.video.size').setAutocomplete(true),
    )
    .addAttachmentOption((option) => named(option, 'image', ['参考图', '參考圖片'], 'command.video.image'))
    .addStringOption((option) =>
      named(option, 'model', ['模型', '模型'], 'command.video.model').addChoices(
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
  const limits = effectiveLimits(
    context.config.quotas,
    await context.store.guildSettings(interaction.guildId),
  );
  const quota = await context.store.quotaRefusal(
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

/** Downloads the member's image and decodes it: a still PNG, JPEG, WebP or GIF of a sane size, by its bytes. */
async function fetchReference(
  attachment: Attachment,
  model: ModelSpec,
  context: BotContext,
  locale: string,
): Promise<CheckedReferenceImage> {
  let bytes: Uint8Array;
  try {
    bytes = await context.fetchAttachment(attachment.url, maxReferenceBytes);
  } catch {
    return { refusal: t(locale, 'error.attachment_unreadable') };
  }
  return checkedReference(bytes, { url: attachment.url, fileName: attachment.name }, model, locale);
}

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  // The checks below count against the time Discord allows before the acknowledgement.
  const deadline = performance.now() + context.checkBeforeAcknowledgeMs;
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
  const { request, attachment } = checked;
  let image: { reference: ReferenceImage; size: string } | undefined;
  if (attachment) {
    // Checked before anything is spent, and before the public acknowledgement while time allows.
    const fetched = await acknowledgeAfter(
      interaction,
      fetchReference(attachment, request.model, context, locale),
      deadline,
    );
    if (!fetched) return;
    image = fetched;
  } else {
    await interaction.deferReply();
  }
  await startJob(interaction, context, {
    model: request.model.id,
    prompt: request.prompt,
    seconds: request.seconds,
    size: request.size,
    referenceImages: attachment
      ? [{ url: attachment.url, name: attachment.name, size: image?.size ?? null }]
      : [],
    reference: image?.reference,
  });
}
