// The composition root: config → logger → bot (or, with SHARDS, the shard manager that runs this
// same file once per shard); signals, graceful shutdown, and the last resort.
import { commandSet } from '../commands/index.ts';
import { startBot } from './bot.ts';
import { describeProblems, loadConfig, loadDotEnv } from './config.ts';
import { shardsStopWithinMs, startShardManager } from './discord/shards.ts';
import { databasePassword } from './jobs/store/postgres/openFailure.ts';
import { DatabaseSettingError } from './jobs/store/settingError.ts';
import { createLogger } from './log.ts';

loadDotEnv();
const result = loadConfig(process.env);
if (!result.ok) {
  process.stderr.write(`${describeProblems(result.problems, result.notes)}\n`);
  process.exit(1);
}
const { config } = result;
const { role } = config;
const rootLogger = createLogger({
  level: config.log.level,
  pretty: config.log.pretty,
  isTerminal: Boolean(process.stdout.isTTY),
  secrets: [
    config.discord.token,
    config.video.apiKey,
    ...databasePassword(config.databaseUrl),
    ...(config.webhooks ? [config.webhooks.secret] : []),
  ],
});
// Shard processes share the manager's output: each line says whose it is.
const logger =
  role.kind === 'shard'
    ? rootLogger.child({ shard: role.id })
    : role.kind === 'manager'
      ? rootLogger.child({ process: 'shard manager' })
      : rootLogger;
logger.info(
  {
    provider: config.video.simulated ? 'simulated provider' : config.video.baseUrl,
    models: config.video.catalogue.offered.map((model) => model.id),
    ...(role.kind === 'manager' ? { shards: role.shards } : {}),
  },
  'starting reelbot',
);

/** A graceful stop's budget; the force-exit leaves it room to close connections afterwards. */
const stopGraceMs = 15_000;
/** The manager waits for its shards' own stops (each bounded like the one process's) first. */
const forceExitMs = role.kind === 'manager' ? shardsStopWithinMs + 3_000 : 20_000;

/** The bot, or the shard manager: stop() resolves false when the stop was not clean. */
let running: { stop(graceMs: number): Promise<unknown> } | undefined;
let stopping = false;

/** Stops taking work, lets what is in flight settle within the grace period, then exits. */
function shutdown(reason: string, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'shutting down');
  const deadline = setTimeout(() => process.exit(1), forceExitMs);
  deadline.unref();
  (running ? running.stop(stopGraceMs) : Promise.resolve()).then(
    (clean) => process.exit(clean === false ? 1 : exitCode),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// The last resort, for bugs: every job's state is in SQLite, one transaction per change, so the
// process may stop at any line and the next start resumes from the rows.
// - A promise that failed with nobody awaiting it is one operation that failed: logged, and the bot
//   carries on (each job's own retries and the restart sweep pick it up).
// - An exception nobody caught may have left memory half-updated (a loop, a timer, a queue): logged
//   at fatal, then the same graceful stop as SIGTERM and exit code 1, so a supervisor restarts it.
process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'a promise failed and nothing handled it; carrying on');
});
process.on('uncaughtException', (error, origin) => {
  logger.fatal(
    { err: error, origin },
    'uncaught exception; stopping so that a restart resumes from the database',
  );
  shutdown('uncaught exception', 1);
});
process.on('SIGTERM', () => shutdown('SIGTERM', 0));
process.on('SIGINT', () => shutdown('SIGINT', 0));
// A shard whose manager is gone (killed) would hold its shard forever: it stops as on SIGTERM.
if (role.kind === 'shard') process.on('disconnect', () => shutdown('the shard manager is gone', 0));

try {
  if (role.kind === 'manager') {
    const manager = startShardManager({
      config,
      role,
      logger,
      commands: commandSet.commands,
      entry: import.meta.filename,
      onFailure: (reason) => shutdown(reason, 1),
    });
    running = manager;
    await manager.started;
  } else {
    running = await startBot({ config, logger, commands: commandSet });
  }
} catch (error) {
  // A store that cannot open is a setting to fix: its sentence, as a configuration problem.
  if (error instanceof DatabaseSettingError) {
    process.stderr.write(`${describeProblems([error.message])}\n`);
    process.exit(1);
  }
  // A stop asked for meanwhile (SIGTERM while the shards start) finishes on its own.
  if (!stopping) {
    logger.fatal({ err: error }, 'reelbot could not start');
    process.exit(1);
  }
}
