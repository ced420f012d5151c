// A command's or option's name and description in every supported locale, set in one call.
import { Locale } from 'discord.js';
import { localisations, type MessageKey, t } from '../i18n/index.ts';

/** What discord.js's command, subcommand and option builders share. */
interface Describable {
  setName(name: string): this;
  setNameLocalizations(names: Partial<Record<Locale, string>>): this;
  setDescription(description: string): this;
  setDescriptionLocalizations(descriptions: Partial<Record<Locale, string>>): this;
}

/**
 * Names are given here, in Simplified Chinese (zh-CN) and in Taiwan's Traditional Chinese (zh-TW,
 * with Taiwan's words: 影片, 紀錄, 身分組); descriptions come from the catalogues.
 */
export function named<T extends Describable>(
  builder: T,
  name: string,
  [simplified, taiwan]: readonly [string, string],
  description: MessageKey,
): T {
  return builder
    .setName(name)
    .setNameLocalizations({ [Locale.ChineseCN]: simplified, [Locale.ChineseTW]: taiwan })
    .setDescription(t(Locale.EnglishUS, description))
    .setDescriptionLocalizations(localisations(description));
}
