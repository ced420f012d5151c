// /video: collect the options, check them before anything costs money, acknowledge, submit.
import {
  ApplicationCommandType,
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
} from 'discord.js';
import {
  type AttachedImage,
  attachedImage,
  attachmentRefusal,
  type CheckedImage,
  checkAttachedImages,
} from '../src/discord/checkedReference.ts';
import type { SlashCommand } from '../src/discord/commandContract.ts';
import { named } from '../src/discord/commandText.ts';
import type { BotContext } from '../src/discord/context.ts';
import { blockedPromptRefusal } from '../src/discord/promptCheck.ts';
import { ephemeralText } from '../src/discord/render.ts';
import { acknowledgeAfter, refusalToGenerate, startJobs } from '../src/discord/startJob.ts';
import { type SettledRequest, settleRequest, styleChoices } from '../src/discord/styledRequest.ts';
import { t } from '../src/i18n/index.ts';
import { maxPromptLength, maxStyleNameLength, maxTakes } from '../src/jobs/index.ts';
import type { Catalogue } from '../src/provider/index.ts';

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
    )
    .addAttachmentOption((option) =>
      named(option, 'image2', ['参考图2', '參考圖片2'], 'command.video.image2'),
    )
    .addAttachmentOption((option) =>
      named(option, 'image3', ['参考图3', '參考圖片3'], 'command.video.image3'),
    )
    .addIntegerOption((option) =>
      named(option, 'takes', ['份数', '份數'], 'command.video.takes').setMinValue(1).setMaxValue(maxTakes),
    )
    .addStringOption((option) =>
      named(option, 'style', ['风格', '風格'], 'command.video.style')
        .setMaxLength(maxStyleNameLength)
        .setAutocomplete(true),
    );
}

/** The reference image options, in order: the first, then the ones models with several take. */
const imageOptions = ['image', 'image2', 'image3'] as const;

/** Offers only the durations and sizes the chosen (or default) model supports. */
export async function autocomplete(interaction: AutocompleteInteraction, context: BotContext): Promise<void> {
  const model =
    context.catalogue.find(interaction.options.getString('model') ?? '') ?? context.catalogue.defaultModel;
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value).toLowerCase();
  // This server's styles only: the interaction's guild, never another's.
  if (focused.name === 'style') {
    await interaction.respond(await styleChoices(context, interaction.guildId, typed));
    return;
  }
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

/** The images attached to the command, in the order of its options. */
function attachedImages(interaction: ChatInputCommandInteraction): AttachedImage[] {
  return imageOptions
    .map((option) => interaction.options.getAttachment(option))
    .filter((attachment): attachment is Attachment => attachment !== null)
    .map(attachedImage);
}

/** Every check before anything costs money: bad input is refused before we acknowledge publicly. */
async function precheck(
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
): Promise<{ refusal: string } | (SettledRequest & { images: AttachedImage[] })> {
  const locale = interaction.locale;
  const images = attachedImages(interaction);
  // The style and the channel's defaults fill what the member left out; the channel's caps bound it.
  const settled = await settleRequest(interaction, context, {
    prompt: interaction.options.getString('prompt', true),
    model: interaction.options.getString('model'),
    seconds: interaction.options.getInteger('duration'),
    size: interaction.options.getString('size'),
    takes: interaction.options.getInteger('takes'),
    referenceImages: images.length,
    style: interaction.options.getString('style'),
  });
  if ('refusal' in settled) return settled;
  const { request } = settled;
  const refusal =
    images.map((image) => attachmentRefusal(image, locale)).find((text) => text !== null) ??
    // The server's blocked words before anything counts the member's quota.
    (await blockedPromptRefusal(interaction, context, request.prompt)) ??
    (await refusalToGenerate(interaction, context, {
      model: request.model.id,
      seconds: request.seconds,
      size: request.size,
      takes: request.takes,
    }));
  if (refusal) return { refusal };
  return { ...settled, images };
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
  const { request, images, style, defaultsApplied, opensThread } = checked;
  let references: CheckedImage[] = [];
  if (images.length > 0) {
    // Downloaded and decoded before anything is spent, and before the public acknowledgement while time allows.
    const fetched = await acknowledgeAfter(
      interaction,
      checkAttachedImages(images, request.model, context, locale),
      deadline,
    );
    if (!fetched) return;
    references = fetched.images;
  } else {
    await interaction.deferReply();
  }
  await startJobs(
    interaction,
    context,
    {
      model: request.model.id,
      prompt: request.prompt,
      seconds: request.seconds,
      size: request.size,
      style,
      defaultsApplied,
    },
    {
      takes: request.takes,
      origin: { kind: 'command' },
      references,
      // `/video-admin threads on` here: the first card opens its thread at once.
      openThread: opensThread,
    },
  );
}

export const command: SlashCommand = {
  type: ApplicationCommandType.ChatInput,
  name,
  data,
  execute,
  autocomplete,
};
