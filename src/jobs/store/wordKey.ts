// The key a blocked word is kept under (`word_key`), the same on both stores.
import { blockedWordKey } from '../blockedWords.ts';

export function wordKeyOf(word: string): string {
  const key = blockedWordKey(word);
  if (key === null) throw new RangeError('a blocked word needs a letter or digit');
  return key;
}
