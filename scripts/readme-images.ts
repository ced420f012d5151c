// Renders the README's pictures from the real message payloads (renderJob), so they stay true:
// writes an HTML page per state, then asks headless Chromium for a screenshot of each.
//   node --experimental-strip-types scripts/readme-images.ts   (needs /usr/bin/chromium)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIEmbed } from 'discord.js';
import { renderJob } from '../src/discord/render.ts';
import type { Job } from '../src/jobs/index.ts';
import { builtInModels } from '../src/provider/index.ts';
import { createdAt, jobFixture } from '../test/discord/fixtures.ts';

const out = join(import.meta.dirname, '../docs/images');
// The tests' job row, with what the pictures show.
const base: Job = jobFixture({
  id: 42,
  guildId: '1',
  channelId: '2',
  userId: '3',
  applicationId: '4',
  interactionId: '5',
  interactionToken: null,
  replyMessageId: '6',
  prompt: 'A cinematic lion at sunset on a savanna ridge, golden hour, slow dolly-in',
  seconds: 8,
  referenceImages: [
    { url: 'https://cdn.example/lion-reference.png', name: 'lion-reference.png', size: null },
  ],
  updatedAt: createdAt,
});

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

const renderedAt = createdAt + 47_000;

/** A `<t:…:R>` timestamp as a Discord client shows it at `renderedAt`. */
function relativeTime(at: number): string {
  const seconds = Math.round((renderedAt - at) / 1000);
  return seconds < 60 ? `${seconds} seconds ago` : `${Math.round(seconds / 60)} minutes ago`;
}

/** Enough of Discord's markdown for these cards: quotes, code, mentions, timestamps, escapes. */
function markdown(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let html = escapeHtml(line.replace(/\\(.)/g, '$1').replace(/\u200b/g, ''));
      html = html
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/&lt;@\d+&gt;/g, '<span class="mention">@alice</span>')
        .replace(/&lt;t:(\d+):R&gt;/g, (_, unix: string) => relativeTime(Number(unix) * 1000));
      return html.startsWith('&gt; ')
        ? `<div class="quote">${html.slice(5)}</div>`
        : `<div>${html || '&nbsp;'}</div>`;
    })
    .join('');
}

function page(embed: APIEmbed, buttons: string[], video: boolean): string {
  const colour = `#${(embed.color ?? 0).toString(16).padStart(6, '0')}`;
  const fields = (embed.fields ?? [])
    .map(
      (field) =>
        `<div class="field"><b>${escapeHtml(field.name)}</b><div>${markdown(field.value)}</div></div>`,
    )
    .join('');
  const thumb = video
    ? `<div class="video"><img src="data:image/webp;base64,${readFileSync(join(import.meta.dirname, '../assets/sample-thumbnail.webp')).toString('base64')}"><div class="play">▶</div></div>`
    : '';
  return `<!doctype html><meta charset="utf-8"><style>
    body{margin:0;background:#313338;font:15px/1.4 "gg sans","Noto Sans","Helvetica Neue",Arial,sans-serif;color:#dbdee1;padding:16px;width:560px}
    .author{display:flex;gap:10px;align-items:center;margin-bottom:4px}.avatar{width:40px;height:40px;border-radius:50%;background:#5865f2;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700}
    .name{color:#fff;font-weight:600}.tag{background:#5865f2;color:#fff;font-size:10px;border-radius:3px;padding:1px 4px;margin-left:4px}
    .body{margin-left:50px}.embed{background:#2b2d31;border-left:4px solid ${colour};border-radius:4px;padding:10px 14px;max-width:480px}
    .title{color:#fff;font-weight:600;margin-bottom:6px}.quote{border-left:4px solid #4e5058;padding-left:8px}
    code{background:#1e1f22;border-radius:3px;padding:1px 3px;font-family:Consolas,monospace;font-size:13px}
    .fields{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-top:8px}.field b{color:#fff;font-size:13px}
    .footer{margin-top:8px;font-size:12px;color:#b5bac1}.mention{background:#3c4270;color:#c9cdfb;border-radius:3px;padding:0 2px}
    .buttons{display:flex;gap:8px;margin-top:8px}.button{padding:6px 14px;border-radius:4px;color:#fff;font-size:14px;background:#4e5058}
    .button.Cancel{background:#da373c}.button.Remix{background:#5865f2}
    .video{position:relative;margin-top:8px;width:400px}.video img{width:400px;border-radius:6px;display:block}
    .play{position:absolute;left:175px;top:85px;width:50px;height:50px;border-radius:50%;background:#000a;color:#fff;display:flex;align-items:center;justify-content:center;font-size:22px}
  </style><div class="author"><div class="avatar">R</div><span class="name">reelbot</span><span class="tag">APP</span></div>
  <div class="body"><div class="embed"><div class="title">${escapeHtml(embed.title ?? '')}</div>${markdown(embed.description ?? '')}
  <div class="fields">${fields}</div><div class="footer">${escapeHtml(embed.footer?.text ?? '')}</div></div>
  ${thumb}<div class="buttons">${buttons.map((label) => `<span class="button ${label}">${label}</span>`).join('')}</div></div>`;
}

function shoot(name: string, job: Job, video: boolean): void {
  const payload = renderJob(job, 'en-US', {
    now: renderedAt,
    // As the bot shows it: Remix only for models whose provider supports it.
    supportsRemix: builtInModels.find((model) => model.id === job.model)?.supportsRemix ?? false,
  });
  const embed = payload.embeds[0];
  if (!embed) throw new Error('no embed');
  const buttons = payload.components.flatMap((row) =>
    row.components.map((b) => ('label' in b ? (b.label ?? '') : '')),
  );
  const html = join(tmpdir(), `reelbot-${name}.html`);
  writeFileSync(html, page(embed, buttons, video));
  execFileSync(
    '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${join(tmpdir(), 'reelbot-chromium')}`,
      `--screenshot=${join(out, `${name}.png`)}`,
      `--window-size=600,${video ? 610 : 395}`,
      `file://${html}`,
    ],
    { stdio: 'ignore' },
  );
}

mkdirSync(out, { recursive: true });
shoot('progress', base, false);
shoot('finished', { ...base, state: 'delivered', progress: 100, deliveredAt: createdAt + 95_000 }, true);
process.stdout.write(`wrote ${out}/progress.png and finished.png\n`);
