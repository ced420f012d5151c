// After a command or button was acknowledged: submit the jobs of one request and show their live
// cards: the interaction's reply (and, for later takes, follow-up messages), or (Make a video) the
// bot's own replies to the member's message. Also the checks every path into a job makes before
// anything is spent (/video, Regenerate, Remix, a video from a message).
import { channelMention, MessageFlags, messageLink, type RepliableInteraction } from 'discord.js';
import { t } from '../i18n/index.ts';
import {
  type AppliedStyle,
  type DefaultedSetting,
  effectiveLimits,
  type Job,
  type JobOrigin,
  resultWithin,
  type SentJob,
  type SubmitRequest,
  submitTakes,
} from '../jobs/index.ts';
import { saveReferenceImage } from '../jobs/referenceImages.ts';
import type { CheckedImage } from './checkedReference.ts';
import type { BotContext } from './context.ts';
import { startThreadOn } from './openThread.ts';
import { requireAllowedToGenerate } from './permissions.ts';
import { ephemeralText, renderJob, toReplyOptions, withSimulatedLabel } from './render.ts';
import { providerErrorText, quotaText } from './replies.ts';
import { cardChannelId, missingThreadPermissions } from './threads.ts';

/**
 * How long other processes keep off a new job's card while this one draws it: the first card is one
 * Discord edit, and a later poll shows whatever it would have shown.
 */
const firstCardWithinMs = 30_000;

/** What a request asks for, besides who asks and where (the interaction says that). */
export interface JobSettings {
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  remixOfJobId?: number | null;
  /** Remix of this provider video instead of a fresh generation. */
  remixOfRemoteId?: string;
  /** The server style it is made with (its text goes to the provider with the prompt; the row keeps both). */
  style?: AppliedStyle | null;
  /** Which settings came from the channel's defaults. */
  defaultsApplied?: DefaultedSetting[];
}

export interface StartOptions {
  /** How many jobs of these settings (1 to maxTakes): each its own take, its own card and video. */
  takes?: number;
  /** Where the request came from: a command (the default), a message, a Regenerate or Remix. */
  origin?: JobOrigin;
  /** The reference images, checked for the model (checkAttachedImages), in order. */
  references?: readonly CheckedImage[];
  /**
   * Open a thread on the first take's card at once (a channel with `/video-admin threads on`):
   * the later takes' cards go in it, as will Regenerate and Remix of them. For a card that is the
   * interaction's reply (/video) or the bot's reply to the member's message (Make a video).
   */
  openThread?: boolean;
}

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
      /** The member's message (in the interaction's channel) each take's card replies to. */
      messageId: string;
      /** What the member's ephemeral reply says once the cards are posted (or could not be). */
      pointer: (cards: readonly PostedCard[]) => string;
    }
  | {
      /**
       * The thread of the job it was made from (Regenerate, Remix): each card is the bot's own
       * message in the thread, and the interaction's (ephemeral) reply points at it. A thread
       * gone meanwhile takes nothing with it: the card goes to the channel, as a reply to
       * `channelReplyTo`, and the job made from no longer points at the thread.
       */
      kind: 'thread';
      threadId: string;
      /** The thread's parent: the jobs' channel. */
      channelId: string;
      /** The job whose thread it is, and its card in the channel. */
      sourceJobId: number;
      channelReplyTo: string | null;
    };

