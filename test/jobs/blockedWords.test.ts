import { describe, expect, it } from 'vitest';
import {
  blockedWordKey,
  blockedWordProblem,
  containsBlockedWord,
  maxBlockedWordLength,
  normaliseForMatching,
} from '../../src/jobs/index.ts';

const refuses = (prompt: string, ...words: string[]) => containsBlockedWord(prompt, words);

describe('normalisation for matching', () => {
  it.each([
    ['case', 'BLOCK', 'block'],
    ['full-width letters', 'ｂｌｏｃｋ', 'block'],
    ['full-width capitals', 'ＢＬＯＣＫ', 'block'],
    ['accents, precomposed', 'blöçk', 'block'],
    ['accents, combining', 'blo\u0308c\u0327k', 'block'],
    ['stacked marks', 'b\u0301\u0302\u0303lock', 'block'],
    ['the sharp s, folded', 'STRAßE', 'strasse'],
    ['a ligature', 'ﬁne', 'fine'],
    ['math bold letters', '𝐛𝐥𝐨𝐜𝐤', 'block'],
    ['circled letters', 'ⓑⓛⓞⓒⓚ', 'block'],
    ['a dotted capital I', 'İnk', 'ink'],
    ['zero-width characters inside', 'bl\u200bo\u200dc\u00adk', 'block'],
    ['final and capital sigma alike', 'ΣΟΦΟΣ σοφος', 'σοφοσ σοφοσ'],
  ])('folds %s', (_name, text, expected) => {
    expect(normaliseForMatching(text)).toBe(expected);
  });
});

describe('blocked word keys', () => {
  it('keeps one normalised form per word: variants of a word are the same word', () => {
    const key = blockedWordKey('Block');
    expect(key).toBe('block');
    for (const variant of ['BLOCK', 'ｂｌｏｃｋ', 'blöck', 'b.l.o.c.k', 'B L O C K', '  block  ']) {
      expect(blockedWordKey(variant)).toBe(key);
    }
  });

  it('keeps a phrase as its words, one space apart', () => {
    expect(blockedWordKey('Bad   Word!')).toBe('bad word');
    expect(blockedWordKey('bad-word')).toBe('bad word');
  });

  it('keeps a word of a script without spaces as its letters', () => {
    expect(blockedWordKey('坏 词')).toBe('坏词');
    expect(blockedWordKey('ｱﾀﾞﾙﾄ')).toBe(blockedWordKey('アダルト'));
  });

  it('refuses a word with nothing to match, or too long', () => {
    expect(blockedWordKey('!!! ...')).toBeNull();
    expect(blockedWordKey('\u200b\u200b')).toBeNull();
    expect(blockedWordProblem('...')).toBe('nothing_to_match');
    expect(blockedWordProblem('x'.repeat(maxBlockedWordLength + 1))).toBe('too_long');
    expect(blockedWordProblem('x'.repeat(maxBlockedWordLength))).toBeNull();
  });
});

describe('a blocked word in a prompt', () => {
  it.each([
    ['as it is', 'a big block of ice'],
    ['in capitals', 'a big BLOCK of ice'],
    ['spaced out', 'a big B l o c k of ice'],
    ['dotted', 'a big b.l.o.c.k of ice'],
    ['with dashes and underscores', 'a big b-l_o-c_k of ice'],
    ['with emoji between the letters', 'b🙂l🙂o🙂c🙂k'],
    ['spaced with full-width spaces', 'ｂ\u3000ｌ\u3000ｏ\u3000ｃ\u3000ｋ'],
    ['full-width', 'a big ｂｌｏｃｋ of ice'],
    ['accented', 'a big blöck of ice'],
    ['with combining accents', 'a big blo\u0308ck of ice'],
    ['with zero-width spaces inside', 'a big bl\u200bock of ice'],
    ['in bold math letters', 'a big 𝐛𝐥𝐨𝐜𝐤 of ice'],
    ['at the very start and end', 'block'],
    ['next to punctuation', '"block!", she said'],
    ['glued to Chinese text', '我想要block视频'],
    ['after spelt-out letters', 'x y b l o c k'],
  ])('is refused %s', (_name, prompt) => {
    expect(refuses(prompt, 'block')).toBe(true);
  });

  it.each([
    ['inside a longer word', 'the blockade ran', 'block'],
    ['the Scunthorpe problem: class', 'a class of students', 'ass'],
    ['assistant', 'a helpful assistant', 'ass'],
    ['passage', 'a secret passage', 'ass'],
    ['grass and glass', 'grass behind the glass', 'ass'],
    ["an apostrophe's parts", "he'll be there", 'hell'],
    ['shell and hello', 'hello from the shell', 'hell'],
    ['a phrase with a word between', 'bad old word', 'bad word'],
    ['a phrase in the wrong order', 'word bad', 'bad word'],
    ['one-letter words apart', 'plan a or b', 'ab'],
  ])('is not refused %s', (_name, prompt, word) => {
    expect(refuses(prompt, word)).toBe(false);
  });

  it('matches a phrase word for word, however it is spaced or spelt', () => {
    expect(refuses('a bad  word here', 'bad word')).toBe(true);
    expect(refuses('a BAD-WORD here', 'bad word')).toBe(true);
    expect(refuses('a badword here', 'bad word')).toBe(true);
    expect(refuses('a b a d w o r d here', 'bad word')).toBe(true);
  });

  it('matches a word of a script without spaces anywhere, whatever stands between its letters', () => {
    expect(refuses('一个坏词的视频', '坏词')).toBe(true);
    expect(refuses('一个坏 词的视频', '坏词')).toBe(true);
    expect(refuses('一个坏.词的视频', '坏词')).toBe(true);
    expect(refuses('一个好词的视频', '坏词')).toBe(false);
    expect(refuses('ｱﾀﾞﾙﾄ', 'アダルト')).toBe(true);
  });

  it('matches words given in any of their forms', () => {
    expect(refuses('a block', 'ＢＬＯＣＫ')).toBe(true);
    expect(refuses('a block', 'b.l.o.c.k')).toBe(true);
    expect(refuses('a blöck', 'BLOCK')).toBe(true);
  });

  it('matches any word of the list, and none of an empty list', () => {
    expect(refuses('a cat on a mat', 'dog', 'mat')).toBe(true);
    expect(refuses('a cat on a mat', 'dog', 'rat')).toBe(false);
    expect(refuses('a cat on a mat')).toBe(false);
    expect(refuses('a cat', '...')).toBe(false);
  });

  it('catches a word spelt out letter by letter even inside a longer spelt word (a known over-match)', () => {
    // Ordinary prose is never spelt out letter by letter; a prompt that is gets the stricter reading.
    expect(refuses('c l a s s', 'ass')).toBe(true);
  });

  it('does not catch look-alike letters of other scripts or digits for letters (documented)', () => {
    // Cyrillic о for Latin o, and leetspeak: an admin blocks those spellings as words of their own.
    expect(refuses('a bl\u043eck', 'block')).toBe(false);
    expect(refuses('a bl0ck', 'block')).toBe(false);
    expect(refuses('a bl0ck', 'block', 'bl0ck')).toBe(true);
  });
});
