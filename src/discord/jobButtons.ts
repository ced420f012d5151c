// The buttons on a job's message (Cancel, Regenerate, Remix, Open a thread, Remove) and the remix modal.
import {
  ActionRowBuilder,
  type ButtonInteraction,
  channelMention,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { t } from '../i18n/index.ts';
import {
  cancelJob,
  checkPrompt,
  isFinal,
  type Job,
  type JobOrigin,
  type JobReferenceImage,
  jobStyle,
  maxPromptLength,
  maxReferenceBytes,
  removeVideo,
} from '../jobs/index.ts';
import { loadReferenceImage } from '../jobs/referenceImages.ts';
import type { ModelSpec } from '../provider/index.ts';
import { type CheckedImage, type CheckedReferenceImage, checkedReference } from './checkedReference.ts';
import type { ButtonHandler, ModalHandler } from './commandContract.ts';
import type { BotContext } from './context.ts';
import { customIdNamesJob, jobCustomId, parseJobCustomId, remixPromptField } from './customIds.ts';
import { madeSinceJobStarted } from './messenger.ts';
import { startThreadOn } from './openThread.ts';
import { requireAllowedToGenerate, requireRequesterOrModerator } from './permissions.ts';
import { blockedPromptRefusal } from './promptCheck.ts';
import { ephemeralText, renderJob, toReplyOptions } from './render.ts';
import { problemText } from './replies.ts';
import {
  acknowledgeAfter,
  type CardPlace,
  redrawAfterThreadOpened,
  refusalToGenerate,
  startJobs,
} from './startJob.ts';
import { capRefusal } from './styledRequest.ts';
import { missingThreadPermissions } from './threads.ts';

type JobInteraction = ButtonInteraction | ModalSubmitInteraction;

/** Loads the job named by the custom id and checks the clicker may act on it; replies when not. */
async function authorisedJob(interaction: JobInteraction, context: BotContext): Promise<Job | null> {
  // Only a card sent by DM (older ones carried these buttons) is clicked outside a server.
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(interaction.locale, 'error.buttons_in_server')));
    return null;
  }
  const parsed = parseJobCustomId(interaction.customId);
  const job = parsed ? await context.store.get(parsed.jobId) : undefined;
  // The number alone could name another database's job (a card from before a reset, or from a
  // database a backup replaced): the id's tag must be this job's, and a card older than the job
  // (drawn by a version without tags) is never its card.
  const card = interaction.message;
  const namesJob =
    parsed && job && customIdNamesJob(parsed, job) && (!card || madeSinceJobStarted(card.id, job));
  if (!job || !namesJob || job.guildId !== interaction.guildId) {
    await interaction.reply(ephemeralText(t(interaction.locale, 'error.job_not_found')));
    return null;
  }
  if (!(await requireRequesterOrModerator(interaction, job, context.store))) {
    await interaction.reply(ephemeralText(t(interaction.locale, 'error.not_requester')));
    return null;
  }
  return job;
}

async function cancel(interaction: ButtonInteraction, context: BotContext, job: Job): Promise<void> {
  // Acknowledged first: Discord forgets an interaction that is not answered within 3 seconds,
  // and the card's edit below waits its turn behind any progress edit under way.
  await interaction.deferUpdate();
  const canceled = await cancelJob(
    { store: context.store, client: context.videoClient, logger: context.logger },
    job,
    interaction.user.id,
  );
  if (!canceled) {
    await interaction.followUp(ephemeralText(t(interaction.locale, 'error.not_finished')));
    return;
  }
  if (canceled.userId !== interaction.user.id) {
    await context.moderation.audit({
      guildId: canceled.guildId,
      actorId: interaction.user.id,
      action: 'job.cancel',
      target: String(canceled.id),
    });
  }
  // In the job's edit chain, so a progress edit already under way cannot land after it.
  await context.notifier.showNow(canceled, () =>
    interaction.editReply(
      toReplyOptions(
        renderJob(canceled, canceled.locale, { ...context.renderContext(canceled), now: context.now() }),
      ),
    ),
  );
}

