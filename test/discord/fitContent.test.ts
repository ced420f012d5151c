import { describe, expect, it } from 'vitest';
import { fitLines, joinWithin, textWithList } from '../../src/discord/fitContent.ts';

const more = (count: number) => `and ${count} more`;

describe('fitting content within a limit', () => {
  it('keeps a list that fits as it is', () => {
    expect(joinWithin(['<#1>', '<#2>'], 9, more)).toBe('<#1> <#2>');
  });

  it('keeps whole items only and says how many were left out, within the limit', () => {
    const items = Array.from({ length: 10 }, (_, index) => `<#${100 + index}>`);
    const joined = joinWithin(items, 40, more);
    expect(joined).toBe('<#100> <#101> <#102> <#103> and 6 more');
    expect(joined.length).toBeLessThanOrEqual(40);
  });

  it('never splits a surrogate pair: an item of emoji is kept whole or left out', () => {
    // 11 UTF-16 units in all, 10 allowed: a cut by units would fall inside the second 🎬.
    const joined = joinWithin(['🦁🦁', '🎬🎬🎬'], 10, (count) => `+${count}`);
    expect(joined).toBe('🦁🦁 +1');
  });

  it('says only "and N more" when not even the first item fits', () => {
    expect(joinWithin(['<#123456789>', '<#2>'], 12, more)).toBe('and 2 more');
  });

  it('fits a message with a list placeholder, counting the sentence around it', () => {
    const items = Array.from({ length: 300 }, (_, index) => `<#${500_000_000_000_000_000n + BigInt(index)}>`);
    const text = textWithList('en-US', 'error.channel_not_allowed', 'channels', items);
    expect(text.length).toBeLessThanOrEqual(2_000);
    expect(text).toMatch(/^Videos cannot be made in this channel\. Try one of: (<#\d+> )+and \d+ more\.$/);
    expect(textWithList('zh-CN', 'error.channel_not_allowed', 'channels', items)).toMatch(/等另外 \d+ 项。$/);
  });

  it('cuts lines on a line boundary', () => {
    const text = [
      'title',
      ...Array.from({ length: 50 }, (_, index) => `line ${index} ${'x'.repeat(50)}`),
    ].join('\n');
    const fitted = fitLines(text, 'en-US', 500);
    expect(fitted.length).toBeLessThanOrEqual(500);
    const lines = fitted.split('\n');
    expect(lines[0]).toBe('title');
    expect(lines.at(-1)).toBe(`and ${51 - (lines.length - 1)} more`);
    expect(fitLines('short', 'en-US')).toBe('short');
  });
});
