import { describe, expect, it } from 'vitest';
import {
  capProblem,
  checkStyle,
  jobStyle,
  resolveRequest,
  styledPrompt,
  styleSource,
} from '../../src/jobs/requestSettings.ts';
import { unsetChannel } from '../../src/jobs/store/channelFields.ts';
import type { ChannelSettings, ServerStyle } from '../../src/jobs/store/index.ts';
import { buildCatalogue } from '../../src/provider/index.ts';

const { catalogue } = buildCatalogue({
  enabledIds: ['veo-3.1-fast-generate-preview', 'sora-2'],
  custom: [],
  defaultModelId: 'veo-3.1-fast-generate-preview',
});
if (!catalogue) throw new Error('no catalogue');

const unset: ChannelSettings = unsetChannel('g1', 'c1');

const style = (fields: Partial<ServerStyle> = {}): ServerStyle => ({
  guildId: 'g1',
  name: 'Noir',
  text: 'black and white',
  placement: 'after',
  model: null,
  size: null,
  seconds: null,
  createdBy: 'a1',
  createdAt: 0,
  ...fields,
});

describe('the prompt the provider gets', () => {
  it("puts the style's text before or after the member's prompt, and leaves a prompt without style alone", () => {
    expect(styledPrompt('a cat', { name: 'N', text: 'noir film', placement: 'after' })).toBe(
      'a cat noir film',
    );
    expect(styledPrompt('a cat', { name: 'N', text: 'Pixar style:', placement: 'before' })).toBe(
      'Pixar style: a cat',
    );
    expect(styledPrompt('a cat', null)).toBe('a cat');
  });

  it("reads a job's style back from its row only when all of it is there", () => {
    expect(jobStyle({ styleName: 'N', styleText: 't', stylePlacement: 'before' })).toEqual({
      name: 'N',
      text: 't',
      placement: 'before',
    });
    expect(jobStyle({ styleName: null, styleText: null, stylePlacement: null })).toBeNull();
  });
});

describe('checking a style an admin adds', () => {
  it('keeps a good style, normalised, after the prompt unless told otherwise', () => {
    expect(
      checkStyle({ name: '  Film   Noir ', text: ' hard shadows ', size: '720×1280' }, catalogue),
    ).toEqual({
      ok: true,
      style: {
        name: 'Film Noir',
        text: 'hard shadows',
        placement: 'after',
        model: null,
        size: '720x1280',
        seconds: null,
      },
    });
  });

  it.each([
    ['an empty name', { name: '\u200b', text: 'x' }, 'style_name_invalid'],
    ['a name of 33 characters', { name: 'n'.repeat(33), text: 'x' }, 'style_name_invalid'],
    ['a name with a newline', { name: 'a\u2028b', text: 'x' }, 'style_name_invalid'],
    ['a text of 301 characters', { name: 'n', text: 't'.repeat(301) }, 'style_text_invalid'],
    ['a text of nothing visible', { name: 'n', text: '\u3164 ' }, 'style_text_invalid'],
    ['a model not offered', { name: 'n', text: 't', model: 'sora-2-pro' }, 'style_unknown_model'],
    [
      'a duration its model cannot make',
      { name: 'n', text: 't', model: 'sora-2', seconds: 6 },
      'style_bad_duration',
    ],
    ['a duration no model makes', { name: 'n', text: 't', seconds: 5 }, 'style_bad_duration'],
    [
      'a size its model cannot make',
      { name: 'n', text: 't', model: 'sora-2', size: '1920x1080' },
      'style_bad_size',
    ],
  ])('refuses %s', (_name, input, problem) => {
    expect(checkStyle(input, catalogue)).toMatchObject({ ok: false, problem });
  });

  it('takes 32 characters of name and 300 of text, counted as characters, not UTF-16 units', () => {
    expect(checkStyle({ name: `${'🎬'.repeat(31)}a`, text: '字'.repeat(300) }, catalogue).ok).toBe(true);
    expect(checkStyle({ name: `${'🎬'.repeat(32)}a`, text: 'x' }, catalogue).ok).toBe(false);
  });
});

