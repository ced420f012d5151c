// A burst of /video: 200 commands from 50 members within one second, against the bot started as
// `npm start` would (its own process), the fake Discord and a fake video API whose jobs take 20 s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeDiscord } from '../../test/fakes/discord.ts';
import { startFakeVideoApi } from '../../test/fakes/videoApi.ts';

const commands = Number(process.env.BENCH_BURST_COMMANDS ?? 200);
const members = Number(process.env.BENCH_BURST_MEMBERS ?? 50);
const jobMs = Number(process.env.BENCH_BURST_JOB_MS ?? 20_000);
const guildId = '111111111111111111';
const channelId = '222222222222222222';

const discord = await startFakeDiscord({ guilds: [{ id: guildId, channels: [{ id: channelId }] }] });
const video = await startFakeVideoApi({ apiKey: 'bench-key', completeAfterMs: jobMs });
const dir = mkdtempSync(join(tmpdir(), 'reelbot-burst-'));
const flags = (process.env.BENCH_NODE_FLAGS ?? '--optimize-for-size').split(' ').filter(Boolean);
const bot = spawn(
  process.execPath,
  [
    ...flags,
    '--experimental-strip-types',
    '--disable-warning=ExperimentalWarning',
    join(import.meta.dirname, '../../src/main.ts'),
  ],
  {
    env: {
      PATH: process.env.PATH ?? '',
      DISCORD_TOKEN: 'bench-token',
      DISCORD_API_URL: discord.restUrl,
      VIDEO_API_BASE_URL: video.url,
      VIDEO_API_KEY: 'bench-key',
      DATABASE_PATH: join(dir, 'reelbot.db'),
      MEDIA_DIR: join(dir, 'media'),
      QUOTA_IN_FLIGHT_PER_USER: '100',
      QUOTA_JOBS_PER_USER_PER_DAY: '1000',
      QUOTA_SECONDS_PER_GUILD_PER_DAY: '1000000',
      LOG_LEVEL: 'warn',
    },
    // The bot's log lines go to stderr: stdout carries only this benchmark's one JSON line.
    stdio: ['ignore', 2, 'inherit'],
  },
);
const deadline = Date.now() + 20_000;
while (
  !discord.calls.some((call) => call.method === 'PUT' && call.path.endsWith('/commands')) &&
  Date.now() < deadline
) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const dispatchedAt = new Map<string, number>();
const promptOf = new Map<string, string>();
const started = Date.now();
for (let index = 0; index < commands; index++) {
  const memberId = String(333_333_333_333_333_000n + BigInt(index % members));
  const { token } = discord.sendCommand({
    guildId,
    channelId,
    user: { id: memberId },
    name: 'video',
    options: [{ name: 'prompt', type: 3, value: `burst ${index}` }],
  });
  dispatchedAt.set(token, Date.now());
  promptOf.set(token, `burst ${index}`);
  // Spread over one second.
  if (index % Math.ceil(commands / 20) === 0) await new Promise((resolve) => setTimeout(resolve, 1_000 / 20));
}
const dispatchMs = Date.now() - started;

const uploadsDone = () =>
  discord.calls.filter((call) => call.method === 'PATCH' && call.files.length > 0).length;
const finish = Date.now() + jobMs + 60_000;
while (uploadsDone() < commands && Date.now() < finish)
  await new Promise((resolve) => setTimeout(resolve, 200));

const ackLatency: number[] = [];
const editsPerJob: number[] = [];
const completionToUpload: number[] = [];
for (const [token, at] of dispatchedAt) {
  const callback = discord.calls.find((call) => call.path.endsWith(`${token}/callback`));
  if (callback) ackLatency.push(callback.at - at);
  const edits = discord.calls.filter((call) => call.method === 'PATCH' && call.path.includes(token));
  editsPerJob.push(edits.length);
  const upload = edits.find((call) => call.files.length > 0);
  const job = [...video.jobs.values()].find((candidate) => candidate.prompt === promptOf.get(token));
  if (upload && job) completionToUpload.push(upload.at - (job.createdAtMs + jobMs));
}
const peakRssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${bot.pid}/status`, 'utf8'))?.[1] ?? 0);
bot.kill('SIGTERM');
await new Promise((resolve) => bot.once('exit', resolve));
await discord.close();
await video.close();

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const summary = (values: number[]) => ({
  p50: Math.round(quantile(values, 0.5)),
  p99: Math.round(quantile(values, 0.99)),
  max: Math.round(Math.max(...values)),
});
process.stdout.write(
  `${JSON.stringify({
    commands,
    members,
    dispatchMs,
    acknowledged: ackLatency.length,
    ackLatencyMs: summary(ackLatency),
    delivered: uploadsDone(),
    discordEditsPerJob: {
      mean: Number((editsPerJob.reduce((a, b) => a + b, 0) / editsPerJob.length).toFixed(2)),
      max: Math.max(...editsPerJob),
    },
    completionToUploadStartMs: summary(completionToUpload),
    botPeakRssMb: Math.round(peakRssKb / 1024),
  })}\n`,
);
process.exit(0);
