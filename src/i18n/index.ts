// Message catalogues and t(locale, key, vars). Unknown locales fall back to English.
import { enUS, type MessageKey } from './en-US.ts';
import { zhCN } from './zh-CN.ts';

export type { MessageKey } from './en-US.ts';

export const supportedLocales = ['en-US', 'zh-CN'] as const;
export type SupportedLocale = (typeof supportedLocales)[number];

const catalogues: Record<SupportedLocale, Record<MessageKey, string>> = { 'en-US': enUS, 'zh-CN': zhCN };

/** Discord sends locales like en-GB, zh-CN, zh-TW: pick the closest catalogue. */
export function resolveLocale(locale: string | null | undefined): SupportedLocale {
  if (locale?.toLowerCase().startsWith('zh')) return 'zh-CN';
  return 'en-US';
}

export type Vars = Record<string, string | number>;

export function t(locale: string | null | undefined, key: MessageKey, vars: Vars = {}): string {
  const template = catalogues[resolveLocale(locale)][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A key in every supported Discord locale, for command builders' localisations. */
export function localisations(key: MessageKey): Record<string, string> {
  return { 'zh-CN': zhCN[key], 'zh-TW': zhCN[key] };
}
