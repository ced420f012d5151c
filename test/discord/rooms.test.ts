// The house rule that keeps the command contract honest: src/ is handed the commands by its
// composition roots and never reaches into commands/ itself. Checked on the source files.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const commandsDir = join(root, 'commands');

/** The process entry points: they build the bot and so are the only ones given commands/. */
const compositionRoots = ['src/main.ts', 'src/register.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module `text` (the source of `file`) imports or re-exports, statically or with import(), resolved. */
function importsOfText(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? '');
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

const importsOf = (file: string) => importsOfText(file, readFileSync(file, 'utf8'));

const intoCommands = (path: string) => path.startsWith(`${commandsDir}/`);

describe('src/ and commands/', () => {
  const files = sourceFiles(join(root, 'src'));

  it('no file in src/ but the composition roots imports anything from commands/', () => {
    const offenders = files
      .filter((file) => !compositionRoots.includes(relative(root, file)))
      .flatMap((file) =>
        importsOf(file)
          .filter(intoCommands)
          .map((target) => `${relative(root, file)} imports ${relative(root, target)}`),
      );
    expect(offenders).toEqual([]);
  });

  it('reads the imports it judges: the composition roots import the command list, router.ts the contract', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const entry of compositionRoots) {
      expect(importsOf(join(root, entry))).toContain(join(commandsDir, 'index.ts'));
    }
    expect(importsOf(join(root, 'src/discord/router.ts'))).toContain(
      join(root, 'src/discord/commandContract.ts'),
    );
  });

  it('finds a dynamic import or a re-export into commands/ as well', () => {
    const probe = join(root, 'src/discord/probe.ts');
    expect(
      importsOfText(probe, "const m = await import('../../commands/video.ts');").some(intoCommands),
    ).toBe(true);
    expect(
      importsOfText(probe, "export { command } from '../../commands/admin.ts';").some(intoCommands),
    ).toBe(true);
    expect(
      importsOfText(probe, "import type { X } from '../../commands/history.ts';").some(intoCommands),
    ).toBe(true);
    expect(importsOfText(probe, "import { t } from '../i18n/index.ts';").some(intoCommands)).toBe(false);
  });
});
