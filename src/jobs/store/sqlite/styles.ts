// A server's styles on SQLite.
import type { ServerStyle, Styles } from '../contract.ts';
import { styleNameKey, styleSelectList } from '../styleFields.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteStyles(sql: SqliteDatabase): Synchronous<Styles> {
  const read = (guildId: string, name: string) =>
    sql
      .prepare(`SELECT ${styleSelectList} FROM guild_styles WHERE guild_id = ? AND name_key = ?`)
      .get(guildId, styleNameKey(name)) as ServerStyle | undefined;

  return {
    styles: (guildId) =>
      sql
        .prepare(`SELECT ${styleSelectList} FROM guild_styles WHERE guild_id = ? ORDER BY name_key`)
        .all(guildId) as ServerStyle[],

    style: read,

    addStyle: (style) =>
      sql
        .prepare(
          `INSERT INTO guild_styles (guild_id, name_key, name, text, placement, model, size, seconds, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, name_key) DO NOTHING`,
        )
        .run(
          style.guildId,
          styleNameKey(style.name),
          style.name,
          style.text,
          style.placement,
          style.model,
          style.size,
          style.seconds,
          style.createdBy,
          sql.now(),
        ).changes > 0,

    removeStyle: (guildId, name) =>
      sql.transaction(() => {
        const style = read(guildId, name);
        if (style) {
          sql
            .prepare('DELETE FROM guild_styles WHERE guild_id = ? AND name_key = ?')
            .run(guildId, styleNameKey(name));
        }
        return style;
      }),
  };
}
