// The shard manager (SHARDS=auto|N): one child process per gateway shard, through discord.js's
// ShardingManager. It never logs into the gateway itself (no Client here): it asks Discord for the
// shard count over REST, registers the commands once, starts the shard processes, starts again one
// that dies after it connected, and stops them all gracefully.
import type { ChildProcess } from 'node:child_process';
import {
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  REST,
  type RESTGetAPIGatewayBotResult,
  Routes,
  type Shard,
  ShardingManager,
} from 'discord.js';
import type { Config } from '../config.ts';
import { resultWithin } from '../jobs/settle.ts';
import type { Logger } from '../log.ts';
import { type ProcessRole, shardPlanProblems, shardRunsTracker } from '../processRole.ts';
import type { Command } from './commandContract.ts';
import { registerForTokenOwner } from './register.ts';

type ManagerRole = Extract<ProcessRole, { kind: 'manager' }>;

export interface ShardManagerOptions {
  config: Config;
  role: ManagerRole;
  logger: Logger;
  /** The commands to register, once for every shard. */
  commands: readonly Command[];
  /** The script every shard process runs (src/main.ts, which reads its role from the environment). */
  entry: string;
  /** A shard that died after it connected could not start again: the caller stops everything. */
  onFailure: (reason: string) => void;
}

/** Discord lets each `max_concurrency` bucket identify once per 5 seconds; a margin on top. */
const identifyIntervalMs = 5_500;
/** How long a shard process may take to connect before its start counts as failed. */
const connectWithinMs = 30_000;
/** The pause before a shard process that died is started again (ShardingManager's respawn waits 500 ms). */
const respawnAfterMs = 1_000;
/** A stop's budget: every shard's own graceful stop (15 s) and its force exit (20 s), with a margin. */
export const shardsStopWithinMs = 22_000;

/** discord.js's own error for a refused token, so the words are those of the one-process bot. */
function invalidTokenError(): Error {
  // Its constructor is private in the typings only; discord.js builds it the same way.
  const Constructor = DiscordjsError as unknown as new (code: DiscordjsErrorCodes) => Error;
  return new Constructor(DiscordjsErrorCodes.TokenInvalid);
}

/**
 * GET /gateway/bot through REST at DISCORD_API_URL. Not ShardingManager's `totalShards: 'auto'`:
 * its fetchRecommendedShardCount asks discord.com whatever the REST base URL says.
 */
