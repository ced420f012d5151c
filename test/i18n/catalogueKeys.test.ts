import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusChoices } from '../../src/discord/renderHistory.ts';
import { failureKindKeys } from '../../src/discord/replies.ts';
import { enUS, type MessageKey } from '../../src/i18n/en-US.ts';
import { jobStates } from '../../src/jobs/index.ts';

const root = join(import.meta.dirname, '../..');

const catalogueFiles = new Set(['en-US.ts', 'zh-CN.ts', 'zh-TW.ts'].map((name) => join('src', 'i18n', name)));

/** The bot's own source (not the catalogues themselves, not tests or scripts). */
function sourceFiles(): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !catalogueFiles.has(path)) {
        files.push({ path, text: readFileSync(join(root, path), 'utf8') });
      }
    }
  };
  walk('src');
  walk('commands');
  return files;
}

/**
 * Keys the code builds from a value instead of spelling them: each prefix, with every value the
 * code can put after it. A new `prefix.${…}` in the code must be declared here.
 */
const dynamicKeys: Record<string, readonly string[]> = {
  'state.': jobStates,
  'status.': statusChoices,
  'failure.': Object.keys(failureKindKeys),
};

const keys = Object.keys(enUS) as MessageKey[];
const files = sourceFiles();

describe('the message catalogue', () => {
  it('builds keys dynamically only from the declared prefixes, and each key built exists', () => {
    const prefixes = new Set<string>();
    for (const { text } of files) {
      for (const match of text.matchAll(/`([a-z_]+(?:\.[a-z_]+)*\.)\$\{/g)) {
        const prefix = match[1] ?? '';
        if (keys.some((key) => key.startsWith(prefix))) prefixes.add(prefix);
      }
    }
    expect([...prefixes].sort()).toEqual(Object.keys(dynamicKeys).sort());
    const built = Object.entries(dynamicKeys).flatMap(([prefix, values]) => values.map((v) => prefix + v));
    expect(built.filter((key) => !(key in enUS))).toEqual([]);
  });

  it('has no key that no code reads', () => {
    const built = new Set(
      Object.entries(dynamicKeys).flatMap(([prefix, values]) => values.map((v) => prefix + v)),
    );
    const source = files.map((file) => file.text).join('\n');
    const spelled = (key: string) =>
      ["'", '"', '`'].some((quote) => source.includes(`${quote}${key}${quote}`));
    expect(keys.filter((key) => !built.has(key) && !spelled(key))).toEqual([]);
  });
});
