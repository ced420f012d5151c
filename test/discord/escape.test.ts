import { describe, expect, it } from 'vitest';
import { escapeUntrusted, renderJob } from '../../src/discord/render.ts';
import { notAnImageText, problemText, providerErrorText } from '../../src/discord/replies.ts';
import { ProviderError } from '../../src/provider/index.ts';
import { jobFixture } from './fixtures.ts';

/** The block markdown Discord renders when a line starts with it (leading spaces allowed). */
function blockAtLineStart(text: string): string | null {
  for (const line of text.split('\n')) {
    const match = /^\s*(#{1,3} |-# |[-*] |\d+\. |>>> |> )/.exec(line);
    if (match) return match[1] ?? null;
  }
  return null;
}

/** Characters that still act as markdown: not preceded by an odd number of backslashes. */
function unescaped(text: string, pattern: RegExp): boolean {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  for (const match of text.matchAll(new RegExp(pattern.source, flags))) {
    const before = /\\*$/.exec(text.slice(0, match.index))?.[0].length ?? 0;
    if (before % 2 === 0) return true;
  }
  return false;
}

describe('escapeUntrusted', () => {
  it.each([
    ['# FREE NITRO', '# '],
    ['## claim now', '## '],
    ['### small heading', '### '],
    ['-# subtext', '-# '],
    ['- a list item', '- '],
    ['* a list item', '* '],
    ['1. a numbered item', '1. '],
    ['42. a numbered item', '42. '],
    ['> a quote', '> '],
    ['>>> a long quote', '>>> '],
  ])('keeps "%s" from rendering as block markdown', (raw, construct) => {
    expect(blockAtLineStart(raw)).toBe(construct);
    const escaped = escapeUntrusted(raw, 300);
    expect(blockAtLineStart(escaped)).toBeNull();
    // Still readable: only backslashes were added.
    expect(escaped.replaceAll('\\', '')).toBe(raw);
  });

  it('escapes block markdown after the prompt quote the card puts in front of it', () => {
    const payload = renderJob(jobFixture({ prompt: '# FREE NITRO' }), 'en-US', {
      now: 0,
      supportsRemix: false,
    });
    expect(payload.embeds[0]?.description?.split('\n')[0]).toBe('> \\# FREE NITRO');
  });

  it('leaves a hash or a dash inside a line alone', () => {
    expect(escapeUntrusted('a #hashtag - and 1. more', 300)).toBe('a #hashtag - and 1. more');
    expect(escapeUntrusted('#hashtag', 300)).toBe('#hashtag');
  });

  it('breaks masked links', () => {
    const escaped = escapeUntrusted('[click me](https://evil.example)', 300);
    expect(escaped).toBe('\\[click me\\](https://evil.example)');
    expect(unescaped(escaped, /\[/)).toBe(false);
    expect(unescaped(escaped, /\]/)).toBe(false);
  });

  it('neutralises user, role and channel mentions, @everyone and @here', () => {
    const escaped = escapeUntrusted('<@1> <@!2> <@&3> <#4> @everyone @here', 300);
    expect(escaped).not.toMatch(/<[@#]/);
    expect(escaped).not.toContain('@everyone');
    expect(escaped).not.toContain('@here');
  });

  it('escapes backticks and code fences', () => {
    const inline = escapeUntrusted('`code`', 300);
    expect(inline).toBe('\\`code\\`');
    const fence = escapeUntrusted('```js\nalert(1)\n```', 300);
    expect(unescaped(fence, /`/)).toBe(false);
  });

  it('escapes bold, italics, strikethrough and spoilers', () => {
    const escaped = escapeUntrusted('**b** _i_ ~~s~~ ||spoiler||', 300);
    expect(unescaped(escaped, /[*_~|]/)).toBe(false);
  });
});

describe('member-visible text from outside', () => {
  it('escapes a provider error message', () => {
    const text = providerErrorText(
      'en-US',
      new ProviderError('invalid_request', '# FREE NITRO [here](https://evil.example) @everyone'),
    );
    expect(text).toBe(
      'The video provider rejected the request: \\# FREE NITRO \\[here\\](https://evil.example) @\u200beveryone',
    );
  });

  it('escapes an attachment file name in the refusal', () => {
    const text = notAnImageText('en-US', '**<@1>**.png');
    expect(text).toBe(
      'The attached file "\\*\\*<\u200b@\u200b1\\>\\*\\*.png" is not an image. Attach a PNG, JPEG, WebP or GIF.',
    );
    expect(unescaped(text, /\*/)).toBe(false);
  });

  it('escapes a model name the member typed', () => {
    const text = problemText('en-US', { problem: 'unknown_model', model: '# big', allowed: ['veo'] });
    expect(blockAtLineStart(text)).toBeNull();
    expect(text).toContain('"\\# big"');
  });
});
