// The channel_settings table's columns, shared by both implementations.
import type { ChannelSettings } from './contract.ts';

export type ChannelField = keyof Omit<ChannelSettings, 'guildId' | 'channelId'>;

export const channelColumns: Record<ChannelField, string> = {
  model: 'model',
  size: 'size',
  seconds: 'seconds',
  styleName: 'style_name',
  threads: 'threads',
  maxSeconds: 'max_seconds',
  maxTakes: 'max_takes',
};

export const channelFields = Object.keys(channelColumns) as ChannelField[];

export const channelSelectList = [
  'guild_id AS "guildId"',
  'channel_id AS "channelId"',
  ...channelFields.map((field) => `${channelColumns[field]} AS "${field}"`),
].join(', ');

export const unsetChannel = (guildId: string, channelId: string): ChannelSettings => ({
  guildId,
  channelId,
  model: null,
  size: null,
  seconds: null,
  styleName: null,
  threads: null,
  maxSeconds: null,
  maxTakes: null,
});

/** The fields a patch names (null included: it clears the setting). */
export const writtenFields = (patch: Partial<Record<ChannelField, unknown>>): ChannelField[] =>
  channelFields.filter((field) => patch[field] !== undefined);
