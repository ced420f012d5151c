// `npm run register`: puts the slash commands on Discord (to one guild while developing, else globally).
import { REST, Routes } from 'discord.js';
import type { Catalogue } from '../provider/index.ts';
import { commandModules } from './router.ts';

export function commandDefinitions(catalogue: Catalogue) {
  return commandModules.map((module) => module.data(catalogue).toJSON());
}

export async function registerCommands(options: {
  rest: REST;
  applicationId: string;
  guildId?: string;
  catalogue: Catalogue;
}): Promise<number> {
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const registered = (await options.rest.put(route, {
    body: commandDefinitions(options.catalogue),
  })) as unknown[];
  return registered.length;
}

/** Registers for the application the token belongs to (asked of Discord): no gateway needed. */
export async function registerForTokenOwner(options: {
  rest: REST;
  guildId?: string;
  catalogue: Catalogue;
}): Promise<number> {
  const application = (await options.rest.get(Routes.currentApplication())) as { id: string };
  return registerCommands({ ...options, applicationId: application.id });
}

async function cli(): Promise<void> {
  const { describeProblems, loadConfig, loadDotEnv } = await import('../config.ts');
  loadDotEnv();
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`${describeProblems(result.problems)}\n`);
    process.exit(1);
  }
  const { discord, video } = result.config;
  const rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
  const count = await registerForTokenOwner({ rest, guildId: discord.guildId, catalogue: video.catalogue });
  const where = discord.guildId
    ? `server ${discord.guildId} (instant)`
    : 'every server (global: may take a while to appear)';
  process.stdout.write(`Registered ${count} command(s) for ${where}.\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await cli();
