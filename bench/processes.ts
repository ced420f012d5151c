// The benchmarks' child processes: each benchmark runs in processes of its own, with the V8 flags
// the bot runs with, and speaks to `npm run bench` in JSON lines on its stdout.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const here = import.meta.dirname;
/** The V8 flags `npm start` runs the bot with, so figures are the production ones (BENCH_NODE_FLAGS overrides). */
export const productionFlags = (process.env.BENCH_NODE_FLAGS ?? '--optimize-for-size')
  .split(' ')
  .filter(Boolean);
const nodeArgs = [...productionFlags, '--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

export interface BenchProcess {
  child: ChildProcess;
  /** The next line the process prints; rejects when it exits first. */
  nextLine(): Promise<string>;
  /** Writes one line to its stdin (only for processes started with `input: true`). */
  send(line: string): void;
  exited: Promise<number | null>;
}

/** Every process started: none outlives `npm run bench`, even when a benchmark throws. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `script` (a path under bench/) in its own Node process; its stderr goes to ours. */
export function start(
  script: string,
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; input?: boolean } = {},
): BenchProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(here, script), ...args], {
    stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const lines = createInterface({ input: child.stdout ?? process.stdin })[Symbol.asyncIterator]();
  return {
    child,
    exited,
    async nextLine() {
      const next = await lines.next();
      if (next.done) throw new Error(`${script} exited with ${await exited} before printing its figures`);
      return next.value;
    },
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
  };
}

/** Runs `script` to its end: the JSON of the first line it prints. */
export async function runOnce(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<unknown> {
  const child = start(script, args, { env });
  const line = await child.nextLine();
  await child.exited;
  return JSON.parse(line);
}

/** A fake video API in its own process (bench/tracker/fakeProvider.ts); stop() ends it. */
export async function startProvider(
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; stats(): Promise<unknown>; stop(): Promise<void> }> {
  const provider = start('tracker/fakeProvider.ts', [], { env });
  const { port } = JSON.parse(await provider.nextLine()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats: async () => (await fetch(`http://127.0.0.1:${port}/stats`)).json(),
    async stop() {
      provider.child.kill('SIGTERM');
      await provider.exited;
    },
  };
}
