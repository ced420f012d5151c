// Apps › Make a video: a member's message (its text and its images) as the start of a video. The
// command opens a form (the prompt taken from the message, model, duration, size, more images);
// its submit is checked like /video and the video is posted as a reply to that message.
import {
  ApplicationCommandType,
  type Attachment,
  ContextMenuCommandBuilder,
  DiscordAPIError,
  FileUploadBuilder,
  InteractionContextType,
  LabelBuilder,
  Locale,
  type MessageContextMenuCommandInteraction,
  ModalBuilder,
  type ModalSubmitInteraction,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import {
  type AttachedImage,
  type CheckedImage,
  checkAttachedImages,
} from '../src/discord/checkedReference.ts';
import type { MessageCommand, ModalHandler } from '../src/discord/commandContract.ts';
import type { BotContext } from '../src/discord/context.ts';
import { makeVideoFields, makeVideoModalId, parseMakeVideoModalId } from '../src/discord/customIds.ts';
import type { MessageDraft } from '../src/discord/messageDrafts.ts';
import { promptFromMessage } from '../src/discord/messagePrompt.ts';
import { requireAllowedToGenerate } from '../src/discord/permissions.ts';
import { ephemeralText, escapeUntrusted, formatBytes } from '../src/discord/render.ts';
import { notAnImageText, problemText, quotaText } from '../src/discord/replies.ts';
import { acknowledgeAfter, startJobs } from '../src/discord/startJob.ts';
import { listText, t } from '../src/i18n/index.ts';
import {
  effectiveLimits,
  hasVisibleText,
  maxPromptLength,
  maxReferenceBytes,
  type ValidVideoRequest,
  validateVideoOptions,
} from '../src/jobs/index.ts';
import type { Catalogue, ModelSpec } from '../src/provider/index.ts';
import { sizeLabel } from './video.ts';

export const name = 'Make a video';

/** A context-menu command has a name and no description (Discord refuses one). */
export function data() {
  return new ContextMenuCommandBuilder()
    .setName(name)
    .setNameLocalizations({ [Locale.ChineseCN]: '生成视频', [Locale.ChineseTW]: '製作影片' })
    .setType(ApplicationCommandType.Message)
    .setContexts(InteractionContextType.Guild);
}

/**
 * How many reference images `model` takes. The catalogue says so once models carry
 * `maxReferenceImages` (issue 11's several-images work, on another branch); until then, one.
 */
export function maxReferenceImages(model: ModelSpec): number {
  const declared = (model as ModelSpec & { maxReferenceImages?: unknown }).maxReferenceImages;
  return typeof declared === 'number' && Number.isInteger(declared) && declared >= 0 ? declared : 1;
}

type Refusal = string | null;

/** The bot must read the channel (the message, the reply's reference) and post its card there. */
function channelRefusal(interaction: MessageContextMenuCommandInteraction, locale: string): Refusal {
  const permissions = interaction.appPermissions;
  if (!permissions.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.ReadMessageHistory])) {
    return t(locale, 'make.cannot_read');
  }
  const send = interaction.channel?.isThread()
    ? PermissionFlagsBits.SendMessagesInThreads
    : PermissionFlagsBits.SendMessages;
  return permissions.has([send, PermissionFlagsBits.EmbedLinks]) ? null : t(locale, 'make.cannot_post');
}

const imageExtensions = /\.(png|jpe?g|webp|gif)$/i;

/** An image by what Discord says of it (its bytes are checked after the form): type, else name. */
function looksLikeImage(file: Pick<AttachedImage, 'name' | 'contentType'>): boolean {
  return file.contentType ? file.contentType.startsWith('image/') : imageExtensions.test(file.name);
}

/**
 * The attachments as reference images, or why they cannot be: a video, a PDF, a file too large.
 * `notAnImage` says so for a file of the message or one uploaded in the form.
 */
function imagesOf(
  attachments: Iterable<Attachment>,
  locale: string,
  notAnImage: (name: string) => string,
): { refusal: string } | { images: AttachedImage[] } {
  const images: AttachedImage[] = [];
  for (const attachment of attachments) {
    const image = {
      url: attachment.url,
      name: attachment.name,
      size: attachment.size,
      contentType: attachment.contentType,
    };
    if (!looksLikeImage(image)) {
      return { refusal: notAnImage(image.name) };
    }
    if (image.size > maxReferenceBytes) {
      return {
        refusal: t(locale, 'error.attachment_too_large', {
          size: formatBytes(image.size),
          max: formatBytes(maxReferenceBytes),
        }),
      };
    }
    images.push(image);
  }
  return { images };
}