/** A take's card as the member's private answer points at it: its link, or null when it was not posted. */
export interface PostedCard {
  job: Job;
  /** The channel (or thread) the card is in. */
  channelId: string;
  link: string | null;
}

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
 * Acknowledges publicly once `check` (downloading and decoding the member's images) has passed.
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

/**
 * Blocks, allowed channels and quotas for `takes` jobs of this model and duration: the sentence to
 * show the member, or null when they may go ahead. A cheap check before acknowledging; the insert
 * checks the quotas again.
 */
export async function refusalToGenerate(
  interaction: Parameters<typeof requireAllowedToGenerate>[0],
  context: BotContext,
  request: { model: string; seconds: number; size: string; takes?: number },
): Promise<string | null> {
  const refusal = await requireAllowedToGenerate(interaction, context);
  if (refusal) return refusal;
  const guildId = interaction.guildId ?? '';
  const limits = effectiveLimits(context.config.quotas, await context.store.guildSettings(guildId));
  const quota = await context.store.quotaRefusal(
    {
      guildId,
      channelId: interaction.channelId ?? '',
      userId: interaction.user.id,
      model: request.model,
      prompt: '',
      seconds: request.seconds,
      size: request.size,
    },
    limits,
    request.takes,
  );
  return quota ? quotaText(interaction.locale, quota) : null;
}

/**
 * Submits the request's jobs with the interaction's identity (and token), after the interaction
 * was acknowledged (deferred); their cards go to `place`. On the interaction, the first take's card
 * is the reply and each later take's a follow-up message, in order; replying to a message, each
 * take's card is its own reply to it. Takes that do not all fit the quotas are refused whole;
 * when the provider refuses every take, the member reads why instead of cards.
 */
export async function startJobs(
  interaction: RepliableInteraction,
  context: BotContext,
  settings: JobSettings,
  options: StartOptions = {},
  place: CardPlace = interactionReply,
): Promise<void> {
  const locale = interaction.locale;
  const references = options.references ?? [];
  const submitted = await submitTakes(
    {
      store: context.store,
      submissions: context.submissions,
      client: context.videoClient,
      defaults: context.config.quotas,
      now: context.now,
      policy: context.pollPolicy,
      onQueued: () => context.tracker.poke(),
      logger: context.logger,
      webhooks: context.webhooks,
    },
    {
      ...settings,
      ...identity(interaction, place),
      referenceImages: references.map((image) => image.kept),
      references: references.map((image) => image.reference),
      origin: options.origin,
      firstCardWithinMs,
    },
    options.takes ?? 1,
  );
  if (!submitted.ok) {
    context.logger.info({ reason: 'quota' }, 'submission refused');
    return refuseAfterDefer(interaction, quotaText(locale, submitted.refusal));
  }
  const takes = submitted.takes;
  for (const take of takes) {
    if (!take.ok && take.error.kind === 'model_unavailable')
      context.modelUnavailable(take.job.model, take.error);
  }
  const [first] = takes;
  if (first && !first.ok && takes.every((take) => !take.ok)) {
    context.logger.info(
      { jobId: first.job.id, reason: 'provider', takes: takes.length },
      'submission refused',
    );
    const text = providerErrorText(locale, first.error, first.job.model);
    return refuseAfterDefer(interaction, withSimulatedLabel(text, locale, context.renderContext(first.job)));
  }
  // From here on jobs exist and may be billed: nothing below may tell the member otherwise.
  // The images are kept first, so Regenerate has them whatever happens to the cards.
  await Promise.all(
    takes.filter((take) => take.ok).map((take) => keepReferences(context, take.job, references)),
  );
  const cards: PostedCard[] = [];
  let firstCard: string | null = null;
  /** Where later takes go: a thread opened on the first card (the channel's setting) changes it. */
  let laterPlace = place;
  for (const [index, take] of takes.entries()) {
    const where = takeCard(index === 0 ? place : laterPlace, index);
    let shown: string | null;
    if (index === 0) {
      shown = firstCard = await showCard(interaction, context, take, where);
      if (shown && options.openThread && place.kind !== 'thread') {
        laterPlace = (await openThreadOnFirstCard(interaction, context, take.job, shown, place)) ?? place;
      }
    } else {
      // Each later take links to the first take's card: a nicety, so a store that cannot be reached
      // now must not end this loop (the router would tell the member to try again, and pay twice).
      const inThread = laterPlace.kind === 'thread' ? laterPlace.threadId : null;
      const job = firstCard
        ? await context.store
            .update(take.job.id, {
              originChannelId: cards[0]?.channelId ?? take.job.channelId,
              originMessageId: firstCard,
              // Posted by the bot in the thread: the interaction's token never edits that card.
              ...(inThread ? { threadId: inThread, interactionToken: null } : {}),
            })
            .catch((error: unknown) => {
              context.logger.warn(
                { err: error, jobId: take.job.id },
                'could not link the take to the first card',
              );
              return take.job;
            })
        : take.job;
      shown = await showCard(interaction, context, { ...take, job }, where);
    }
    const posted = shown ? await context.store.get(take.job.id).catch(() => undefined) : undefined;
    const channel = posted && posted.replyMessageId === shown ? cardChannelId(posted) : take.job.channelId;
    cards.push({
      job: posted ?? take.job,
      channelId: channel,
      link: shown && messageLink(channel, shown, take.job.guildId),
    });
  }
  // A thread opened on the first card that took no later card (deleted meanwhile): the first job leaves it.
  if (laterPlace !== place && laterPlace.kind === 'thread') await leaveLostThread(context, laterPlace, cards);
  if (place.kind === 'message_reply') {
    await tellPrivately(interaction, place.pointer(cards)).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: first?.job.id }, 'could not point the member at the cards');
    });
  }
  if (place.kind === 'thread') await pointAtThreadCards(interaction, context, place, cards);
}

/**
 * After the cards of a request made from a job in a thread: the job made from stops pointing at
 * a thread that took no card (gone since), and the member's private reply points at the cards.
 */
