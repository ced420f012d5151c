// The composition root: config → logger → store → provider → Discord client → tracker/notifier.
import { describeProblems, loadConfig } from './config.ts';
import { createLogger } from './log.ts';

async function main(): Promise<void> {
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`${describeProblems(result.problems)}\n`);
    process.exit(1);
  }
  const { config } = result;
  const logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    secrets: [config.discord.token, config.video.apiKey],
  });
  logger.info(
    { videoApi: config.video.baseUrl, models: config.video.catalogue.offered.map((model) => model.id) },
    'configuration loaded',
  );
}

await main();