/** The most images any offered model takes: the form offers uploads up to it. */
function mostImagesTaken(catalogue: Catalogue): number {
  return Math.max(0, ...catalogue.offered.map(maxReferenceImages));
}

/** Quota left for the smallest video any model makes: if not, no choice in the form would fit. */
async function quotaRefusal(
  interaction: MessageContextMenuCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
): Promise<Refusal> {
  const limits = effectiveLimits(
    context.config.quotas,
    await context.store.guildSettings(interaction.guildId),
  );
  const shortest = Math.min(...context.catalogue.offered.flatMap((model) => model.seconds));
  const refusal = await context.store.quotaRefusal(
    {
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      userId: interaction.user.id,
      model: context.catalogue.defaultModel.id,
      prompt: '',
      seconds: shortest,
      size: '',
    },
    limits,
  );
  return refusal ? quotaText(interaction.locale, refusal) : null;
}

/** Who wrote the message, as the member's client shows them. */
function authorName(interaction: MessageContextMenuCommandInteraction): string {
  const message = interaction.targetMessage;
  return message.member?.displayName ?? message.author.displayName;
}

/** The message's text, its mentions named from what the interaction resolved. */
function prefilledPrompt(interaction: MessageContextMenuCommandInteraction): string {
  const message = interaction.targetMessage;
  return promptFromMessage(message.content, {
    user: (id) => {
      const user = message.mentions.users.get(id);
      return message.mentions.members?.get(id)?.displayName ?? user?.displayName;
    },
    role: (id) => interaction.guild?.roles.cache.get(id)?.name,
    channel: (id) => {
      const channel = interaction.client.channels.cache.get(id);
      return channel && 'name' in channel && channel.name ? channel.name : undefined;
    },
  });
}

function uniqueInOrder<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The form: at most 5 components (Discord's limit), each a Label around its field. */
export function makeVideoForm(
  key: string,
  content: { prompt: string; author: string; uploadSlots: number },
  catalogue: Catalogue,
  locale: string,
): ModalBuilder {
  const prompt = new TextInputBuilder()
    .setCustomId(makeVideoFields.prompt)
    .setStyle(TextInputStyle.Paragraph)
    .setMaxLength(maxPromptLength)
    .setPlaceholder(t(locale, 'command.video.prompt'))
    .setRequired(true);
  if (content.prompt) prompt.setValue(content.prompt);
  const models = catalogue.offered.slice(0, 25).map((model) => ({
    label: model.label.slice(0, 100),
    value: model.id,
    default: model.id === catalogue.defaultModel.id,
  }));
  const seconds = uniqueInOrder(catalogue.offered.flatMap((model) => model.seconds)).sort((a, b) => a - b);
  const sizes = uniqueInOrder(catalogue.offered.flatMap((model) => model.sizes));
  const select = (customId: string) =>
    new StringSelectMenuBuilder()
      .setCustomId(customId)
      .setRequired(false)
      .setPlaceholder(t(locale, 'make.default_choice'));
  const modal = new ModalBuilder()
    .setCustomId(makeVideoModalId(key))
    .setTitle(t(locale, 'make.modal_title'))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel(t(locale, 'make.prompt'))
        .setDescription(t(locale, 'make.prompt_hint', { author: content.author.slice(0, 32) }).slice(0, 100))
        .setTextInputComponent(prompt),
      new LabelBuilder()
        .setLabel(t(locale, 'make.model'))
        .setStringSelectMenuComponent(select(makeVideoFields.model).addOptions(models)),
      new LabelBuilder().setLabel(t(locale, 'make.duration')).setStringSelectMenuComponent(
        select(makeVideoFields.duration).addOptions(
          seconds.slice(0, 25).map((value) => ({
            label: t(locale, 'render.duration_value', { seconds: value }),
            value: String(value),
          })),
        ),
      ),
      new LabelBuilder()
        .setLabel(t(locale, 'make.size'))
        .setStringSelectMenuComponent(
          select(makeVideoFields.size).addOptions(
            sizes.slice(0, 25).map((size) => ({ label: sizeLabel(size, locale), value: size })),
          ),
        ),
    );
  if (content.uploadSlots > 0) {
    modal.addLabelComponents(
      new LabelBuilder()
        .setLabel(t(locale, 'make.images'))
        .setDescription(t(locale, 'make.images_hint', { max: content.uploadSlots }))
        .setFileUploadComponent(
          new FileUploadBuilder()
            .setCustomId(makeVideoFields.images)
            .setMinValues(0)
            .setMaxValues(Math.min(10, content.uploadSlots))
            .setRequired(false),
        ),
    );
  }
  return modal;
}

