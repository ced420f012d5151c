import { describe, expect, it } from 'vitest';
import { commandSet } from '../../commands/index.ts';
import { commandDefinitions } from '../../src/discord/register.ts';
import { catalogues, listText, resolveLocale, t, translation } from '../../src/i18n/index.ts';
import { zhCN } from '../../src/i18n/zh-CN.ts';
import { catalogue } from '../jobs/helpers.ts';

describe('resolveLocale', () => {
  it.each([
    ['en-US', 'en-US'],
    ['en-GB', 'en-US'],
    ['pt-BR', 'en-US'],
    [undefined, 'en-US'],
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['zh-TW', 'zh-TW'],
    ['zh-HK', 'zh-TW'],
  ])('answers %s in %s', (locale, expected) => {
    expect(resolveLocale(locale)).toBe(expected);
  });

  it('gives a zh-TW member Taiwan usage, not the Simplified catalogue', () => {
    expect(t('zh-TW', 'history.title')).toBe('影片紀錄');
    expect(t('zh-HK', 'history.title')).toBe('影片紀錄');
    expect(t('zh-CN', 'history.title')).toBe('视频记录');
  });
});

describe('the translations', () => {
  it('are refused by the type checker when a placeholder differs from en-US', () => {
    const broken = { ...zhCN, 'error.prompt_too_long': '提示词太长了。' } as const;
    // @ts-expect-error: {length} and {max} are missing, so the compiler refuses the catalogue.
    expect(translation(broken)['error.prompt_too_long']).toBe('提示词太长了。');
  });

  const chinese = { 'zh-CN': catalogues['zh-CN'], 'zh-TW': catalogues['zh-TW'] };

  it.each(Object.entries(chinese))(
    '%s uses full-width punctuation, never ASCII , : ; ? ( )',
    (_, catalogue) => {
      const ascii = Object.entries(catalogue).filter(([, text]) => /[,:;?()]/.test(text));
      expect(ascii).toEqual([]);
    },
  );

  it("zh-CN follows Discord's own Chinese: 管理员 is the Administrator permission, roles are 身份组", () => {
    const clashing = Object.entries(catalogues['zh-CN']).filter(([, text]) => /管理员|角色/.test(text));
    expect(clashing).toEqual([]);
    expect(t('zh-CN', 'admin.moderator_role_set', { role: '@mods' })).toBe('版主身份组已设为 @mods。');
  });

  it('zh-TW uses Taiwan words, not mainland ones written in Traditional characters', () => {
    const mainland = /視頻|時長|記錄|角色|封禁|服務器|信息|默認|鏈接|文件|用戶|設置|密鑰|高清|屏/;
    const found = Object.entries(catalogues['zh-TW']).filter(([, text]) => mainland.test(text));
    expect(found).toEqual([]);
  });

  it.each(['zh-CN', 'zh-TW'] as const)(
    '%s names a command as that client lists it: its localised name, never the English one',
    (locale) => {
      const definitions = commandDefinitions(commandSet.commands, catalogue);
      const localised = new Set(definitions.map((command) => command.name_localizations?.[locale]));
      const named = Object.values(catalogues[locale]).flatMap((text) =>
        [...text.matchAll(/(?<![\w.])\/([^\s/（）。，、：；]+)/g)].map((match) => match[1]),
      );
      expect(named.length).toBeGreaterThan(0);
      for (const name of named) expect(localised, `/${name}`).toContain(name);
    },
  );

  it('joins lists with the locale’s separators', () => {
    expect(listText('en-US', ['a', 'b', 'c'])).toBe('a, b, c');
    expect(listText('zh-CN', ['a', 'b', 'c'])).toBe('a、b、c');
    expect(listText('zh-TW', ['a', 'b'])).toBe('a、b');
  });
});