describe('resolving a request', () => {
  const storyboard = { ...unset, size: '720x1280', seconds: 4 };

  it("uses the member's options over everything, and records no default", () => {
    const resolved = resolveRequest(
      { model: 'sora-2', size: '1280x720', seconds: 8 },
      { ...storyboard, model: 'veo-3.1-fast-generate-preview' },
      styleSource(style({ size: '720x1280', seconds: 12 }), undefined),
      catalogue,
    );
    expect(resolved).toEqual({
      model: 'sora-2',
      size: '1280x720',
      seconds: 8,
      style: { name: 'Noir', text: 'black and white', placement: 'after' },
      defaultsApplied: [],
    });
  });

  it("applies the channel's defaults to what the member left out, and says which", () => {
    expect(resolveRequest({ size: '1280x720' }, storyboard, null, catalogue)).toEqual({
      model: null,
      size: '1280x720',
      seconds: 4,
      style: null,
      defaultsApplied: ['seconds'],
    });
  });

  it("ranks a style the member picked over the channel's defaults, and a channel's style under them", () => {
    const landscape = style({ size: '1280x720', seconds: 8 });
    const picked = resolveRequest({}, storyboard, styleSource(landscape, undefined), catalogue);
    expect(picked).toMatchObject({ size: '1280x720', seconds: 8, defaultsApplied: [] });
    const given = resolveRequest({}, storyboard, styleSource(undefined, landscape), catalogue);
    expect(given).toMatchObject({
      size: '720x1280',
      seconds: 4,
      defaultsApplied: ['size', 'seconds', 'style'],
    });
    // The channel's style fills what the channel itself does not set.
    const partly = resolveRequest(
      {},
      { ...unset, size: '720x1280' },
      styleSource(undefined, landscape),
      catalogue,
    );
    expect(partly).toMatchObject({ size: '720x1280', seconds: 8, defaultsApplied: ['size', 'style'] });
  });

  it('takes a default model, and skips one this deployment no longer offers', () => {
    expect(resolveRequest({}, { ...unset, model: 'sora-2' }, null, catalogue)).toMatchObject({
      model: 'sora-2',
      defaultsApplied: ['model'],
    });
    expect(resolveRequest({}, { ...unset, model: 'gone-model' }, null, catalogue)).toMatchObject({
      model: null,
      defaultsApplied: [],
    });
    // The member's own model is passed on as given, for validation to refuse by name.
    expect(resolveRequest({ model: 'gone-model' }, unset, null, catalogue).model).toBe('gone-model');
  });

  it('skips a default the final model does not make rather than refuse the member for it', () => {
    const resolved = resolveRequest(
      { model: 'sora-2' },
      { ...unset, size: '1920x1080', seconds: 6 },
      null,
      catalogue,
    );
    expect(resolved).toMatchObject({ model: 'sora-2', size: null, seconds: null, defaultsApplied: [] });
  });

  it("brings a duration nobody asked for under the channel's cap, but never the member's own", () => {
    // Veo's default is 6 s; the cap is 4 s.
    expect(resolveRequest({}, { ...unset, maxSeconds: 4 }, null, catalogue).seconds).toBe(4);
    expect(resolveRequest({}, { ...unset, maxSeconds: 5 }, null, catalogue).seconds).toBe(4);
    expect(resolveRequest({ seconds: 8 }, { ...unset, maxSeconds: 4 }, null, catalogue).seconds).toBe(8);
    // A channel's default over its own cap is brought under it, and is then not the default.
    expect(resolveRequest({}, { ...unset, seconds: 8, maxSeconds: 4 }, null, catalogue)).toMatchObject({
      seconds: 4,
      defaultsApplied: [],
    });
    // So is the duration of a style the member picked: they did not type one.
    expect(
      resolveRequest(
        {},
        { ...unset, maxSeconds: 4 },
        styleSource(style({ seconds: 8 }), undefined),
        catalogue,
      ).seconds,
    ).toBe(4);
    // No duration of the model fits: left for the cap check to refuse.
    expect(resolveRequest({}, { ...unset, maxSeconds: 2 }, null, catalogue).seconds).toBeNull();
  });
});

describe("a channel's caps", () => {
  it('refuses a duration or a number of takes over the cap, and nothing at or under it', () => {
    const capped = { maxSeconds: 4, maxTakes: 1 };
    expect(capProblem({ seconds: 8, takes: 1 }, capped)).toEqual({
      problem: 'channel_max_seconds',
      seconds: 8,
      max: 4,
    });
    expect(capProblem({ seconds: 4, takes: 2 }, capped)).toEqual({
      problem: 'channel_max_takes',
      takes: 2,
      max: 1,
    });
    expect(capProblem({ seconds: 4, takes: 1 }, capped)).toBeNull();
    expect(capProblem({ seconds: 12, takes: 4 }, { maxSeconds: null, maxTakes: null })).toBeNull();
  });
});
