// The one switch every interaction goes through: command names, button prefixes and modal ids.
import type { Interaction, RepliableInteraction } from 'discord.js';
import * as admin from '../../commands/admin.ts';
import * as history from '../../commands/history.ts';
import * as video from '../../commands/video.ts';
import { t } from '../i18n/index.ts';
import { StoreUnavailableError } from '../jobs/index.ts';
import type { BotContext } from './context.ts';
import { parseHistoryCustomId, parseJobCustomId } from './customIds.ts';
import { handleJobButton, handleRemixModal } from './jobButtons.ts';
import { ephemeralText } from './render.ts';

export async function routeInteraction(interaction: Interaction, context: BotContext): Promise<void> {
  try {
    if (interaction.isAutocomplete()) {
      if (interaction.commandName === video.name) await video.autocomplete(interaction, context);
      return;
    }
    if (!interaction.isRepliable()) return;
    // Stopping, or the database is away: nothing is asked of it, nothing is spent.
    if (!context.accepting() || !context.store.isAvailable()) {
      await interaction.reply(ephemeralText(t(interaction.locale, 'error.restarting')));
      return;
    }
    if (interaction.isChatInputCommand()) {
      const command = commandModules.find((module) => module.name === interaction.commandName);
      await command?.execute(interaction, context);
      return;
    }
    if (interaction.isButton() && parseHistoryCustomId(interaction.customId)) {
      await history.handleHistoryButton(interaction, context);
      return;
    }
    if (interaction.isButton() && parseJobCustomId(interaction.customId)) {
      await handleJobButton(interaction, context);
      return;
    }
    if (interaction.isModalSubmit() && parseJobCustomId(interaction.customId)?.action === 'remix-modal') {
      await handleRemixModal(interaction, context);
    }
  } catch (error) {
    if (error instanceof StoreUnavailableError && interaction.isRepliable()) {
      context.logger.warn(
        { interactionId: interaction.id, type: interaction.type },
        'the job store cannot be reached: the member was asked to try again in a moment',
      );
      await answerRestarting(interaction).catch(() => undefined);
      return;
    }
    context.logger.error(
      { err: error, interactionId: interaction.id, type: interaction.type },
      'interaction failed',
    );
    if (!interaction.isRepliable()) return;
    const reply = ephemeralText(t(interaction.locale, 'error.internal'));
    await (interaction.deferred || interaction.replied
      ? interaction.followUp(reply)
      : interaction.reply(reply)
    ).catch(() => undefined);
  }
}

/**
 * "Try again in a moment", only to the member, however far the handler got: a public "thinking…"
 * goes (a command's deferral), a private one becomes the answer, a deferred card update is left as
 * it was.
 */
async function answerRestarting(interaction: RepliableInteraction): Promise<void> {
  const reply = ephemeralText(t(interaction.locale, 'error.restarting'));
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply(reply);
    return;
  }
  // deferReply says whether it was private; deferUpdate (a button's card) leaves it null.
  if (interaction.deferred && !interaction.replied && interaction.ephemeral === true) {
    await interaction.editReply({ content: reply.content, allowedMentions: reply.allowedMentions });
    return;
  }
  if (interaction.deferred && !interaction.replied && interaction.ephemeral === false) {
    await interaction.deleteReply().catch(() => undefined);
  }
  await interaction.followUp(reply);
}

/** Every command definition, for registration. */
export const commandModules = [video, history, admin];