/**
 * The original reference image again (image `index` of the job, from 1), decoded as /video decodes
 * it. Its bytes were kept in the media folder when the job was submitted, because Discord's signed
 * attachment link dies after about a day. Models that take a URL get the original link while it
 * still answers, else the bot's own signed link to the kept copy (with PUBLIC_URL), else the kept
 * bytes as a data URL (which not every gateway accepts). An image that fails the checks is not
 * sent; when none passes, the refusal says why (or that the image is gone). The job keeps the
 * original link and name whatever is sent.
 */
async function reuseReference(
  job: Job,
  image: JobReferenceImage,
  index: number,
  model: ModelSpec,
  context: BotContext,
  locale: string,
): Promise<CheckedReferenceImage> {
  const source = { url: image.url, fileName: image.name };
  const check = (bytes: Uint8Array | null) => (bytes ? checkedReference(bytes, source, model, locale) : null);
  const kept = await check(await loadReferenceImage(context.config.media.dir, job, index));
  if (kept && 'kept' in kept && model.referenceShape === 'multipart') return kept;
  const fresh = await check(await context.fetchAttachment(image.url, maxReferenceBytes).catch(() => null));
  if (fresh && 'kept' in fresh) return fresh;
  if (kept && 'kept' in kept) {
    const { bytes, contentType } = kept.reference;
    const url =
      context.referenceLink(job, index) ??
      `data:${contentType};base64,${Buffer.from(bytes ?? []).toString('base64')}`;
    return { ...kept, reference: { ...kept.reference, url } };
  }
  return fresh ?? kept ?? { refusal: t(locale, 'error.reference_gone') };
}

/** Every reference image of the job again, in order, or the refusal of the first that cannot be. */
async function reuseReferences(
  job: Job,
  model: ModelSpec,
  context: BotContext,
  locale: string,
): Promise<{ refusal: string } | { images: CheckedImage[] }> {
  const reused = await Promise.all(
    job.referenceImages.map((image, index) => reuseReference(job, image, index + 1, model, context, locale)),
  );
  const refused = reused.find((image) => 'refusal' in image);
  if (refused && 'refusal' in refused) return refused;
  return { images: reused.filter((image): image is CheckedImage => 'kept' in image) };
}

/** Model still offered and taking the job's images, member and channel allowed, quota left: the refusal to show, or null. */
async function generateRefusal(
  interaction: JobInteraction,
  context: BotContext,
  job: Job,
): Promise<string | null> {
  const model = context.catalogue.find(job.model);
  if (!model) {
    return problemText(interaction.locale, {
      problem: 'unknown_model',
      model: job.model,
      allowed: context.catalogue.offered.map((m) => m.id),
    });
  }
  if (job.referenceImages.length > model.maxReferenceImages) {
    return problemText(interaction.locale, {
      problem: 'too_many_references',
      model: model.id,
      count: job.referenceImages.length,
      max: model.maxReferenceImages,
    });
  }
  return (
    (await capRefusal(interaction, context, { seconds: job.seconds, takes: 1 })) ??
    refusalToGenerate(interaction, context, job)
  );
}

/** Where a job made from the clicked card's job comes from: that job, and its card. */
function madeFrom(interaction: JobInteraction, job: Job, kind: 'regenerate' | 'remix'): JobOrigin {
  return {
    kind,
    jobId: job.id,
    channelId: interaction.channelId,
    messageId: interaction.message?.id ?? job.replyMessageId,
  };
}

/**
 * Where the cards of a job made from `job` go: the thread it is in (opened on its card, or
 * inherited), or the interaction's reply in the channel.
 */
function placeFor(job: Job): CardPlace | undefined {
  if (!job.threadId) return undefined;
  return {
    kind: 'thread',
    threadId: job.threadId,
    channelId: job.channelId,
    sourceJobId: job.id,
    // Should the thread be gone, the card replies in the channel to the card the thread was
    // started from: a thread started from a message has that message's id.
    channelReplyTo: job.threadId,
  };
}

