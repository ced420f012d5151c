// What Discord shows of a job (button ids, the uploaded file's name) names that very job, never
// another database's job with the same number. Pure.
import { type APIMessage, ButtonStyle, ComponentType, SnowflakeUtil } from 'discord.js';
import { describe, expect, it } from 'vitest';
import {
  customIdNamesJob,
  jobCustomId,
  numberedJobCustomId,
  parseJobCustomId,
} from '../../src/discord/customIds.ts';
import {
  carriesVideo,
  madeSinceJobStarted,
  showsJobResult,
  videoFileName,
} from '../../src/discord/messenger.ts';
import { createdAt, jobFixture } from './fixtures.ts';

const ours = jobFixture({ id: 1, mediaKey: 'aaaaaaaa000000000000000000000000' });
const theirs = jobFixture({ id: 1, mediaKey: 'bbbbbbbb000000000000000000000000' });
const older = jobFixture({ id: 1, madeBeforeMediaKeys: true });

function message(fields: Partial<APIMessage>): APIMessage {
  return {
    id: SnowflakeUtil.generate({ timestamp: createdAt + 1_000 }).toString(),
    attachments: [],
    components: [],
    ...fields,
  } as APIMessage;
}

describe('job identity on Discord', () => {
  it('a button id names the job by number and tag, and only that job', () => {
    const parsed = parseJobCustomId(jobCustomId('regen', ours));
    expect(parsed).toEqual({ action: 'regen', jobId: 1, tag: 'aaaaaaaa' });
    expect(parsed && customIdNamesJob(parsed, ours)).toBe(true);
    expect(parsed && customIdNamesJob(parsed, theirs)).toBe(false);
  });

  it('an id drawn before tags names only a job made before them', () => {
    const parsed = parseJobCustomId(numberedJobCustomId('cancel', 1));
    expect(parsed).toEqual({ action: 'cancel', jobId: 1, tag: null });
    expect(parsed && customIdNamesJob(parsed, older)).toBe(true);
    expect(parsed && customIdNamesJob(parsed, ours)).toBe(false);
  });

  it('refuses ids with a malformed tag or extra parts', () => {
    expect(parseJobCustomId('reelbot:regen:1:XYZ')).toBeNull();
    expect(parseJobCustomId('reelbot:regen:1:aaaaaaaa:more')).toBeNull();
  });

  it("recognises the job's upload and Regenerate button, not another database's job #1", () => {
    const upload = message({
      attachments: [{ filename: videoFileName(theirs) } as APIMessage['attachments'][number]],
    });
    expect(carriesVideo(upload, theirs)).toBe(true);
    expect(carriesVideo(upload, ours)).toBe(false);
    const numbered = message({
      attachments: [{ filename: 'reelbot-1.mp4' } as APIMessage['attachments'][number]],
    });
    expect(carriesVideo(numbered, ours)).toBe(false);
    expect(carriesVideo(numbered, older)).toBe(true);
    const card = message({
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Secondary,
              label: 'Regenerate',
              custom_id: jobCustomId('regen', theirs),
            },
          ],
        },
      ],
    });
    expect(showsJobResult(card, theirs)).toBe(true);
    expect(showsJobResult(card, ours)).toBe(false);
  });

  it('a message older than the interaction that started the job is never its message', () => {
    const job = jobFixture({ interactionCreatedAt: createdAt });
    const before = SnowflakeUtil.generate({ timestamp: createdAt - 60_000 }).toString();
    const after = SnowflakeUtil.generate({ timestamp: createdAt + 500 }).toString();
    expect(madeSinceJobStarted(before, job)).toBe(false);
    expect(madeSinceJobStarted(after, job)).toBe(true);
  });
});