/**
 * Everything checked before the form opens: where the bot stands in the channel, the member's
 * rights here, the message's attachments and text, and a quota that would refuse any choice. The
 * images' bytes are checked once the model is known. The message's images, or the refusal.
 */
async function opening(
  interaction: MessageContextMenuCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
  prompt: string,
): Promise<{ refusal: string } | { images: AttachedImage[] }> {
  const locale = interaction.locale;
  const where = channelRefusal(interaction, locale) ?? (await requireAllowedToGenerate(interaction, context));
  if (where) return { refusal: where };
  const attached = imagesOf(interaction.targetMessage.attachments.values(), locale, (fileName) =>
    t(locale, 'make.attachment_not_image', { name: escapeUntrusted(fileName, 100) }),
  );
  if ('refusal' in attached) return attached;
  if (!hasVisibleText(prompt) && attached.images.length === 0)
    return { refusal: t(locale, 'make.nothing_to_use') };
  const quota = await quotaRefusal(interaction, context);
  return quota ? { refusal: quota } : attached;
}

/** The form must be the first answer (within 3 s): nothing is deferred before it. */
async function execute(
  interaction: MessageContextMenuCommandInteraction,
  context: BotContext,
): Promise<void> {
  const locale = interaction.locale;
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(locale, 'error.guild_only')));
    return;
  }
  const prompt = prefilledPrompt(interaction);
  const opened = await opening(interaction, context, prompt);
  if ('refusal' in opened) {
    await interaction.reply(ephemeralText(opened.refusal));
    return;
  }
  const message = interaction.targetMessage;
  context.messageDrafts.put(interaction.id, {
    userId: interaction.user.id,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    messageId: message.id,
    authorId: message.author.id,
    images: opened.images,
  });
  const uploadSlots = Math.max(0, mostImagesTaken(context.catalogue) - opened.images.length);
  await interaction.showModal(
    makeVideoForm(
      interaction.id,
      { prompt, author: authorName(interaction), uploadSlots },
      context.catalogue,
      locale,
    ),
  );
}

/** The form's choices; a select left alone is the model's default. */
function chosenOptions(interaction: ModalSubmitInteraction, catalogue: Catalogue) {
  const fields = interaction.fields;
  const first = (customId: string) => fields.getStringSelectValues(customId)[0] ?? null;
  const seconds = first(makeVideoFields.duration);
  return validateVideoOptions(
    {
      prompt: fields.getTextInputValue(makeVideoFields.prompt),
      model: first(makeVideoFields.model),
      seconds: seconds === null ? null : Number(seconds),
      size: first(makeVideoFields.size),
    },
    catalogue,
  );
}

/** The files the member added in the form (none when the form had no upload field). */
function uploadedImages(interaction: ModalSubmitInteraction): Attachment[] {
  if (!interaction.fields.fields.has(makeVideoFields.images)) return [];
  return [...(interaction.fields.getUploadedFiles(makeVideoFields.images)?.values() ?? [])];
}

/** The message is still there for the reply: a refusal when Discord says it is gone or unreadable. */
async function messageRefusal(
  interaction: ModalSubmitInteraction,
  draft: MessageDraft,
  locale: string,
): Promise<Refusal> {
  try {
    await interaction.client.rest.get(Routes.channelMessage(draft.channelId, draft.messageId));
    return null;
  } catch (error) {
    if (!(error instanceof DiscordAPIError)) throw error;
    if (Number(error.code) === RESTJSONErrorCodes.UnknownMessage) return t(locale, 'make.message_gone');
    if (error.status === 403 || error.status === 404) return t(locale, 'make.cannot_read');
    // A 5xx proves nothing: the card is posted without failing on a missing message anyway.
    return null;
  }
}

