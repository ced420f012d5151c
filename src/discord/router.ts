// The one switch every interaction goes through: command names, button prefixes and modal ids.
import type { Interaction } from 'discord.js';
import * as admin from '../../commands/admin.ts';
import * as history from '../../commands/history.ts';
import * as video from '../../commands/video.ts';
import { t } from '../i18n/index.ts';
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
    if (!context.accepting()) {
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

/** Every command definition, for registration. */
export const commandModules = [video, history, admin];
