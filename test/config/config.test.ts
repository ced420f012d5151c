import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const minimal = { DISCORD_TOKEN: 'discord-token-value', VIDEO_API_KEY: 'sk-video-secret-1234' };

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig(minimal);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.discord.apiUrl).toBe('https://discord.com/api');
    expect(result.config.video.baseUrl).toBe('https://models.hingnet.com.cn/v1');
    expect(result.config.video.catalogue.defaultModel.id).toBe('veo-3.1-fast-generate-preview');
    expect(result.config.video.catalogue.offered.map((model) => model.id)).toEqual([
      'veo-3.1-fast-generate-preview',
      'veo-3.1-generate-preview',
    ]);
    expect(result.config.databasePath).toBe('./data/reelbot.db');
    expect(result.config.log.level).toBe('info');
  });

  it('reports every missing and malformed setting at once, by name', () => {
    const result = loadConfig({
      VIDEO_API_BASE_URL: 'not a url',
      LOG_LEVEL: 'loud',
      QUOTA_IN_FLIGHT_PER_USER: 'two',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const name of [
      'DISCORD_TOKEN',
      'VIDEO_API_KEY',
      'VIDEO_API_BASE_URL',
      'LOG_LEVEL',
      'QUOTA_IN_FLIGHT_PER_USER',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('keeps sora-2 opt-in and lets operators enable it', () => {
    const hidden = loadConfig(minimal);
    expect(hidden.ok && hidden.config.video.catalogue.find('sora-2')).toBeFalsy();
    const enabled = loadConfig({ ...minimal, VIDEO_MODELS: 'sora-2,veo-3.1-fast-generate-preview' });
    if (!enabled.ok) throw new Error(enabled.problems.join('\n'));
    expect(enabled.config.video.catalogue.find('sora-2')?.referenceShape).toBe('multipart');
  });

  it('accepts custom models as JSON and names mistakes in them', () => {
    const custom = loadConfig({
      ...minimal,
      VIDEO_MODELS_JSON:
        '[{"id":"kling-1","seconds":[5,10],"sizes":["1280x720"],"referenceShape":"image_url"}]',
      VIDEO_DEFAULT_MODEL: 'kling-1',
    });
    if (!custom.ok) throw new Error(custom.problems.join('\n'));
    expect(custom.config.video.catalogue.defaultModel).toMatchObject({ id: 'kling-1', seconds: [5, 10] });
    const broken = loadConfig({ ...minimal, VIDEO_MODELS_JSON: '[{"id":"x","seconds":[],"sizes":["big"]}]' });
    expect(broken.ok).toBe(false);
    if (!broken.ok)
      expect(broken.problems.join('\n')).toMatch(
        /VIDEO_MODELS_JSON\[0\.seconds\].*VIDEO_MODELS_JSON\[0\.sizes\.0\]/s,
      );
    const unknown = loadConfig({ ...minimal, VIDEO_MODELS: 'nope' });
    expect(!unknown.ok && unknown.problems.join()).toContain('unknown model "nope"');
  });

  it('never puts a secret value into a problem', () => {
    const result = loadConfig({ ...minimal, VIDEO_API_BASE_URL: 'sk-video-secret-1234' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).not.toContain('sk-video-secret-1234');
  });

  it('npm start without configuration exits 1 naming each missing setting', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reelbot-noconfig-'));
    const run = promisify(execFile);
    const main = join(import.meta.dirname, '../../src/main.ts');
    const env = { PATH: process.env.PATH ?? '', HOME: cwd };
    const failure = await run(process.execPath, ['--experimental-strip-types', '--no-warnings', main], {
      cwd,
      env,
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('DISCORD_TOKEN is required');
    expect(failure?.stderr).toContain('VIDEO_API_KEY is required');
  });
});
