// The guild_styles table's columns and its name key, shared by both implementations.

/** The key a style's name is unique by: compatibility-normalised and case-folded ("Noir" = "ＮＯＩＲ" = "noir"). */
export const styleNameKey = (name: string): string => name.normalize('NFKC').toLowerCase();

export const styleSelectList = [
  'guild_id AS "guildId"',
  'name',
  'text',
  'placement',
  'model',
  'size',
  'seconds',
  'created_by AS "createdBy"',
  'created_at AS "createdAt"',
].join(', ');
