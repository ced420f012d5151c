// Runs src/main.ts as its own process, as `npm start` does, and collects what it prints.
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface BotProcess {
  child: ChildProcess;
  output: string[];
}

function spawnMain(
  env: Record<string, string>,
  nodeArgs: string[],
  stdio: StdioOptions,
  cwd?: string,
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
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio, cwd },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return { child, output };
}

/** `nodeArgs` go before the script (e.g. `--import` of a test's fault); `cwd` is where `npm start` would run. */
export function startBotProcess(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  options: { cwd?: string } = {},
): BotProcess {
  return spawnMain(env, nodeArgs, ['ignore', 'pipe', 'pipe'], options.cwd);
}

/**
 * Runs src/main.ts as shard `shard.id` of `shard.count`, as discord.js's ShardingManager starts a
 * shard process (its environment and an IPC channel, whose messages nobody reads here), but
 * started by the test: nothing starts it again when it dies, as if each shard ran on a host of
 * its own. The fake Discord then sends each process only its own shard's interactions.
 */
export function startShardProcess(
  env: Record<string, string>,
  shard: { id: number; count: number },
): BotProcess {
  return spawnMain(
    {
      ...env,
      SHARDING_MANAGER: 'true',
      SHARDING_MANAGER_MODE: 'process',
      SHARDS: String(shard.id),
      SHARD_COUNT: String(shard.count),
    },
    [],
    ['ignore', 'pipe', 'pipe', 'ipc'],
  );
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
