// The one switch every interaction goes through: to the command, button or modal the composition
// root declared for it (src/discord/commandContract.ts).
import { ApplicationCommandType, type Interaction, type RepliableInteraction } from 'discord.js';
import { t } from '../i18n/index.ts';
import { StoreUnavailableError } from '../jobs/index.ts';
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
    // Stopping, or the database is away: nothing is asked of it, nothing is spent.
    if (!context.accepting() || !context.store.isAvailable()) {
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
  };
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
