// Runs src/main.ts as its own process, as `npm start` does, and collects what it prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface BotProcess {
  child: ChildProcess;
  output: string[];
}

/** `nodeArgs` go before the script (e.g. `--import` of a test's fault); `cwd` is where `npm start` would run. */
export function startBotProcess(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  options: { cwd?: string } = {},
): BotProcess {
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      ...nodeArgs,
      join(import.meta.dirname, '../../src/main.ts'),
    ],
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return { child, output };
}

/** The JSON lines the process (and, under a shard manager, its shard processes) logged, parsed. */
export function logLines(bot: BotProcess): Record<string, unknown>[] {
  const text = bot.output.join('');
  // The last piece may be a line still being written.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