async function askGateway(rest: REST): Promise<RESTGetAPIGatewayBotResult> {
  try {
    return (await rest.get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
  } catch (error) {
    if (error instanceof DiscordAPIError && error.status === 401) throw invalidTokenError();
    throw error;
  }
}

/** The manager's own Node flags (npm start's) for the shards, with the type stripping main.ts needs. */
function shardExecArgv(): string[] {
  const flags = process.execArgv;
  return flags.includes('--experimental-strip-types') ? flags : [...flags, '--experimental-strip-types'];
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** Asks Discord what it needs to know, registers the commands, then starts one process per shard. */
export function startShardManager(options: ShardManagerOptions) {
  const { config, role, logger } = options;
  let stopping = false;
  let manager: ShardingManager | undefined;
  /** Shards whose current process has connected: only those are started again when they die. */
  const connected = new Set<number>();

  async function prepare(): Promise<{ count: number; maxConcurrency: number }> {
    const rest = new REST({ api: config.discord.apiUrl }).setToken(config.discord.token);
    try {
      const gateway = await askGateway(rest);
      const count = role.shards === 'auto' ? gateway.shards : role.shards;
      const problems = shardPlanProblems(count, {
        trackerShards: role.trackerShards,
        httpPort: config.http.port,
      });
      if (problems.length > 0) {
        throw new Error(`SHARDS=auto: Discord recommends ${count} shards, and ${problems.join('; ')}`);
      }
      if (count < gateway.shards) {
        logger.warn(
          { shards: count, recommended: gateway.shards },
          'Discord recommends more shards than SHARDS starts; raise SHARDS or set it to auto',
        );
      }
      if (config.discord.registerOnStart) {
        const registered = await registerForTokenOwner({
          rest,
          guildId: config.discord.guildId,
          catalogue: config.video.catalogue,
          commands: options.commands,
        }).catch((error: unknown) => {
          logger.error({ err: error }, 'could not register the slash commands');
          return 0;
        });
        logger.info({ count: registered, guildId: config.discord.guildId }, 'slash commands registered');
      }
      return { count, maxConcurrency: Math.max(1, gateway.session_start_limit.max_concurrency) };
    } finally {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    }
  }

  function watch(shard: Shard, count: number): void {
    const tracker = shardRunsTracker(role, config.tracker, shard.id);
    // Each shard's environment is its own copy: TRACKER_SHARDS becomes TRACKER per process.
    Object.assign(shard.env as Record<string, string>, { TRACKER: String(tracker) });
    shard.on('spawn', (spawned) => {
      const child = spawned as ChildProcess; // mode 'process', ShardingManager's default
      connected.delete(shard.id);
      // A shard started while the stop was collecting the others.
      if (stopping) child.kill('SIGTERM');
      logger.info({ shard: shard.id, shards: count, pid: child.pid, tracker }, 'shard process started');
    });
    shard.on('ready', () => {
      connected.add(shard.id);
      logger.info({ shard: shard.id }, 'shard connected');
    });
    shard.on('death', (child) => {
      if (stopping || !connected.has(shard.id)) return; // a failed start is its spawn's rejection
      const { exitCode, signalCode } = child as ChildProcess;
      logger.warn(
        { shard: shard.id, exitCode, signal: signalCode },
        'a shard process died; starting it again',
      );
      // Not at once: ShardingManager forgets the dead process only after telling of its death.
      setTimeout(() => {
        if (stopping) return;
        shard.spawn(connectWithinMs).catch((error: unknown) => {
          if (stopping) return;
          logger.fatal({ err: error, shard: shard.id }, 'a shard process could not start again');
          options.onFailure(`shard ${shard.id} could not start again`);
        });
      }, respawnAfterMs);
    });
  }

  async function launch(): Promise<void> {
    const { count, maxConcurrency } = await prepare();
    if (stopping) return;
    manager = new ShardingManager(options.entry, {
      totalShards: count,
      token: config.discord.token,
      // Started again by `watch`, and only after they connected: a shard that cannot start
      // (a bad token, a database it cannot open) must stop the manager, not loop forever.
      respawn: false,
      execArgv: shardExecArgv(),
    });
    manager.on('shardCreate', (shard) => watch(shard, count));
    if (!config.tracker) {
      logger.warn('TRACKER=false in every shard: another process must run the tracker on this database');
    }
    // Shards in one max_concurrency bucket identify 5 s apart; consecutive ids fall in different buckets.
    await manager.spawn({ delay: Math.ceil(identifyIntervalMs / maxConcurrency), timeout: connectWithinMs });
    logger.info({ shards: count, trackerShards: role.trackerShards ?? 'all' }, 'every shard connected');
  }

  /** SIGTERM to every shard (each runs its own graceful stop); true when all exited with code 0. */
  async function stop(): Promise<boolean> {
    stopping = true;
    const children = [...(manager?.shards.values() ?? [])].flatMap((shard) =>
      shard.process ? [shard.process] : [],
    );
    const exits = children.map(exited);
    for (const child of children) child.kill('SIGTERM');
    const codes = await resultWithin(Promise.all(exits), shardsStopWithinMs);
    if (!codes) {
      logger.error('shard processes still running after their stop; killing them');
      for (const child of children) child.kill('SIGKILL');
      return false;
    }
    return codes.value.every((code) => code === 0);
  }

  const started = launch().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    /** Resolves once every shard connected; rejects (after stopping the others) when one could not. */
    started,
    stop,
  };
}

export type ShardManager = ReturnType<typeof startShardManager>;
