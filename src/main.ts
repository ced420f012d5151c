// The composition root: config → logger → bot; signals and graceful shutdown.
import { startBot } from './bot.ts';
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

try {
  const bot = await startBot({ config, logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => process.exit(1), forceExitMs);
    deadline.unref();
    bot.stop(stopGraceMs).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'reelbot could not start');
  process.exit(1);
}
