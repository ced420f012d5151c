// Keeping message content within Discord's limit: whole items only, then "and N more". Pure.
import { type MessageKey, t, type Vars } from '../i18n/index.ts';

/**
 * Discord refuses message content longer than this (400, 50035 Invalid Form Body). Lengths here
 * are JavaScript's UTF-16 units, never fewer than the characters Discord counts, so what fits here
 * fits there.
 */
export const maxContentLength = 2_000;

/**
 * Joins `items` with `separator` into at most `max` units. When they do not all fit, as many
 * whole items as fit are kept, followed by `more(n)` for the n left out. An item is never cut, so
 * a mention or a character outside the Basic Multilingual Plane (a surrogate pair) stays whole.
 */
export function joinWithin(
  items: readonly string[],
  max: number,
  more: (count: number) => string,
  separator = ' ',
): string {
  const whole = items.join(separator);
  if (whole.length <= max) return whole;
  let length = 0;
  let kept = 0;
  for (const item of items) {
    const added = (kept > 0 ? separator.length : 0) + item.length;
    const tail = separator.length + more(items.length - kept - 1).length;
    if (length + added + tail > max) break;
    length += added;
    kept++;
  }
  return [...items.slice(0, kept), more(items.length - kept)].join(separator);
}

/** "and 12 more", in the reader's language. */
export function moreText(locale: string, count: number): string {
  return t(locale, 'list.more', { count });
}

/**
 * The message `key` whose `{listName}` placeholder is a list: as many whole items as fit in
 * `max` with the rest of the sentence, then "and N more".
 */
export function textWithList(
  locale: string,
  key: MessageKey,
  listName: string,
  items: readonly string[],
  options: { vars?: Vars; max?: number; separator?: string } = {},
): string {
  const max = options.max ?? maxContentLength;
  const frame = t(locale, key, { ...options.vars, [listName]: '' });
  const list = joinWithin(items, max - frame.length, (count) => moreText(locale, count), options.separator);
  return t(locale, key, { ...options.vars, [listName]: list });
}

/** A reply of several lines cut to Discord's limit on a line boundary, saying how many lines were left out. */
export function fitLines(text: string, locale: string, max = maxContentLength): string {
  if (text.length <= max) return text;
  return joinWithin(text.split('\n'), max, (count) => moreText(locale, count), '\n');
}
