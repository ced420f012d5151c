// `npm run bench [name...]`: runs the benchmarks and prints their figures. Never asserts wall time.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const here = import.meta.dirname;
/** The V8 flags `npm start` runs the bot with, so figures are the production ones (BENCH_NODE_FLAGS overrides). */
const productionFlags = (process.env.BENCH_NODE_FLAGS ?? '--optimize-for-size').split(' ').filter(Boolean);
const nodeArgs = [...productionFlags, '--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

function start(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, join(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark process exited with ${code}`)));
  });
}

async function run(script: string, args: string[]): Promise<unknown> {
  const child = start(script, args);
  const line = await firstLine(child);
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(line);
}

async function tracker(): Promise<void> {
  const counts = (process.env.BENCH_COUNTS ?? '1000,10000').split(',').map(Number);
  const strategies = (process.env.BENCH_STRATEGIES ?? 'reelbot,fixed-10s,fixed-2s').split(',');
  console.log('\n## tracker: provider requests per job and completion detection latency');
  console.log(`node flags: ${productionFlags.join(' ') || '(none)'}`);
  console.log(
    `jobs last ${process.env.BENCH_MIN_DURATION_MS ?? 30_000}–${process.env.BENCH_MAX_DURATION_MS ?? 150_000} ms; 70% linear progress, 20% no progress, 10% stall`,
  );
  for (const count of counts) {
    const results: Record<string, { requestsPerJob: number }> = {};
    for (const strategy of strategies) {
      const provider = start('tracker/fakeProvider.ts');
      const { port } = JSON.parse(await firstLine(provider)) as { port: number };
      const result = (await run('tracker/worker.ts', [
        strategy,
        String(count),
        `http://127.0.0.1:${port}/v1`,
      ])) as {
        requestsPerJob: number;
      };
      provider.kill('SIGTERM');
      results[strategy] = result;
      console.log(JSON.stringify(result));
    }
    const ours = results.reelbot?.requestsPerJob;
    const ten = results['fixed-10s']?.requestsPerJob;
    const two = results['fixed-2s']?.requestsPerJob;
    if (ours && ten)
      console.log(`N=${count}: requests per job, reelbot / fixed-10s = ${(ours / ten).toFixed(2)}`);
    if (ours && two)
      console.log(`N=${count}: requests per job, reelbot / fixed-2s = ${(ours / two).toFixed(2)}`);
  }
}

async function resume(): Promise<void> {
  const count = process.env.BENCH_RESUME_COUNT ?? '10000';
  console.log(`\n## resume: ${count} in-flight jobs after a crash, process start to first poll`);
  const provider = start('tracker/fakeProvider.ts', [], {
    BENCH_MIN_DURATION_MS: '600000',
    BENCH_MAX_DURATION_MS: '900000',
  });
  const { port } = JSON.parse(await firstLine(provider)) as { port: number };
  const db = join(mkdtempSync(join(tmpdir(), 'reelbot-resume-')), 'resume.db');
  const url = `http://127.0.0.1:${port}/v1`;
  const prepare = start('tracker/resume.ts', ['prepare', db, count, url]);
  await new Promise((resolve) => prepare.once('exit', resolve));
  console.log(JSON.stringify(await run('tracker/resume.ts', ['resume', db, count, url])));
  provider.kill('SIGTERM');
}

async function history(): Promise<void> {
  console.log('\n## history: /video-history page with 100,000 jobs in the database');
  const child = start('history/history.ts', [process.env.BENCH_HISTORY_JOBS ?? '100000']);
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) console.log(line);
}

async function burst(): Promise<void> {
  console.log('\n## burst: 200 /video from 50 members within one second (bot in its own process)');
  console.log(JSON.stringify(await run('discord/burst.ts', [])));
}

const benchmarks: Record<string, () => Promise<void>> = { history, burst, tracker, resume };
const wanted = process.argv.slice(2).filter((name) => name in benchmarks);
for (const name of wanted.length > 0 ? wanted : Object.keys(benchmarks)) await benchmarks[name]?.();