async function pointAtThreadCards(
  interaction: RepliableInteraction,
  context: BotContext,
  place: Extract<CardPlace, { kind: 'thread' }>,
  cards: readonly PostedCard[],
): Promise<void> {
  const locale = interaction.locale;
  const lost = await leaveLostThread(context, place, cards);
  const links = cards.map((card) => card.link).filter((link): link is string => link !== null);
  const text =
    links.length > 0
      ? t(locale, lost ? 'thread.card_in_channel' : 'thread.card_posted', {
          card: links.join(t(locale, 'list.separator')),
        })
      : t(locale, 'thread.card_not_posted', { thread: channelMention(place.threadId) });
  await tellPrivately(interaction, text).catch((error: unknown) => {
    context.logger.warn({ err: error }, 'could not point the member at the cards');
  });
}

/**
 * Whether a card meant for the thread went to the channel instead (the thread was gone): then the
 * job whose thread it was stops pointing at it, so what is made from it goes to the channel too.
 */
async function leaveLostThread(
  context: BotContext,
  place: Extract<CardPlace, { kind: 'thread' }>,
  cards: readonly PostedCard[],
): Promise<boolean> {
  const lost = cards.some((card) => card.link && card.job.threadId !== place.threadId);
  if (!lost) return false;
  const source = await context.store.get(place.sourceJobId).catch(() => undefined);
  if (source?.threadId === place.threadId) {
    await context.store.update(source.id, { threadId: null }).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: source.id }, 'could not unlink the job from its lost thread');
    });
  }
  return true;
}

/**
 * The channel makes every /video and Make a video open its thread: one is started on the first
 * take's card, named from the prompt, and written to its row. The later takes' place, or null when
 * no thread could be opened (the bot lacks the permission, say): the cards then stay in the
 * channel. Should the thread be gone by a later take's card, that card goes to the channel as the
 * first did: the interaction's card gets a reply, the member's message another.
 */
async function openThreadOnFirstCard(
  interaction: RepliableInteraction,
  context: BotContext,
  job: Job,
  cardId: string,
  place: Exclude<CardPlace, { kind: 'thread' }>,
): Promise<CardPlace | null> {
  // Without both permissions a thread would only half work: the cards stay in the channel.
  const started = missingThreadPermissions(interaction.appPermissions, interaction.locale)
    ? ({ ok: false, reason: 'permissions' } as const)
    : await startThreadOn(interaction.client.rest, {
        channelId: job.channelId,
        messageId: cardId,
        prompt: job.prompt,
      });
  if (!started.ok) {
    context.logger.info(
      { jobId: job.id, reason: started.reason },
      "could not open the channel's thread on the card; the cards stay in the channel",
    );
    return null;
  }
  const updated = await context.store.update(job.id, { threadId: started.threadId });
  context.logger.info({ jobId: job.id }, 'opened a thread on the card');
  await redrawAfterThreadOpened(context, updated);
  return {
    kind: 'thread',
    threadId: started.threadId,
    channelId: job.channelId,
    sourceJobId: job.id,
    channelReplyTo: place.kind === 'message_reply' ? place.messageId : cardId,
  };
}

/** Who asks, where, and the interaction whose token and messages the jobs' cards use. */
function identity(
  interaction: RepliableInteraction,
  place: CardPlace,
): Omit<SubmitRequest, keyof JobSettings | 'referenceImages'> {
  return {
    guildId: interaction.guildId ?? '',
    // A job made in a thread belongs to the thread's channel; its card is in the thread.
    channelId: place.kind === 'thread' ? place.channelId : (interaction.channelId ?? ''),
    threadId: place.kind === 'thread' ? place.threadId : null,
    userId: interaction.user.id,
    applicationId: interaction.applicationId,
    interactionId: interaction.id,
    // A card replying to a message is never the interaction's message: the token must not edit it.
    interactionToken: place.kind === 'interaction_reply' ? interaction.token : null,
    interactionCreatedAt: interaction.createdTimestamp,
    attachmentSizeLimit: interaction.attachmentSizeLimit ?? null,
    locale: interaction.locale,
  };
}

async function keepReferences(
  context: BotContext,
  job: Job,
  references: readonly CheckedImage[],
): Promise<void> {
  await Promise.all(
    references.map(async (image, index) => {
      const bytes = image.reference.bytes;
      if (!bytes) return;
      await saveReferenceImage(context.config.media.dir, job, bytes, index + 1).catch((error: unknown) => {
        context.logger.warn(
          { err: error, jobId: job.id, image: index + 1 },
          'could not keep a reference image',
        );
      });
    }),
  );
}

/**
 * Where one take's first card goes: the interaction's (deferred) reply, a follow-up message of the
 * interaction, or the bot's own reply to the member's message `replyTo`.
 */
type TakeCard = 'reply' | 'follow_up' | { replyTo: string } | { inThread: string | null };

