// The composition root: config → logger → bot; signals, graceful shutdown, and the last resort.
import { type Bot, startBot } from './bot.ts';
import { describeProblems, loadConfig, loadDotEnv } from './config.ts';
import { createLogger } from './log.ts';

loadDotEnv();
const result = loadConfig(process.env);
if (!result.ok) {
  process.stderr.write(`${describeProblems(result.problems, result.notes)}\n`);
  process.exit(1);
}
const { config } = result;
const logger = createLogger({
  level: config.log.level,
  pretty: config.log.pretty,
  isTerminal: Boolean(process.stdout.isTTY),
  secrets: [config.discord.token, config.video.apiKey],
});
logger.info(
  {
    provider: config.video.simulated ? 'simulated provider' : config.video.baseUrl,
    models: config.video.catalogue.offered.map((model) => model.id),
  },
  'starting reelbot',
);

/** A graceful stop's budget; the force-exit leaves it room to close connections afterwards. */
const stopGraceMs = 15_000;
const forceExitMs = 20_000;

let bot: Bot | undefined;
let stopping = false;

/** Stops taking work, lets what is in flight settle within the grace period, then exits. */
function shutdown(reason: string, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'shutting down');
  const deadline = setTimeout(() => process.exit(1), forceExitMs);
  deadline.unref();
  (bot ? bot.stop(stopGraceMs) : Promise.resolve()).then(
    () => process.exit(exitCode),
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

try {
  bot = await startBot({ config, logger });
} catch (error) {
  logger.fatal({ err: error }, 'reelbot could not start');
  process.exit(1);
}
