// Puts the declared commands on Discord (to one guild while developing, else globally).
// `npm run register` runs it through src/register.ts, the composition root that knows the list.
import { REST, Routes } from 'discord.js';
import type { Catalogue } from '../provider/index.ts';
import type { Command } from './commandContract.ts';

export function commandDefinitions(commands: readonly Command[], catalogue: Catalogue) {
  return commands.map((command) => command.data(catalogue).toJSON());
}

export interface Registration {
  rest: REST;
  guildId?: string;
  catalogue: Catalogue;
  commands: readonly Command[];
}

export async function registerCommands(options: Registration & { applicationId: string }): Promise<number> {
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const registered = (await options.rest.put(route, {
    body: commandDefinitions(options.commands, options.catalogue),
  })) as unknown[];
  return registered.length;
}

/** Registers for the application the token belongs to (asked of Discord): no gateway needed. */
export async function registerForTokenOwner(options: Registration): Promise<number> {
  const application = (await options.rest.get(Routes.currentApplication())) as { id: string };
  return registerCommands({ ...options, applicationId: application.id });
}

/** `npm run register`: the settings' token and guild, the given commands; says where they went. */
export async function registerFromSettings(commands: readonly Command[]): Promise<void> {
  const { describeProblems, loadConfig, loadDotEnv } = await import('../config.ts');
  loadDotEnv();
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`${describeProblems(result.problems)}\n`);
    process.exit(1);
  }
  const { discord, video } = result.config;
  const rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
  const count = await registerForTokenOwner({
    rest,
    guildId: discord.guildId,
    catalogue: video.catalogue,
    commands,
  });
  const where = discord.guildId
    ? `server ${discord.guildId} (instant)`
    : 'every server (global: may take a while to appear)';
  process.stdout.write(`Registered ${count} command(s) for ${where}.\n`);
}
