// A server's blocked words and its refused prompts, on PostgreSQL.

import { blockedWordKey } from '../../blockedWords.ts';
import type { BlockedWord, WordLists } from '../contract.ts';
import { wordKeyOf } from '../wordKey.ts';
import type { Database } from './database.ts';

export function createWordLists(database: Database, now: () => number): WordLists {
  return {
    blockedWords: (guildId) =>
      database.query<BlockedWord>(
        `SELECT word, created_by AS "createdBy", created_at AS "createdAt" FROM blocked_words
         WHERE guild_id = $1 ORDER BY created_at, word_key`,
        [guildId],
      ),

    async addBlockedWord(guildId, word, actorId) {
      const rows = await database.query(
        `INSERT INTO blocked_words (guild_id, word_key, word, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (guild_id, word_key) DO NOTHING RETURNING 1`,
        [guildId, wordKeyOf(word), word, actorId, now()],
      );
      return rows.length > 0;
    },

    async removeBlockedWord(guildId, word) {
      const key = blockedWordKey(word);
      if (key === null) return null;
      const [row] = await database.query<{ word: string }>(
        'DELETE FROM blocked_words WHERE guild_id = $1 AND word_key = $2 RETURNING word',
        [guildId, key],
      );
      return row?.word ?? null;
    },

    async recordRefusal(guildId, userId, reason) {
      await database.query(
        'INSERT INTO prompt_refusals (guild_id, user_id, reason, created_at) VALUES ($1, $2, $3, $4)',
        [guildId, userId, reason, now()],
      );
    },

    async refusalCount(guildId, since) {
      const [row] = await database.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM prompt_refusals WHERE guild_id = $1 AND created_at > $2',
        [guildId, since],
      );
      return row?.n ?? 0;
    },
  };
}
