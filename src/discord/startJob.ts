// After a command or button was acknowledged: submit the job and turn the reply into its live message.
import type { RepliableInteraction } from 'discord.js';
import type { Job, SubmitRequest } from '../jobs/index.ts';
import { submitJob } from '../jobs/index.ts';
import { saveReferenceImage } from '../jobs/referenceImages.ts';
import type { BotContext } from './context.ts';
import { ephemeralText, renderJob, toReplyOptions, withSimulatedLabel } from './render.ts';
import { providerErrorText, quotaText } from './replies.ts';

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

/** Replaces the public "thinking…" reply with a message only the member sees. */
export async function refuseAfterDefer(interaction: RepliableInteraction, text: string): Promise<void> {
  await interaction.deleteReply().catch(() => undefined);
  await interaction.followUp(ephemeralText(text));
}

/** Submits with the interaction's identity and token; the (deferred) reply becomes the job's message. */
export async function startJob(
  interaction: RepliableInteraction,
  context: BotContext,
  settings: JobSettings,
): Promise<void> {
  const locale = interaction.locale;
  const result = await submitJob(
    {
      store: context.store,
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
      interactionToken: interaction.token,
      interactionCreatedAt: interaction.createdTimestamp,
      attachmentSizeLimit: interaction.attachmentSizeLimit ?? null,
      locale,
    },
  );
  if (!result.ok) {
    const text =
      result.reason === 'quota'
        ? quotaText(locale, result.refusal)
        : withSimulatedLabel(
            providerErrorText(locale, result.error),
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
  // A job canceled while it was being sent has no progress to show: the notifier keeps nothing for it.
  if (isRunning(job)) context.notifier.shown(job);
  // In the job's edit chain, from the row as it is then: a first poll, a quick completion or a
  // moderator's cancel may already have shown something newer, which this card must not paint over.
  await context.notifier.serially(job.id, async () => {
    const current = context.store.get(job.id) ?? job;
    if (!isRunning(current)) return;
    const payload = renderJob(current, locale, { ...context.renderContext(current), now: context.now() });
    const message = await interaction.editReply(toReplyOptions(payload));
    context.store.update(job.id, { replyMessageId: message.id });
  });
  const referenceBytes = settings.reference?.bytes;
  if (referenceBytes) {
    await saveReferenceImage(context.config.media.dir, job.id, referenceBytes).catch((error: unknown) => {
      context.logger.warn({ err: error, jobId: job.id }, 'could not keep the reference image');
    });
  }
}

const isRunning = (job: Job) =>
  job.state === 'submitting' || job.state === 'queued' || job.state === 'in_progress';
