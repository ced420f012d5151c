// A command's or option's name and description in every supported locale, set in one call.
import { localisations, type MessageKey, t } from '../i18n/index.ts';

/** What discord.js's command, subcommand and option builders share. */
interface Describable {
  setName(name: string): this;
  setNameLocalizations(names: Record<string, string>): this;
  setDescription(description: string): this;
  setDescriptionLocalizations(descriptions: Record<string, string>): this;
}

/** Names are given here (simplified and traditional Chinese); descriptions come from the catalogues. */
export function named<T extends Describable>(
  builder: T,
  name: string,
  [simplified, traditional]: readonly [string, string],
  description: MessageKey,
): T {
  return builder
    .setName(name)
    .setNameLocalizations({ 'zh-CN': simplified, 'zh-TW': traditional })
    .setDescription(t('en-US', description))
    .setDescriptionLocalizations(localisations(description));
}
