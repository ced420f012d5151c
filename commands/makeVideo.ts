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
  attachedImage,
  attachmentRefusal,
  type CheckedImage,
  checkAttachedImages,
} from '../src/discord/checkedReference.ts';
import type { MessageCommand, ModalHandler } from '../src/discord/commandContract.ts';
import type { BotContext } from '../src/discord/context.ts';
import { makeVideoFields, makeVideoModalId, parseMakeVideoModalId } from '../src/discord/customIds.ts';
import type { MessageDraft } from '../src/discord/messageDrafts.ts';
import { promptFromMessage } from '../src/discord/messagePrompt.ts';
import { blockedPromptRefusal } from '../src/discord/promptCheck.ts';
import { ephemeralText, escapeUntrusted } from '../src/discord/render.ts';
import { notAnImageText, problemText } from '../src/discord/replies.ts';
import {
  acknowledgeAfter,
  onItsWayText,
  type PostedCard,
  refusalToGenerate,
  startJobs,
} from '../src/discord/startJob.ts';
import { type SettledRequest, settleRequest } from '../src/discord/styledRequest.ts';
import { listText, t } from '../src/i18n/index.ts';
import { hasVisibleText, maxPromptLength, maxTakes } from '../src/jobs/index.ts';
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

/**
 * The attachments as reference images, or why they cannot be: a video, a PDF, a file too large
 * (their bytes are checked once the form is submitted). `notAnImage` says so for a file of the
 * message or one uploaded in the form.
 */
function imagesOf(
  attachments: Iterable<Attachment>,
  locale: string,
  notAnImage: (name: string) => string,
): { refusal: string } | { images: AttachedImage[] } {
  const images = [...attachments].map(attachedImage);
  const refusal = images.map((image) => attachmentRefusal(image, locale, notAnImage)).find(Boolean);
  return refusal ? { refusal } : { images };
}

/** The most images any offered model takes: the form offers uploads up to it. */
function mostImagesTaken(catalogue: Catalogue): number {
  return Math.max(0, ...catalogue.offered.map((model) => model.maxReferenceImages));
}

/** Blocks, channels, and quota left for the smallest video any model makes: if not, no choice in the form would fit. */
function generateRefusal(
  interaction: MessageContextMenuCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
): Promise<Refusal> {
  const shortest = Math.min(...context.catalogue.offered.flatMap((model) => model.seconds));
  return refusalToGenerate(interaction, context, {
    model: context.catalogue.defaultModel.id,
    seconds: shortest,
    size: '',
  });
}

/** Who wrote the message, as the member's client shows them. */
function authorName(interaction: MessageContextMenuCommandInteraction): string {
  const message = interaction.targetMessage;
  return message.member?.displayName ?? message.author.displayName;
}

/** The message's text, its mentions named from what the interaction resolved. */
function prefilledPrompt(interaction: MessageContextMenuCommandInteraction): string {
  const message = interaction.targetMessage;
  return promptFromMessage(
    message.content,
    {
      user: (id) => {
        const user = message.mentions.users.get(id);
        return message.mentions.members?.get(id)?.displayName ?? user?.displayName;
      },
      role: (id) => interaction.guild?.roles.cache.get(id)?.name,
      channel: (id) => {
        const channel = interaction.client.channels.cache.get(id);
        return channel && 'name' in channel && channel.name ? channel.name : undefined;
      },
    },
    interaction.locale,
  );
}

/** Discord's most options in a select menu. */
const maxOptions = 25;

const durationAndSizeValue = (seconds: number, size: string) => `${seconds}:${size}`;

/** A choice of the duration-and-size select back as its two settings; nulls for none (the model's defaults). */
function parseDurationAndSize(value: string | null): { seconds: number | null; size: string | null } {
  const match = value ? /^(\d{1,4}):(\d{1,5}x\d{1,5})$/.exec(value) : null;
  return match ? { seconds: Number(match[1]), size: match[2] ?? null } : { seconds: null, size: null };
}

/**
 * Every duration and size an offered model makes together, one choice each: the default model's
 * first (so they are never the ones cut at Discord's 25), then the others', by duration.
 */
function durationAndSizeChoices(catalogue: Catalogue): { seconds: number; size: string }[] {
  const models = [catalogue.defaultModel, ...catalogue.offered];
  const choices = new Map<string, { seconds: number; size: string }>();
  for (const model of models) {
    for (const seconds of model.seconds) {
      for (const size of model.sizes) {
        const value = durationAndSizeValue(seconds, size);
        if (choices.size < maxOptions && !choices.has(value)) choices.set(value, { seconds, size });
      }
    }
  }
  // A stable sort: the sizes of one duration stay in the models' order.
  return [...choices.values()].sort((a, b) => a.seconds - b.seconds);
}

/**
 * The form: at most 5 components (Discord's limit), each a Label around its field. Prompt, model
 * (in a server with styles: model and style, one select taking one of each), duration and size
 * (one select: a sixth field would not fit), takes and, when a model takes more images than the
 * message carries, an upload.
 */