/** Where take `index` (from 0) of a request shows its card. */
function takeCard(place: CardPlace, index: number): TakeCard {
  if (place.kind === 'message_reply') return { replyTo: place.messageId };
  if (place.kind === 'thread') return { inThread: place.channelReplyTo };
  return index === 0 ? 'reply' : 'follow_up';
}

/**
 * Draws a take's first card where `where` says. A take the provider refused, among others it
 * took, shows its failure on its own card. Returns the card's message id, or null when it was not
 * drawn.
 */
async function showCard(
  interaction: RepliableInteraction,
  context: BotContext,
  take: SentJob,
  where: TakeCard,
): Promise<string | null> {
  const { job } = take;
  const locale = interaction.locale;
  // A job canceled while it was being sent has no progress to show: the notifier keeps nothing for it.
  if (isRunning(job)) context.notifier.shown(job);
  let shownId: string | null = null;
  try {
    // In the job's edit chain, from the row as it is then: a first poll, a quick completion or a
    // moderator's cancel may already have shown something newer, which this card must not paint over.
    await context.notifier.serially(job.id, async () => {
      const current = (await context.store.get(job.id)) ?? job;
      const refusedTake = !take.ok && current.state === 'failed';
      if (!isRunning(current) && !refusedTake) return;
      const guildSecondsPerDay = await context.secondsPerDay(current.guildId);
      const payload = renderJob(current, locale, {
        ...context.renderContext(current),
        guildSecondsPerDay,
        now: context.now(),
      });
      if (where === 'reply') {
        shownId = (await interaction.editReply(toReplyOptions(payload))).id;
        await context.store.update(job.id, { replyMessageId: shownId, firstCardPendingUntil: null });
        return;
      }
      if (where === 'follow_up') {
        // Recorded before the post: a restart before its id is written finds the card in the channel.
        await context.store.update(job.id, { fallbackChannelId: current.channelId });
        shownId = (await interaction.followUp(toReplyOptions(payload))).id;
        await context.store.update(job.id, {
          replyMessageId: shownId,
          fallbackChannelId: null,
          firstCardPendingUntil: null,
        });
        return;
      }
      const card =
        'replyTo' in where
          ? await context.messenger.reply(current, where.replyTo, payload)
          : await context.messenger.postInThread(current, payload, where.inThread);
      if (!card) throw new Error('Discord did not let the bot post the card in the channel');
      await context.store.update(job.id, { firstCardPendingUntil: null });
      shownId = card.id;
    });
  } catch (error) {
    context.logger.warn(
      { err: error, jobId: job.id },
      'the first card of a submitted job could not be shown',
    );
    // Replying to a message, the member's private answer says so once every take's card was tried.
    if (typeof where !== 'object') await sayOnItsWay(interaction, context, job);
  } finally {
    // Not needed, or given up on: other processes may edit the card now.
    if (!shownId) {
      await context.store.update(job.id, { firstCardPendingUntil: null }).catch((error: unknown) => {
        context.logger.warn({ err: error, jobId: job.id }, 'could not mark the first card done');
      });
    }
  }
  return shownId;
}

/**
 * The job was submitted but its first card could not be shown (a Discord 5xx, a timeout). The job
 * goes on: the tracker polls it and delivery reaches the member through the interaction while its
 * token lives, then the channel routes. The member hears that it is coming, never "nothing was
 * charged", which would have them ask, and pay, again.
 */
export function onItsWayText(job: Job, locale: string, context: BotContext): string {
  return withSimulatedLabel(
    t(locale, 'notice.on_its_way', { id: job.id }),
    locale,
    context.renderContext(job),
  );
}

async function sayOnItsWay(interaction: RepliableInteraction, context: BotContext, job: Job): Promise<void> {
  await tellPrivately(interaction, onItsWayText(job, interaction.locale, context)).catch(
    (followUpError: unknown) => {
      context.logger.warn(
        { err: followUpError, jobId: job.id },
        'could not tell the member their job is on its way',
      );
    },
  );
}

const isRunning = (job: Job) =>
  job.state === 'submitting' || job.state === 'queued' || job.state === 'in_progress';

/**
 * A card whose job just got its thread drops its Open a thread button: only the buttons change
 * (the video and its link stay), in the job's edit chain, through the messenger (the interaction's
 * reply is the card only for /video; Make a video's is the member's private answer). Best effort.
 */
export async function redrawAfterThreadOpened(context: BotContext, opened: Job): Promise<void> {
  await context.notifier
    .serially(opened.id, async () => {
      const current = (await context.store.get(opened.id)) ?? opened;
      const payload = renderJob(current, current.locale, {
        ...context.renderContext(current),
        now: context.now(),
      });
      await context.messenger.edit(current, { components: payload.components });
    })
    .catch((error: unknown) => {
      context.logger.warn(
        { err: error, jobId: opened.id },
        'could not redraw the card after opening its thread',
      );
    });
}
