// After a command or button was acknowledged: submit the job and show its live message, as the
// interaction's reply, or (Make a video) as the bot's reply to the member's message.
import { MessageFlags, messageLink, type RepliableInteraction } from 'discord.js';
import { t } from '../i18n/index.ts';
import type { Job, SubmitRequest } from '../jobs/index.ts';
import { resultWithin, submitJob } from '../jobs/index.ts';
import { saveReferenceImage } from '../jobs/referenceImages.ts';
import type { BotContext } from './context.ts';
import type { MessageOrigin } from './messageOrigins.ts';
import { ephemeralText, renderJob, toReplyOptions, withSimulatedLabel } from './render.ts';
import { providerErrorText, quotaText } from './replies.ts';

/**
 * How long other processes keep off a new job's card while this one draws it: the first card is one
 * Discord edit, and a later poll shows whatever it would have shown.
 */
const firstCardWithinMs = 30_000;

type JobSettings = Omit<
  SubmitRequest,
  | 'guildId'
  | 'channelId'
  | 'userId'
  | 'applicationId'
  | 'interactionId'
  | 'interactionToken'
  | 'interactionCreatedAt'
  | 'attachmentSizeLimit'
  | 'locale'
>;

/**
 * Where a new job's card goes. The interaction's own reply (/video, Regenerate, Remix) is edited
 * through its token while it lives, then through the channel. A reply to a member's message (Make
 * a video) can only be the bot's own channel message: interaction replies and webhook messages
 * cannot reply to a message. That card is the job's message from the start and the
 * interaction's (ephemeral) reply only points at it, so the job keeps no interaction token.
 */
export type CardPlace =
  | { kind: 'interaction_reply' }
  | {
      kind: 'message_reply';
      origin: MessageOrigin;
      /** What the member's ephemeral reply says once the card is up, given the card's link. */
      pointer: (job: Job, cardLink: string) => string;
    };

const interactionReply: CardPlace = { kind: 'interaction_reply' };

/** The "thinking…" reply becomes a message only the member sees: edited when it is theirs alone, else replaced. */
export async function refuseAfterDefer(interaction: RepliableInteraction, text: string): Promise<void> {
  if (interaction.ephemeral) {
    await interaction.editReply({ content: text, allowedMentions: { parse: [] } });
    return;
  }
  await interaction.deleteReply().catch(() => undefined);
  await interaction.followUp(ephemeralText(text));
}

/** Tells the member something only they see, after the acknowledgement. */
async function tellPrivately(interaction: RepliableInteraction, text: string): Promise<void> {
  if (interaction.ephemeral) await interaction.editReply({ content: text, allowedMentions: { parse: [] } });
  else await interaction.followUp(ephemeralText(text));
}

/**
 * Acknowledges publicly once `check` (downloading and decoding the member's image) has passed.
 * A check done by `deadline` (a `performance.now()` time) answers a refusal as one ephemeral
 * reply, so the channel never sees a public "thinking…" appear and vanish. Discord forgets an
 * interaction left unanswered for 3 seconds, so a slower check (a slow CDN, a large image)
 * finishes behind a public deferral, and a refusal then replaces it (deleted reply, ephemeral
 * follow-up). Returns the check's value, or null when the member was refused.
 */
