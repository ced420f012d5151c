// A server's blocked words and its refused prompts, on SQLite.

import { blockedWordKey } from '../../blockedWords.ts';
import type { BlockedWord, WordLists } from '../contract.ts';
import { wordKeyOf } from '../wordKey.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteWords(sql: SqliteDatabase): Synchronous<WordLists> {
  return {
    blockedWords: (guildId) =>
      sql
        .prepare(
          `SELECT word, created_by AS createdBy, created_at AS createdAt FROM blocked_words
           WHERE guild_id = ? ORDER BY created_at, word_key`,
        )
        .all(guildId) as BlockedWord[],

    addBlockedWord: (guildId, word, actorId) =>
      sql
        .prepare(
          `INSERT INTO blocked_words (guild_id, word_key, word, created_by, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (guild_id, word_key) DO NOTHING`,
        )
        .run(guildId, wordKeyOf(word), word, actorId, sql.now()).changes > 0,

    removeBlockedWord(guildId, word) {
      const key = blockedWordKey(word);
      if (key === null) return null;
      const row = sql
        .prepare('DELETE FROM blocked_words WHERE guild_id = ? AND word_key = ? RETURNING word')
        .get(guildId, key) as { word: string } | undefined;
      return row?.word ?? null;
    },

    recordRefusal(guildId, userId, reason) {
      sql
        .prepare('INSERT INTO prompt_refusals (guild_id, user_id, reason, created_at) VALUES (?, ?, ?, ?)')
        .run(guildId, userId, reason, sql.now());
    },

    refusalCount: (guildId, since) =>
      (
        sql
          .prepare('SELECT COUNT(*) AS n FROM prompt_refusals WHERE guild_id = ? AND created_at > ?')
          .get(guildId, since) as { n: number }
      ).n,
  };
}
