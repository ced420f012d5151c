// Renders the README's pictures from the real payloads (renderJob's cards, Make a video's form),
// so they stay true: writes an HTML page for each, then asks headless Chromium for a screenshot.
//   node --experimental-strip-types scripts/readme-images.ts
// (needs /usr/bin/chromium and, for the state icons, an emoji font: apt-get install chromium fonts-noto-color-emoji)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type APIEmbed, type APIModalInteractionResponseCallbackData, ComponentType } from 'discord.js';
import { makeVideoForm } from '../commands/makeVideo.ts';
import { renderJob } from '../src/discord/render.ts';
import type { Job } from '../src/jobs/index.ts';
import { buildCatalogue, builtInModels } from '../src/provider/index.ts';
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

/** Who the pictures' mentions name: the requester, and the author of the message a video was made from. */
const mentionNames: Record<string, string> = { '3': 'alice', '7': 'Bob B.' };

/** Enough of Discord's markdown for these cards: quotes, subtext, code, links, mentions, timestamps, escapes. */
function markdown(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let html = escapeHtml(line.replace(/\\(.)/g, '$1').replace(/\u200b/g, ''));
      html = html
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<span class="link">$1</span>')
        .replace(
          /&lt;@(\d+)&gt;/g,
          (_, id: string) => `<span class="mention">@${mentionNames[id] ?? 'someone'}</span>`,
        )
        .replace(/&lt;t:(\d+):R&gt;/g, (_, unix: string) => relativeTime(Number(unix) * 1000));
      if (html.startsWith('-# ')) return `<div class="subtext">${html.slice(3)}</div>`;
      return html.startsWith('&gt; ')
        ? `<div class="quote">${html.slice(5)}</div>`
        : `<div>${html || '&nbsp;'}</div>`;
    })
    .join('');
}

const styles = `
    body{margin:0;background:#313338;font:15px/1.4 "gg sans","Noto Sans","Helvetica Neue",Arial,sans-serif;color:#dbdee1;padding:16px;width:560px}
    .author{display:flex;gap:10px;align-items:center;margin-bottom:4px}.avatar{width:40px;height:40px;border-radius:50%;background:#5865f2;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700}
    .name{color:#fff;font-weight:600}.tag{background:#5865f2;color:#fff;font-size:10px;border-radius:3px;padding:1px 4px;margin-left:4px}
    .body{margin-left:50px}.embed{background:#2b2d31;border-left:4px solid var(--colour);border-radius:4px;padding:10px 14px;max-width:480px}
    .title{color:#fff;font-weight:600;margin-bottom:6px}.quote{border-left:4px solid #4e5058;padding-left:8px}
    .subtext{font-size:12px;color:#b5bac1}.link{color:#00a8fc}
    code{background:#1e1f22;border-radius:3px;padding:1px 3px;font-family:Consolas,monospace;font-size:13px}
    .fields{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-top:8px}.field b{color:#fff;font-size:13px}
    .footer{margin-top:8px;font-size:12px;color:#b5bac1}.mention{background:#3c4270;color:#c9cdfb;border-radius:3px;padding:0 2px}
    .buttons{display:flex;gap:8px;margin-top:8px}.button{padding:6px 14px;border-radius:4px;color:#fff;font-size:14px;background:#4e5058}
    .button.Cancel{background:#da373c}.button.Remix{background:#5865f2}
    .video{position:relative;margin-top:8px;width:400px}.video img{width:400px;border-radius:6px;display:block}
    .play{position:absolute;left:175px;top:85px;width:50px;height:50px;border-radius:50%;background:#000a;color:#fff;display:flex;align-items:center;justify-content:center;font-size:22px}
    .replied{display:flex;gap:6px;align-items:center;margin:0 0 4px 20px;font-size:13px;color:#b5bac1;white-space:nowrap;overflow:hidden}
    .replied .spine{flex:none;width:30px;height:10px;border-left:2px solid #4e5058;border-top:2px solid #4e5058;border-top-left-radius:6px;margin-top:8px}
    .replied .small{flex:none;width:16px;height:16px;border-radius:50%;background:#3ba55c;color:#fff;font-size:10px;display:flex;align-items:center;justify-content:center}
    .replied b{flex:none;color:#c9cdfb}.replied .text{overflow:hidden;text-overflow:ellipsis}
    .member{margin-bottom:14px}.member .avatar{background:#3ba55c}
    .modal{background:#313338;border-radius:8px;padding:18px 16px;width:440px;box-shadow:0 0 0 1px #1e1f22}
    .modal h1{color:#f2f3f5;font-size:20px;margin:0 0 14px}.modal label{display:block;color:#f2f3f5;font-weight:600;font-size:14px}
    .modal .hint{color:#b5bac1;font-size:13px;margin:2px 0 6px}.modal .row{margin-bottom:14px}
    .modal .input{background:#1e1f22;border-radius:4px;padding:9px 10px;color:#dbdee1;min-height:20px}
    .modal .input.area{min-height:58px}.modal .select{display:flex;justify-content:space-between}.modal .placeholder{color:#87898c}
    .modal .actions{display:flex;justify-content:flex-end;gap:10px;margin-top:6px}.modal .actions span{padding:8px 16px;border-radius:4px;color:#fff}
    .modal .submit{background:#5865f2}`;