export function makeVideoForm(
  key: string,
  content: { prompt: string; author: string; uploadSlots: number; styles?: readonly string[] },
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
  // A server with styles: the model select offers them too (one of each), as a sixth field would not fit.
  const styles = (content.styles ?? []).slice(0, maxOptions - models.length).map((style) => ({
    label: t(locale, 'make.style_option', { name: style }).slice(0, 100),
    value: styleChoiceValue(style),
  }));
  const durationsAndSizes = durationAndSizeChoices(catalogue).map(({ seconds, size }) => ({
    label: `${t(locale, 'render.duration_value', { seconds })} · ${sizeLabel(size, locale)}`.slice(0, 100),
    value: durationAndSizeValue(seconds, size),
  }));
  const takes = Array.from({ length: maxTakes }, (_, index) => ({
    label: index === 0 ? t(locale, 'make.takes_one') : t(locale, 'make.takes_several', { count: index + 1 }),
    value: String(index + 1),
    default: index === 0,
  }));
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
      styles.length === 0
        ? new LabelBuilder()
            .setLabel(t(locale, 'make.model'))
            .setStringSelectMenuComponent(select(makeVideoFields.model).addOptions(models))
        : new LabelBuilder()
            .setLabel(t(locale, 'make.model_and_style'))
            .setDescription(t(locale, 'make.model_and_style_hint').slice(0, 100))
            .setStringSelectMenuComponent(
              select(makeVideoFields.model)
                .setMinValues(0)
                .setMaxValues(2)
                .addOptions(...models, ...styles),
            ),
      new LabelBuilder()
        .setLabel(t(locale, 'make.duration_and_size'))
        .setStringSelectMenuComponent(select(makeVideoFields.durationAndSize).addOptions(durationsAndSizes)),
      new LabelBuilder()
        .setLabel(t(locale, 'make.takes'))
        .setDescription(t(locale, 'make.takes_hint'))
        .setStringSelectMenuComponent(select(makeVideoFields.takes).addOptions(takes)),
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
  const where =
    channelRefusal(interaction, locale) ??
    // The message's text is the form's prompt: a blocked word in it is refused before the form opens.
    (hasVisibleText(prompt) ? await blockedPromptRefusal(interaction, context, prompt) : null) ??
    (await generateRefusal(interaction, context));
  if (where) return { refusal: where };
  const attached = imagesOf(interaction.targetMessage.attachments.values(), locale, (fileName) =>
    t(locale, 'make.attachment_not_image', { name: escapeUntrusted(fileName, 100) }),
  );
  if ('refusal' in attached) return attached;
  if (!hasVisibleText(prompt) && attached.images.length === 0)
    return { refusal: t(locale, 'make.nothing_to_use') };
  return attached;
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
    authorName: authorName(interaction),
    images: opened.images,
  });
  const uploadSlots = Math.max(0, mostImagesTaken(context.catalogue) - opened.images.length);
  const styles = (await context.store.styles(interaction.guildId)).map((style) => style.name);
  await interaction.showModal(
    makeVideoForm(
      interaction.id,
      { prompt, author: authorName(interaction), uploadSlots, styles },
      context.catalogue,
      locale,
    ),
  );
}

const stylePrefix = 'style:';
const styleChoiceValue = (name: string) => `${stylePrefix}${name}`;

/**
 * The form's choices, with the style picked (or the channel's) and the channel's defaults and
 * caps; a select left alone is the default (one take). The model-and-style select gives at most
 * one of each.
 */
