// The one switch every interaction goes through: to the command, button or modal the composition
// root declared for it (src/discord/commandContract.ts).
import { ApplicationCommandType, type Interaction } from 'discord.js';
import { t } from '../i18n/index.ts';
import type { CommandSet, MessageCommand, SlashCommand } from './commandContract.ts';
import type { BotContext } from './context.ts';
import { ephemeralText } from './render.ts';

export type Router = (interaction: Interaction, context: BotContext) => Promise<void>;

export function createRouter(set: CommandSet): Router {
  const slash = new Map<string, SlashCommand>();
  const message = new Map<string, MessageCommand>();
  for (const command of set.commands) {
    if (command.type === ApplicationCommandType.ChatInput) slash.set(command.name, command);
    else message.set(command.name, command);
  }

  async function route(interaction: Interaction, context: BotContext): Promise<void> {
    if (interaction.isAutocomplete()) {
      await slash.get(interaction.commandName)?.autocomplete?.(interaction, context);
      return;
    }
    if (!interaction.isRepliable()) return;
    if (!context.accepting()) {
      await interaction.reply(ephemeralText(t(interaction.locale, 'error.restarting')));
      return;
    }
    if (interaction.isChatInputCommand()) {
      await slash.get(interaction.commandName)?.execute(interaction, context);
    } else if (interaction.isMessageContextMenuCommand()) {
      await message.get(interaction.commandName)?.execute(interaction, context);
    } else if (interaction.isButton()) {
      const customId = interaction.customId;
      await set.buttons.find((handler) => handler.matches(customId))?.run(interaction, context);
    } else if (interaction.isModalSubmit()) {
      const customId = interaction.customId;
      await set.modals.find((handler) => handler.matches(customId))?.run(interaction, context);
    }
  }

  return async (interaction, context) => {
    try {
      await route(interaction, context);
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
  };
}