interface CheckedImages {
  references: CheckedImage[];
  leftOut: AttachedImage[];
}

/** The images the model takes (the message's first, then the form's), downloaded and checked. */
async function checkedImages(
  interaction: ModalSubmitInteraction,
  context: BotContext,
  draft: MessageDraft,
  model: ModelSpec,
): Promise<{ refusal: string } | CheckedImages> {
  const locale = interaction.locale;
  const uploads = imagesOf(uploadedImages(interaction), locale, (fileName) =>
    notAnImageText(locale, fileName),
  );
  if ('refusal' in uploads) return uploads;
  const all = [...draft.images, ...uploads.images];
  const limit = maxReferenceImages(model);
  const checked = await checkAttachedImages(all.slice(0, limit), model, context, locale);
  if ('refusal' in checked) return checked;
  return { references: checked.images, leftOut: all.slice(limit) };
}

/** Checks before acknowledging, within the time Discord allows; the images may finish behind an ephemeral deferral. */
async function settingsRefusal(
  interaction: ModalSubmitInteraction<'cached' | 'raw'>,
  context: BotContext,
  request: ValidVideoRequest,
): Promise<Refusal> {
  const refusal = await requireAllowedToGenerate(interaction, context);
  if (refusal) return refusal;
  const limits = effectiveLimits(
    context.config.quotas,
    await context.store.guildSettings(interaction.guildId),
  );
  const quota = await context.store.quotaRefusal(
    {
      guildId: interaction.guildId,
      channelId: interaction.channelId ?? '',
      userId: interaction.user.id,
      model: request.model.id,
      prompt: '',
      seconds: request.seconds,
      size: '',
    },
    limits,
  );
  return quota ? quotaText(interaction.locale, quota) : null;
}

function pointer(locale: string, model: ModelSpec, leftOut: AttachedImage[]) {
  return (job: { id: number }, cardLink: string) => {
    const started = t(locale, 'make.started', { id: job.id, link: cardLink });
    if (leftOut.length === 0) return started;
    const names = listText(
      locale,
      leftOut.map((image) => escapeUntrusted(image.name, 60)),
    );
    const note = t(locale, 'make.images_left_out', {
      model: escapeUntrusted(model.label, 60),
      max: maxReferenceImages(model),
      names,
    });
    return `${started}\n${note}`;
  };
}

async function submit(interaction: ModalSubmitInteraction, context: BotContext): Promise<void> {
  const deadline = performance.now() + context.checkBeforeAcknowledgeMs;
  const locale = interaction.locale;
  const key = parseMakeVideoModalId(interaction.customId);
  const draft = key ? context.messageDrafts.take(key) : undefined;
  if (
    !interaction.inGuild() ||
    !draft ||
    draft.userId !== interaction.user.id ||
    draft.guildId !== interaction.guildId
  ) {
    await interaction.reply(ephemeralText(t(locale, 'make.form_expired')));
    return;
  }
  const validated = chosenOptions(interaction, context.catalogue);
  if (!validated.ok) {
    await interaction.reply(ephemeralText(problemText(locale, validated)));
    return;
  }
  const request = validated.value;
  const refusal = await settingsRefusal(interaction, context, request);
  if (refusal) {
    await interaction.reply(ephemeralText(refusal));
    return;
  }
  const check = async (): Promise<{ refusal: string } | CheckedImages> => {
    const gone = await messageRefusal(interaction, draft, locale);
    return gone ? { refusal: gone } : checkedImages(interaction, context, draft, request.model);
  };
  const images = await acknowledgeAfter(interaction, check(), deadline, { ephemeral: true });
  if (!images) return;
  await startJobs(
    interaction,
    context,
    { model: request.model.id, prompt: request.prompt, seconds: request.seconds, size: request.size },
    { references: images.references },
    {
      kind: 'message_reply',
      origin: { channelId: draft.channelId, messageId: draft.messageId, authorId: draft.authorId },
      pointer: pointer(locale, request.model, images.leftOut),
    },
  );
}

export const command: MessageCommand = { type: ApplicationCommandType.Message, name, data, execute };

/** The form the command opens. */
export const makeVideoModal: ModalHandler = {
  matches: (customId) => parseMakeVideoModalId(customId) !== null,
  run: submit,
};