async function regenerate(interaction: ButtonInteraction, context: BotContext, job: Job): Promise<void> {
  const deadline = performance.now() + context.checkBeforeAcknowledgeMs;
  // A row kept from before prompts were checked for visible text is not sent again as it is.
  const checked = checkPrompt(job.prompt);
  // A word blocked since the job was made refuses its prompt too.
  const refusal = checked.ok
    ? ((await blockedPromptRefusal(interaction, context, job.prompt)) ??
      (await generateRefusal(interaction, context, job)))
    : problemText(interaction.locale, checked);
  if (refusal) {
    await interaction.reply(ephemeralText(refusal));
    return;
  }
  const model = context.catalogue.find(job.model);
  const place = placeFor(job);
  // A card in a thread is the bot's own message there: the member's reply only points at it.
  const ephemeral = place !== undefined;
  let references: CheckedImage[] = [];
  if (job.referenceImages.length > 0 && model) {
    const reused = await acknowledgeAfter(
      interaction,
      reuseReferences(job, model, context, interaction.locale),
      deadline,
      { ephemeral },
    );
    if (!reused) return;
    references = reused.images;
  } else {
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  }
  await startJobs(
    interaction,
    context,
    { model: job.model, prompt: job.prompt, seconds: job.seconds, size: job.size, style: jobStyle(job) },
    { origin: madeFrom(interaction, job, 'regenerate'), references },
    place,
  );
}

/**
 * Open a thread: a public thread on the job's card, named from its prompt, whose id the row keeps,
 * so what is made from the job (and from those made from it) is posted there. Re-checked on the
 * row: not in a thread already, the card is the job's current one and not itself in a thread, and
 * the bot has both thread permissions here.
 */
async function openThread(interaction: ButtonInteraction, context: BotContext, job: Job): Promise<void> {
  const locale = interaction.locale;
  const refuse = (text: string) => interaction.reply(ephemeralText(text));
  if (job.threadId)
    return void (await refuse(t(locale, 'thread.already', { thread: channelMention(job.threadId) })));
  const card = interaction.message;
  // Discord starts no thread inside a thread (50024): a card of a /video used in one has none.
  if (interaction.channel?.isThread()) {
    return void (await refuse(t(locale, 'thread.in_thread')));
  }
  if (job.replyMessageId !== null && job.replyMessageId !== card.id) {
    return void (await refuse(t(locale, 'thread.not_card')));
  }
  const missing = missingThreadPermissions(interaction.appPermissions, locale);
  if (missing) return void (await refuse(missing));
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const started = await startThreadOn(interaction.client.rest, {
    channelId: interaction.channelId,
    messageId: card.id,
    prompt: job.prompt,
  });
  if (!started.ok) {
    if (started.reason === 'failed') {
      context.logger.warn({ err: started.error, jobId: job.id }, 'could not open a thread on the card');
    }
    const text =
      started.reason === 'permissions'
        ? (missingThreadPermissions(null, locale) ?? t(locale, 'thread.failed'))
        : t(locale, 'thread.failed');
    await interaction.editReply({ content: text, allowedMentions: { parse: [] } });
    return;
  }
  const opened = await context.store.update(job.id, {
    threadId: started.threadId,
    ...(job.replyMessageId === null ? { replyMessageId: card.id } : {}),
  });
  context.logger.info({ jobId: job.id }, 'opened a thread on the card');
  await redrawAfterThreadOpened(context, opened);
  await interaction.editReply({
    content: t(locale, 'thread.opened', { thread: channelMention(started.threadId) }),
    allowedMentions: { parse: [] },
  });
}

/**
 * Remove: the delivered video leaves its card (an edit with no attachments), the card says who
 * removed it, the kept file goes (and with it the bot's links), the row and the audit log say so.
 * For the requester and moderators only (authorisedJob); the prompt stays, and Regenerate with it.
 */
async function remove(interaction: ButtonInteraction, context: BotContext, job: Job): Promise<void> {
  const locale = interaction.locale;
  if (job.removedAt !== null) {
    await interaction.reply(ephemeralText(t(locale, 'remove.already')));
    return;
  }
  if (job.state !== 'delivered') {
    await interaction.reply(ephemeralText(t(locale, 'remove.not_delivered')));
    return;
  }
  await interaction.deferUpdate();
  const role = job.userId === interaction.user.id ? 'requester' : 'moderator';
  const removed = await removeVideo(
    {
      store: context.store,
      mediaDir: context.config.media.dir,
      now: context.now,
      client: context.videoClient,
      logger: context.logger,
    },
    job,
    { userId: interaction.user.id, role },
  );
  if (!removed) {
    await interaction.followUp(ephemeralText(t(locale, 'remove.already')));
    return;
  }
  await context.moderation.audit({
    guildId: removed.guildId,
    actorId: interaction.user.id,
    action: 'job.remove',
    target: String(removed.id),
    details: { role },
  });
  context.logger.info({ jobId: removed.id, role }, 'video removed');
  const payload = renderJob(removed, removed.locale, {
    ...context.renderContext(removed),
    now: context.now(),
  });
  await context.notifier.serially(removed.id, () =>
    interaction.editReply({ ...toReplyOptions(payload), attachments: [] }),
  );
  await interaction.followUp(ephemeralText(t(locale, 'remove.done')));
}

