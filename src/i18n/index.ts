// Message catalogues and t(locale, key, vars). Unknown locales fall back to English.
import { Locale } from 'discord.js';
import { enUS, type MessageKey } from './en-US.ts';
import { zhCN } from './zh-CN.ts';
import { zhTW } from './zh-TW.ts';

export type { MessageKey } from './en-US.ts';

export const supportedLocales = [Locale.EnglishUS, Locale.ChineseCN, Locale.ChineseTW] as const;
export type SupportedLocale = (typeof supportedLocales)[number];

/** The names inside a template's braces, as a union: 'a {x} b {y}' gives 'x' | 'y'. */
type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Each key of a translation must carry exactly the placeholders of its English template. */
type PlaceholderCheck<C extends Record<MessageKey, string>> = {
  [K in MessageKey]: Same<Placeholders<C[K]>, Placeholders<(typeof enUS)[K]>> extends true
    ? unknown
    : { placeholdersOfEnUS: Placeholders<(typeof enUS)[K]> };
};

/** A catalogue the type checker has compared with en-US: every key, the same placeholders. */
export function translation<C extends Record<MessageKey, string>>(catalogue: C & PlaceholderCheck<C>): C {
  return catalogue;
}

export const catalogues: Record<SupportedLocale, Record<MessageKey, string>> = {
  [Locale.EnglishUS]: enUS,
  [Locale.ChineseCN]: translation(zhCN),
  [Locale.ChineseTW]: translation(zhTW),
};

/**
 * Discord sends locales like en-GB, zh-CN, zh-TW: pick the closest catalogue. Traditional Chinese
 * (Taiwan, and Hong Kong or Macau should a client send them) reads zh-TW; any other Chinese, zh-CN.
 */
export function resolveLocale(locale: string | null | undefined): SupportedLocale {
  const lower = locale?.toLowerCase() ?? '';
  if (/^zh-(tw|hk|mo|hant)/.test(lower)) return Locale.ChineseTW;
  if (lower === 'zh' || lower.startsWith('zh-')) return Locale.ChineseCN;
  return Locale.EnglishUS;
}

export type Vars = Record<string, string | number>;

export function t(locale: string | null | undefined, key: MessageKey, vars: Vars = {}): string {
  const template = catalogues[resolveLocale(locale)][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Items joined with the locale's list separator (", " in English, "、" in Chinese). */
export function listText(locale: string | null | undefined, items: readonly (string | number)[]): string {
  return items.join(t(locale, 'list.separator'));
}

/** A key in every Discord locale that has its own catalogue, for command builders' localisations. */
export function localisations(key: MessageKey): Partial<Record<Locale, string>> {
  return { [Locale.ChineseCN]: zhCN[key], [Locale.ChineseTW]: zhTW[key] };
}