async function chosenOptions(
  interaction: ModalSubmitInteraction,
  context: BotContext,
): Promise<{ refusal: string } | SettledRequest> {
  const fields = interaction.fields;
  const first = (customId: string) => fields.getStringSelectValues(customId)[0] ?? null;
  const picked = fields.getStringSelectValues(makeVideoFields.model);
  const isStyle = (value: string) => value.startsWith(stylePrefix) && !context.catalogue.find(value);
  const models = picked.filter((value) => !isStyle(value));
  const styles = picked.filter(isStyle).map((value) => value.slice(stylePrefix.length));
  if (models.length > 1 || styles.length > 1)
    return { refusal: t(interaction.locale, 'error.make_one_each') };
  const takes = first(makeVideoFields.takes);
  return settleRequest(interaction, context, {
    prompt: fields.getTextInputValue(makeVideoFields.prompt),
    model: models[0] ?? null,
    ...parseDurationAndSize(first(makeVideoFields.durationAndSize)),
    takes: takes === null ? null : Number(takes),
    style: styles[0] ?? null,
  });
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

/**
 * The images the model takes, by count, before anything is downloaded: the message's up to the
 * model's limit (the rest are left out, named in the answer: the member cannot unpick them), then
 * every file uploaded in the form, which the member chose: uploads that do not fit are refused, as
 * /video refuses an image the model cannot take. A model that takes none refuses a message's
 * images rather than make a video that ignores them all.
 */
function imagesFor(
  model: ModelSpec,
  carried: readonly AttachedImage[],
  uploads: readonly AttachedImage[],
  locale: string,
): { refusal: string } | { used: AttachedImage[]; leftOut: AttachedImage[] } {
  const max = model.maxReferenceImages;
  const name = escapeUntrusted(model.label, 60);
  if (max === 0 && carried.length > 0) {
    return { refusal: t(locale, 'make.no_references', { model: name, count: carried.length }) };
  }
  const fromMessage = carried.slice(0, max);
  if (fromMessage.length + uploads.length > max) {
    const refusal =
      max === 0
        ? problemText(locale, { problem: 'too_many_references', model: model.id, count: uploads.length, max })
        : t(locale, 'make.too_many_uploads', {
            model: name,
            max,
            used: fromMessage.length,
            count: uploads.length,
          });
    return { refusal };
  }
  return { used: [...fromMessage, ...uploads], leftOut: carried.slice(max) };
}

/** The images of the message and the form's uploads for `model`, by what Discord says of them. */
function imagesOfForm(
  interaction: ModalSubmitInteraction,
  model: ModelSpec,
  draft: MessageDraft,
  locale: string,
): ReturnType<typeof imagesFor> {
  const uploads = imagesOf(uploadedImages(interaction), locale, (fileName) =>
    notAnImageText(locale, fileName),
  );
  return 'refusal' in uploads ? uploads : imagesFor(model, draft.images, uploads.images, locale);
}

/** What the member reads privately once the cards are posted: each take's link, and the images left out. */
function pointer(locale: string, context: BotContext, model: ModelSpec, leftOut: readonly AttachedImage[]) {
  return (cards: readonly PostedCard[]) => {
    const lines = cards.map((card) =>
      card.link
        ? t(locale, 'make.started', { id: card.job.id, link: card.link })
        : onItsWayText(card.job, locale, context),
    );
    if (leftOut.length > 0) {
      const names = listText(
        locale,
        leftOut.map((image) => escapeUntrusted(image.name, 60)),
      );
      lines.push(
        t(locale, 'make.images_left_out', {
          model: escapeUntrusted(model.label, 60),
          max: model.maxReferenceImages,
          names,
        }),
      );
    }
    return lines.join('\n');
  };
}

async function submit(interaction: ModalSubmitInteraction, context: BotContext): Promise<void> {
  const deadline = performance.now() + context.checkBeforeAcknowledgeMs;
  const locale = interaction.locale;
  const refuse = async (text: string) => {
    await interaction.reply(ephemeralText(text));
  };
  const key = parseMakeVideoModalId(interaction.customId);
  const draft = key ? context.messageDrafts.take(key) : undefined;
  if (
    !interaction.inGuild() ||
    !draft ||
    draft.userId !== interaction.user.id ||
    draft.guildId !== interaction.guildId
  ) {
    return refuse(t(locale, 'make.form_expired'));
  }
  const settled = await chosenOptions(interaction, context);
  if ('refusal' in settled) return refuse(settled.refusal);
  const { request, style, defaultsApplied, opensThread } = settled;
  // Counts and rights first (cheap); the message and the images' bytes behind the acknowledgement if need be.
  const images = imagesOfForm(interaction, request.model, draft, locale);
  if ('refusal' in images) return refuse(images.refusal);
  // The prompt as sent (the member may have edited the message's text) meets the blocked words.
  const blocked = await blockedPromptRefusal(interaction, context, request.prompt);
  if (blocked) return refuse(blocked);
  const refusal = await refusalToGenerate(interaction, context, {
    model: request.model.id,
    seconds: request.seconds,
    size: request.size,
    takes: request.takes,
  });
  if (refusal) return refuse(refusal);
  const check = async (): Promise<{ refusal: string } | { images: CheckedImage[] }> => {
    const gone = await messageRefusal(interaction, draft, locale);
    return gone ? { refusal: gone } : checkAttachedImages(images.used, request.model, context, locale);
  };
  const checked = await acknowledgeAfter(interaction, check(), deadline, { ephemeral: true });
  if (!checked) return;
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
      origin: {
        kind: 'message',
        channelId: draft.channelId,
        messageId: draft.messageId,
        authorId: draft.authorId,
        authorName: draft.authorName,
      },
      references: checked.images,
      // `/video-admin threads on` here: the first card opens its thread at once.
      openThread: opensThread,
    },
    {
      kind: 'message_reply',
      messageId: draft.messageId,
      pointer: pointer(locale, context, request.model, images.leftOut),
    },
  );
}

export const command: MessageCommand = { type: ApplicationCommandType.Message, name, data, execute };

/** The form the command opens. */
export const makeVideoModal: ModalHandler = {
  matches: (customId) => parseMakeVideoModalId(customId) !== null,
  run: submit,
};