export async function acknowledgeAfter<T extends object>(
  interaction: RepliableInteraction,
  check: Promise<{ refusal: string } | T>,
  deadline: number,
  options: { ephemeral?: boolean } = {},
): Promise<T | null> {
  const early = await resultWithin(check, deadline - performance.now());
  if (early && 'refusal' in early.value) {
    await interaction.reply(ephemeralText(early.value.refusal));
    return null;
  }
  await interaction.deferReply(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const checked = early ? early.value : await check;
  if ('refusal' in checked) {
    await refuseAfterDefer(interaction, checked.refusal);
    return null;
  }
  return checked;
}

/** Submits with the interaction's identity (and token); the job's card goes to `place`. */
export async function startJob(
  interaction: RepliableInteraction,
  context: BotContext,
  settings: JobSettings,
  place: CardPlace = interactionReply,
): Promise<void> {
  const locale = interaction.locale;
  const result = await submitJob(
    {
      store: context.store,
      submissions: context.submissions,
      client: context.videoClient,
      defaults: context.config.quotas,
      now: context.now,
      policy: context.pollPolicy,
      onQueued: () => context.tracker.poke(),
      logger: context.logger,
    },
    {
      ...settings,
      guildId: interaction.guildId ?? '',
      channelId: interaction.channelId ?? '',
      userId: interaction.user.id,
      applicationId: interaction.applicationId,
      interactionId: interaction.id,
      // A card replying to a message is never the interaction's reply: the token must not edit it.
      interactionToken: place.kind === 'interaction_reply' ? interaction.token : null,
      interactionCreatedAt: interaction.createdTimestamp,
      attachmentSizeLimit: interaction.attachmentSizeLimit ?? null,
      locale,
      firstCardWithinMs,
    },
  );
  if (!result.ok) {
    if (result.reason === 'provider' && result.error.kind === 'model_unavailable') {
      context.modelUnavailable(result.job.model, result.error);
    }
    const text =
      result.reason === 'quota'
        ? quotaText(locale, result.refusal)
        : withSimulatedLabel(
            providerErrorText(locale, result.error, result.job.model),
            locale,
            context.renderContext(result.job),
          );
    context.logger.info(
      { jobId: result.reason === 'provider' ? result.job.id : undefined, reason: result.reason },
      'submission refused',
    );
    return refuseAfterDefer(interaction, text);
  }
  const job = result.job;
  // From here on the job exists and may be billed: nothing below may tell the member otherwise.
  // The image is kept first, so Regenerate has it whatever happens to the reply.
  const referenceBytes = settings.reference?.bytes;
  if (referenceBytes) {
    await saveReferenceImage(context.config.media.dir, job, referenceBytes).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: job.id }, 'could not keep the reference image');
    });
  }
  if (place.kind === 'message_reply') {
    await context.messageOrigins.record(job.id, place.origin).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: job.id }, 'could not keep the message the job came from');
    });
  }
  // A job canceled while it was being sent has no progress to show: the notifier keeps nothing for it.
  if (isRunning(job)) context.notifier.shown(job);
  let cardShown = false;
  let cardLink: string | null = null;
  try {
    // In the job's edit chain, from the row as it is then: a first poll, a quick completion or a
    // moderator's cancel may already have shown something newer, which this card must not paint over.
    await context.notifier.serially(job.id, async () => {
      const current = (await context.store.get(job.id)) ?? job;
      if (!isRunning(current)) return;
      const payload = renderJob(current, locale, { ...context.renderContext(current), now: context.now() });
      if (place.kind === 'interaction_reply') {
        const message = await interaction.editReply(toReplyOptions(payload));
        await context.store.update(job.id, { replyMessageId: message.id, firstCardPendingUntil: null });
      } else {
        const card = await context.messenger.reply(current, place.origin.messageId, payload);
        if (!card) throw new Error('Discord did not let the bot post the card in the channel');
        await context.store.update(job.id, { firstCardPendingUntil: null });
        cardLink = messageLink(card.channel_id, card.id, current.guildId);
      }
      cardShown = true;
    });
  } catch (error) {
    await sayOnItsWay(interaction, context, job, error);
  } finally {
    // Not needed, or given up on: other processes may edit the card now.
    if (!cardShown) {
      await context.store.update(job.id, { firstCardPendingUntil: null }).catch((error: unknown) => {
        context.logger.warn({ err: error, jobId: job.id }, 'could not mark the first card done');
      });
    }
  }
  if (place.kind === 'message_reply' && cardLink) {
    await tellPrivately(interaction, place.pointer(job, cardLink)).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: job.id }, 'could not point the member at the card');
    });
  }
}

/**
 * The job was submitted but its first card could not be shown (a Discord 5xx, a timeout). The job
 * goes on: the tracker polls it and delivery reaches the member through the interaction while its
 * token lives, then the channel routes. The member hears that it is coming, never "nothing was
 * charged", which would have them ask, and pay, again.
 */
async function sayOnItsWay(
  interaction: RepliableInteraction,
  context: BotContext,
  job: Job,
  error: unknown,
): Promise<void> {
  context.logger.warn({ err: error, jobId: job.id }, 'the first card of a submitted job could not be shown');
  const text = withSimulatedLabel(
    t(interaction.locale, 'notice.on_its_way', { id: job.id }),
    interaction.locale,
    context.renderContext(job),
  );
  await tellPrivately(interaction, text).catch((followUpError: unknown) => {
    context.logger.warn(
      { err: followUpError, jobId: job.id },
      'could not tell the member their job is on its way',
    );
  });
}

const isRunning = (job: Job) =>
  job.state === 'submitting' || job.state === 'queued' || job.state === 'in_progress';
