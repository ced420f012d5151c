// What the bot routes, declared: slash and message commands with their definitions and handlers,
// and the buttons and modals with theirs. `commands/index.ts` lists them; the composition root
// hands that list to the router and to registration, so nothing in src/discord/ knows commands/.
import type {
  ApplicationCommandType,
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import type { Catalogue } from '../provider/index.ts';
import type { BotContext } from './context.ts';

/** A command definition as a builder gives it: its JSON is what registration sends. */
interface Definition<Json> {
  toJSON(): Json;
}

/** `/name …`: registered from `data`, run by `execute`, its autocomplete options answered by `autocomplete`. */
export interface SlashCommand {
  type: ApplicationCommandType.ChatInput;
  name: string;
  /** The definition; model choices and the like come from the configured catalogue. */
  data(catalogue: Catalogue): Definition<RESTPostAPIChatInputApplicationCommandsJSONBody>;
  execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, context: BotContext): Promise<void>;
}

/** Apps › name, on a message. */
export interface MessageCommand {
  type: ApplicationCommandType.Message;
  name: string;
  data(catalogue: Catalogue): Definition<RESTPostAPIContextMenuApplicationCommandsJSONBody>;
  execute(interaction: MessageContextMenuCommandInteraction, context: BotContext): Promise<void>;
}

export type Command = SlashCommand | MessageCommand;

/** A button or a modal: the custom ids it answers, and what it does. Ids carry no authority. */
export interface ComponentHandler<I> {
  matches(customId: string): boolean;
  run(interaction: I, context: BotContext): Promise<void>;
}

export type ButtonHandler = ComponentHandler<ButtonInteraction>;
export type ModalHandler = ComponentHandler<ModalSubmitInteraction>;

/** Everything the bot answers: what registration registers and the router routes. */
export interface CommandSet {
  commands: readonly Command[];
  buttons: readonly ButtonHandler[];
  modals: readonly ModalHandler[];
}
