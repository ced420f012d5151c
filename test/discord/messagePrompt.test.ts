// A member's message as a prompt, and the drafts kept between a Make a video command and its form.
import { describe, expect, it } from 'vitest';
import { createMessageDrafts, draftLifetimeMs, type MessageDraft } from '../../src/discord/messageDrafts.ts';
import { type MentionNames, plainWords, promptFromMessage } from '../../src/discord/messagePrompt.ts';
import { maxPromptLength } from '../../src/jobs/index.ts';

const names: MentionNames = {
  user: (id) => ({ '1': 'Bob B.', '2': '<#3>' })[id],
  role: (id) => ({ '4': 'video mods' })[id],
  channel: (id) => ({ '3': 'general' })[id],
};

describe('plainWords', () => {
  it.each([
    ['<@1> and <@!1>', '@Bob B. and @Bob B.'],
    ['for <@&4>', 'for @video mods'],
    ['in <#3>', 'in #general'],
    ['<:shipit:500> <a:party_parrot:501>', ':shipit: :party_parrot:'],
    ['try </video:600> or </video-admin quota:601>', 'try /video or /video-admin quota'],
    ['at <t:1767225600:R> or <t:1767225600>', 'at 2026-01-01 00:00 UTC or 2026-01-01 00:00 UTC'],
  ])('turns %s into %s', (text, words) => {
    expect(plainWords(text, names)).toBe(words);
  });

  it('names what Discord did not resolve by its kind', () => {
    expect(plainWords('<@9> <@&9> <#9>', names)).toBe('@user @role #channel');
  });

  it("names them in the member's language", () => {
    expect(plainWords('<@9> <@&9> <#9>', names, 'zh-CN')).toBe('@用户 @身份组 #频道');
    expect(promptFromMessage('<@9> 和 <@1>', names, 'zh-TW')).toBe('@使用者 和 @Bob B.');
  });

  it('never reads a name as markup again: a display name that looks like a channel mention stays text', () => {
    expect(plainWords('hi <@2>', names)).toBe('hi @<#3>');
  });

  it('leaves text that only looks like markup alone', () => {
    expect(plainWords('a <b> c <@abc> 1 < 2', names)).toBe('a <b> c <@abc> 1 < 2');
  });
});

describe('promptFromMessage', () => {
  it('trims, and cuts at the prompt limit on whole characters (an emoji is not split)', () => {
    const long = `  ${'🌊'.repeat(maxPromptLength + 5)}  `;
    const prompt = promptFromMessage(long, names);
    expect([...prompt]).toHaveLength(maxPromptLength);
    expect(prompt.endsWith('🌊')).toBe(true);
    expect(promptFromMessage('  <@1> at sea  ', names)).toBe('@Bob B. at sea');
  });

  it('counts the limit after mentions became words', () => {
    const text = `${'a'.repeat(maxPromptLength - 3)} <@1>`;
    expect(promptFromMessage(text, names)).toBe(`${'a'.repeat(maxPromptLength - 3)} @B`);
  });
});

describe('message drafts', () => {
  const draft: MessageDraft = {
    userId: '1',
    guildId: '2',
    channelId: '3',
    messageId: '4',
    authorId: '5',
    authorName: 'Bob B.',
    images: [],
  };

  it('gives a draft once, within its lifetime', () => {
    let now = 0;
    const drafts = createMessageDrafts(() => now);
    drafts.put('a', draft);
    drafts.put('b', draft);
    expect(drafts.take('a')).toEqual(draft);
    expect(drafts.take('a')).toBeUndefined();
    now = draftLifetimeMs;
    expect(drafts.take('b')).toBeUndefined();
  });

  it('keeps a bounded number, forgetting the oldest first', () => {
    const drafts = createMessageDrafts(() => 0);
    for (let i = 0; i < 2_001; i++) drafts.put(String(i), { ...draft, messageId: String(i) });
    expect(drafts.take('0')).toBeUndefined();
    expect(drafts.take('1')?.messageId).toBe('1');
    expect(drafts.take('2000')?.messageId).toBe('2000');
  });
});