/** A message of the bot's, optionally replying to another member's (`replyTo`: their name and text). */
function page(
  embed: APIEmbed,
  buttons: string[],
  video: boolean,
  replyTo?: { name: string; text: string },
): string {
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
  const member = replyTo
    ? `<div class="member"><div class="author"><div class="avatar">${escapeHtml(replyTo.name[0] ?? '')}</div><span class="name">${escapeHtml(replyTo.name)}</span></div><div class="body">${escapeHtml(replyTo.text)}</div></div>
  <div class="replied"><span class="spine"></span><span class="small">${escapeHtml(replyTo.name[0] ?? '')}</span><b>@${escapeHtml(replyTo.name)}</b><span class="text">${escapeHtml(replyTo.text)}</span></div>`
    : '';
  return `<!doctype html><meta charset="utf-8"><style>${styles}</style>${member}
  <div class="author"><div class="avatar">R</div><span class="name">reelbot</span><span class="tag">APP</span></div>
  <div class="body"><div class="embed" style="--colour:${colour}"><div class="title">${escapeHtml(embed.title ?? '')}</div>${markdown(embed.description ?? '')}
  <div class="fields">${fields}</div><div class="footer">${escapeHtml(embed.footer?.text ?? '')}</div></div>
  ${thumb}<div class="buttons">${buttons.map((label) => `<span class="button ${label}">${label}</span>`).join('')}</div></div>`;
}

type ModalJson = APIModalInteractionResponseCallbackData;
type LabelJson = Extract<ModalJson['components'][number], { type: ComponentType.Label }>;

/** One of the form's fields as Discord's client draws it: the label, its hint, the input. */
function formField(label: LabelJson): string {
  const field = label.component;
  let input = '';
  if (field.type === ComponentType.TextInput) {
    input = `<div class="input area">${escapeHtml(field.value ?? '')}</div>`;
  } else if (field.type === ComponentType.StringSelect) {
    const chosen = field.options.find((option) => option.default);
    const shown = chosen
      ? escapeHtml(chosen.label)
      : `<span class="placeholder">${escapeHtml(field.placeholder ?? '')}</span>`;
    input = `<div class="input select">${shown}<span>⌄</span></div>`;
  } else if (field.type === ComponentType.FileUpload) {
    input = '<div class="input placeholder">Drop files or click to upload</div>';
  }
  const hint = label.description ? `<div class="hint">${escapeHtml(label.description)}</div>` : '';
  return `<div class="row"><label>${escapeHtml(label.label)}</label>${hint}${input}</div>`;
}

function formPage(modal: ModalJson): string {
  const fields = modal.components
    .filter((component): component is LabelJson => component.type === ComponentType.Label)
    .map(formField)
    .join('');
  return `<!doctype html><meta charset="utf-8"><style>${styles}</style><div class="modal"><h1>${escapeHtml(modal.title)}</h1>${fields}
  <div class="actions"><span>Cancel</span><span class="submit">Submit</span></div></div>`;
}

function screenshot(name: string, html: string, height: number): void {
  const file = join(tmpdir(), `reelbot-${name}.html`);
  writeFileSync(file, html);
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
      `--window-size=600,${height}`,
      `file://${file}`,
    ],
    { stdio: 'ignore' },
  );
}

function shoot(
  name: string,
  job: Job,
  options: {
    video?: boolean;
    replyTo?: { name: string; text: string };
  } = {},
): void {
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
  const video = options.video ?? false;
  const height = (video ? 610 : 395) + (options.replyTo ? 165 : 0);
  screenshot(name, page(embed, buttons, video, options.replyTo), height);
}

mkdirSync(out, { recursive: true });
shoot('progress', base);
shoot(
  'finished',
  { ...base, state: 'delivered', progress: 100, deliveredAt: createdAt + 95_000 },
  { video: true },
);

// Make a video, on Bob's message: the form it opens, and the finished video replying to the message.
const bobsText = 'A lighthouse at dawn, waves breaking on the rocks, gulls circling <@3> :sunrise:';
const { catalogue } = buildCatalogue({
  enabledIds: [],
  custom: [],
  defaultModelId: builtInModels[0]?.id ?? '',
});
if (!catalogue) throw new Error('no catalogue');
const form = makeVideoForm(
  '8',
  {
    prompt: 'A lighthouse at dawn, waves breaking on the rocks, gulls circling @alice :sunrise:',
    author: 'Bob B.',
    // Bob's message carries two images; the veo models take three.
    uploadSlots: 1,
  },
  catalogue,
  'en-US',
).toJSON();
screenshot('make-video-form', formPage(form), 660);
shoot(
  'make-video-reply',
  {
    ...base,
    id: 43,
    prompt: 'A lighthouse at dawn, waves breaking on the rocks, gulls circling @alice :sunrise:',
    referenceImages: [
      { url: 'https://cdn.example/lighthouse.png', name: 'lighthouse.png', size: null },
      { url: 'https://cdn.example/gulls.png', name: 'gulls.png', size: null },
    ],
    state: 'delivered',
    progress: 100,
    deliveredAt: createdAt + 95_000,
    originKind: 'message',
    originChannelId: '2',
    originMessageId: '9',
    originAuthorId: '7',
    originAuthorName: 'Bob B.',
  },
  {
    video: true,
    replyTo: { name: 'Bob B.', text: bobsText.replace('<@3>', '@alice') },
  },
);
process.stdout.write(
  `wrote ${out}/progress.png, finished.png, make-video-form.png and make-video-reply.png\n`,
);