async function askRemixPrompt(interaction: ButtonInteraction, context: BotContext, job: Job): Promise<void> {
  if (!context.catalogue.find(job.model)?.supportsRemix || !job.remoteId) {
    await interaction.reply(
      ephemeralText(t(interaction.locale, 'error.remix_unsupported', { model: job.model })),
    );
    return;
  }
  const refusal =
    (await requireAllowedToGenerate(interaction, context)) ??
    (await capRefusal(interaction, context, { seconds: job.seconds, takes: 1 }));
  if (refusal) {
    await interaction.reply(ephemeralText(refusal));
    return;
  }
  const input = new TextInputBuilder()
    .setCustomId(remixPromptField)
    .setLabel(t(interaction.locale, 'modal.remix_prompt'))
    .setStyle(TextInputStyle.Paragraph)
    .setMaxLength(maxPromptLength)
    .setRequired(true);
  const modal = new ModalBuilder()
    .setCustomId(jobCustomId('remix-modal', job))
    .setTitle(t(interaction.locale, 'modal.remix_title'))
    .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input));
  await interaction.showModal(modal);
}

async function handleJobButton(interaction: ButtonInteraction, context: BotContext): Promise<void> {
  const job = await authorisedJob(interaction, context);
  if (!job) return;
  const action = parseJobCustomId(interaction.customId)?.action;
  if (action === 'cancel') return cancel(interaction, context, job);
  if (action === 'regen') return regenerate(interaction, context, job);
  if (action === 'remix') return askRemixPrompt(interaction, context, job);
  if (action === 'thread') return openThread(interaction, context, job);
  if (action === 'remove') return remove(interaction, context, job);
}

async function handleRemixModal(interaction: ModalSubmitInteraction, context: BotContext): Promise<void> {
  const job = await authorisedJob(interaction, context);
  if (!job) return;
  if (!job.remoteId || !isFinal(job.state) || !context.catalogue.find(job.model)?.supportsRemix) {
    await interaction.reply(
      ephemeralText(t(interaction.locale, 'error.remix_unsupported', { model: job.model })),
    );
    return;
  }
  const checked = checkPrompt(interaction.fields.getTextInputValue(remixPromptField));
  if (!checked.ok) {
    await interaction.reply(ephemeralText(problemText(interaction.locale, checked)));
    return;
  }
  const prompt = checked.prompt;
  const refusal =
    (await blockedPromptRefusal(interaction, context, prompt)) ??
    (await generateRefusal(interaction, context, job));
  if (refusal) {
    await interaction.reply(ephemeralText(refusal));
    return;
  }
  const place = placeFor(job);
  await interaction.deferReply(place ? { flags: MessageFlags.Ephemeral } : {});
  await startJobs(
    interaction,
    context,
    {
      model: job.model,
      prompt,
      seconds: job.seconds,
      size: job.size,
      remixOfJobId: job.id,
      remixOfRemoteId: job.remoteId,
      // The new prompt goes with the job's style, as the first one did.
      style: jobStyle(job),
    },
    { origin: madeFrom(interaction, job, 'remix') },
    place,
  );
}

/** Cancel, Regenerate, Remix, Open a thread and Remove on a job's card, drawn by renderJob. */
export const jobButtons: ButtonHandler = {
  matches: (customId) => {
    const action = parseJobCustomId(customId)?.action;
    return action !== undefined && action !== 'remix-modal';
  },
  run: handleJobButton,
};

/** The Remix button's modal. */
export const remixModal: ModalHandler = {
  matches: (customId) => parseJobCustomId(customId)?.action === 'remix-modal',
  run: handleRemixModal,
};
