import { describe, expect, it } from 'vitest';
import { checkPrompt, hasVisibleText, normalisePrompt, validateVideoOptions } from '../../src/jobs/index.ts';
import { buildCatalogue } from '../../src/provider/index.ts';

const { catalogue } = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
});
if (!catalogue) throw new Error('no catalogue');

describe('prompts that show nothing count as empty', () => {
  it.each([
    ['zero-width spaces', '\u200b\u200b\u200b'],
    ['word joiners', '\u2060\u2060'],
    ['Hangul fillers', '\u3164\u3164 \u115f\u1160\uffa0'],
    ['Braille blanks', '\u2800\u2800\u2800'],
    ['blanks of every kind', ' \u00a0\u2003\u3000\t\n'],
    ['a byte order mark and soft hyphens', '\ufeff\u00ad\u00ad'],
    ['all of them mixed', '\u200b \u2060\u3164\u2800\u200d\u200c'],
  ])('refuses a prompt of %s as empty', (_name, text) => {
    expect(hasVisibleText(text)).toBe(false);
    expect(checkPrompt(text)).toEqual({ ok: false, problem: 'prompt_empty' });
    expect(validateVideoOptions({ prompt: text }, catalogue)).toMatchObject({
      ok: false,
      problem: 'prompt_empty',
    });
  });

  it('accepts any visible letter or digit, in any script, however much invisible text is around it', () => {
    for (const text of ['a', '7', '狗', 'ё', '\u200bcat\u200b', '\u2800\u2800 一只狗 \u3164']) {
      expect(hasVisibleText(text), text).toBe(true);
      expect(checkPrompt(text).ok, text).toBe(true);
    }
  });

  it('sends the prompt NFKC-normalised, without blank or invisible characters at its ends', () => {
    expect(normalisePrompt('\u200b  ＡＢＣ ①\u2060 ')).toBe('ABC 1');
    expect(checkPrompt('\u3164 a lion \u200b')).toEqual({ ok: true, prompt: 'a lion' });
    // Inside the prompt nothing is taken away.
    expect(normalisePrompt('a\u200bb')).toBe('a\u200bb');
    const valid = validateVideoOptions({ prompt: ' \u200ba paper boat\u200b ' }, catalogue);
    expect(valid.ok && valid.value.prompt).toBe('a paper boat');
  });

  it('counts the length after normalising, in characters', () => {
    expect(checkPrompt('狗'.repeat(1_000)).ok).toBe(true);
    expect(checkPrompt(`${'狗'.repeat(1_000)}\u200b\u200b`).ok).toBe(true);
    expect(checkPrompt('a'.repeat(1_001))).toEqual({
      ok: false,
      problem: 'prompt_too_long',
      length: 1_001,
      max: 1_000,
    });
  });
});

describe('takes and reference images, checked before anything is spent', () => {
  it('takes 1 to 4 takes, 1 when none is given', () => {
    const takesOf = (takes?: number | null) => validateVideoOptions({ prompt: 'a lion', takes }, catalogue);
    const accepted = (takes?: number | null) => {
      const result = takesOf(takes);
      return result.ok ? result.value.takes : null;
    };
    expect([accepted(), accepted(null), accepted(4)]).toEqual([1, 1, 4]);
    for (const takes of [0, 5, 2.5, -1]) {
      expect(takesOf(takes)).toEqual({ ok: false, problem: 'bad_takes', takes, max: 4 });
    }
  });

  it('takes as many images as the model takes, and refuses one more', () => {
    const { catalogue: withSora } = buildCatalogue({
      enabledIds: ['veo-3.1-fast-generate-preview', 'sora-2'],
      custom: [],
      defaultModelId: 'veo-3.1-fast-generate-preview',
    });
    if (!withSora) throw new Error('no catalogue');
    const images = (model: string, referenceImages: number) =>
      validateVideoOptions({ prompt: 'a lion', model, referenceImages }, withSora);
    expect(images('veo-3.1-fast-generate-preview', 3).ok).toBe(true);
    expect(images('veo-3.1-fast-generate-preview', 4)).toEqual({
      ok: false,
      problem: 'too_many_references',
      model: 'veo-3.1-fast-generate-preview',
      count: 4,
      max: 3,
    });
    expect(images('sora-2', 1).ok).toBe(true);
    expect(images('sora-2', 2)).toMatchObject({ ok: false, problem: 'too_many_references', max: 1 });
  });
});
