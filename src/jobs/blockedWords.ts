// A server's blocked words, matched against a prompt. Pure: no store, no Discord.
//
// Both the words and the prompt go through one normalisation, so the easy dodges meet the word
// again: case (full case folding), accents and other combining marks, full-width and other
// compatibility forms (NFKD), and invisible characters (zero-width spaces, joiners, soft hyphens).
// Then a word matches:
// - in scripts that separate words with spaces (Latin, Cyrillic, Greek, Arabic, Hangul…), only as
//   whole words of the prompt ("class" never matches "ass": the Scunthorpe problem), a phrase as
//   consecutive words, or spelt out as single letters with anything between them ("B l o c k",
//   "b.l.o.c.k", "b-l-o-c-k");
// - in scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar), anywhere in the
//   prompt's letters, whatever stands between them ("坏 词", "坏.词"): there are no word boundaries
//   to respect.

/** The longest word (in characters, as given) an admin may block. */
export const maxBlockedWordLength = 60;
/** The most words one server may block. */
export const maxBlockedWords = 200;

/** Scripts written without spaces between words. */
const unspacedScript =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]/u;
/** A letter or digit of a spaced script: what words are made of. */
const spacedWord =
  /(?:(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}])[\p{L}\p{N}])+/gu;
const letterOrDigit = /[\p{L}\p{N}]/u;
const notLetterOrDigit = /[^\p{L}\p{N}]+/gu;
const invisible = /\p{Default_Ignorable_Code_Point}/gu;
const marks = /\p{M}/gu;

/**
 * The text as the matcher sees it: compatibility forms decomposed (full-width "ｂ" is "b", "ﬁ" is
 * "fi"), case folded ("ß" is "ss", "Σ" and "ς" are "σ"), combining marks dropped ("ö" is "o",
 * "İ" is "i"), invisible characters dropped.
 */
export function normaliseForMatching(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(invisible, '')
      // Upper then lower case: JavaScript's nearest to full case folding (ß → SS → ss).
      .toUpperCase()
      .toLowerCase()
      // Lower-casing writes a word-final sigma as ς; case folding makes every sigma σ.
      .replaceAll('ς', 'σ')
      .normalize('NFKD')
      .replace(marks, '')
  );
}

/**
 * The form a blocked word is kept and compared by (its `word_key`): normalised, its words joined
 * by one space; a word given spelt out ("b.l.o.c.k") is the word itself. Null when nothing of it
 * is left to match (no letter or digit).
 */
export function blockedWordKey(word: string): string | null {
  const normalised = normaliseForMatching(word);
  if (!letterOrDigit.test(normalised)) return null;
  if (unspacedScript.test(normalised)) return normalised.replace(notLetterOrDigit, '');
  const words = normalised.match(spacedWord) ?? [];
  if (words.length === 0) return null;
  return words.every((w) => [...w].length === 1) ? words.join('') : words.join(' ');
}

/** Why a blocked word cannot be added, or null when it can. */
export function blockedWordProblem(word: string): 'too_long' | 'nothing_to_match' | null {
  if ([...word].length > maxBlockedWordLength) return 'too_long';
  return blockedWordKey(word) === null ? 'nothing_to_match' : null;
}

/** The prompt taken apart once, for every word of the list. */
interface PreparedText {
  /** The words of spaced scripts, in order (a character of an unspaced script ends a word). */
  words: string[];
  /** Each run of two or more single-letter words ("b l o c k"), joined ("block"). */
  spelt: string[];
  /** Every letter and digit, nothing between them. */
  letters: string;
}

function prepare(text: string): PreparedText {
  const normalised = normaliseForMatching(text);
  const words = normalised.match(spacedWord) ?? [];
  const spelt: string[] = [];
  let run: string[] = [];
  for (const word of [...words, '']) {
    if ([...word].length === 1) {
      run.push(word);
      continue;
    }
    if (run.length >= 2) spelt.push(run.join(''));
    run = [];
  }
  return { words, spelt, letters: normalised.replace(notLetterOrDigit, '') };
}

/** True when `phrase` (words) stands at some place in `words`, word for word. */
function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  for (let start = 0; start + phrase.length <= words.length; start++) {
    if (phrase.every((word, offset) => words[start + offset] === word)) return true;
  }
  return false;
}

function matchesKey(text: PreparedText, key: string): boolean {
  const joined = key.replaceAll(' ', '');
  if (unspacedScript.test(key)) return text.letters.includes(joined);
  const phrase = key.split(' ');
  if (containsPhrase(text.words, phrase)) return true;
  // A phrase written as one word ("badword" for "bad word") is the phrase too.
  if (phrase.length > 1 && text.words.includes(joined)) return true;
  return [...joined].length >= 2 && text.spelt.some((letters) => letters.includes(joined));
}

/**
 * True when `text` contains any of the blocked `words` (as admins gave them: each is compared by
 * its key, worked out again here, so a change of the normalisation applies to words kept before
 * it). The caller says no more than "this prompt is refused": which word matched is never shown
 * or logged.
 */
export function containsBlockedWord(text: string, words: readonly string[]): boolean {
  const keys = words.map(blockedWordKey).filter((key): key is string => key !== null);
  if (keys.length === 0) return false;
  const prepared = prepare(text);
  return keys.some((key) => matchesKey(prepared, key));
}
