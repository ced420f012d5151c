// Which process this is: the one bot process, the manager of shard processes (SHARDS), or one
// shard under that manager. Pure: it reads the environment it is given.

export type ProcessRole =
  | { kind: 'single' }
  /** Starts one child process per shard; `trackerShards`: only these run the tracker (all when unset). */
  | { kind: 'manager'; shards: number | 'auto'; trackerShards?: number[] }
  | { kind: 'shard'; id: number; count: number };

/** The most shard processes one manager starts on one host. */
export const maxShards = 64;
const maxPort = 65_535;

const wholeNumber = (value: string | undefined): value is string => /^\d+$/.test(value?.trim() ?? '');

const shardsProblem = `SHARDS must be auto or a whole number from 1 to ${maxShards}: the shard processes started on this host, one per gateway shard (unset or 1: one process)`;

/**
 * Reads SHARDS and TRACKER_SHARDS. discord.js's ShardingManager starts each shard process with
 * SHARDING_MANAGER=true, its shard id in SHARDS and the count in SHARD_COUNT: in such a process
 * SHARDS is that id, not the setting (which the manager already checked).
 */
export function readProcessRole(env: Record<string, string | undefined>): {
  role?: ProcessRole;
  problems: string[];
} {
  if (env.SHARDING_MANAGER === 'true' && wholeNumber(env.SHARDS) && wholeNumber(env.SHARD_COUNT)) {
    return { role: { kind: 'shard', id: Number(env.SHARDS), count: Number(env.SHARD_COUNT) }, problems: [] };
  }
  const problems: string[] = [];
  const asked = env.SHARDS?.trim().toLowerCase() || '1';
  let shards: number | 'auto' | undefined;
  if (asked === 'auto') shards = 'auto';
  else if (wholeNumber(asked) && Number(asked) >= 1 && Number(asked) <= maxShards) shards = Number(asked);
  else problems.push(shardsProblem);

  const trackerShards = readTrackerShards(env, shards, problems);
  if (shards === undefined || problems.length > 0) return { problems };
  if (shards === 1) return { role: { kind: 'single' }, problems };
  return { role: { kind: 'manager', shards, trackerShards }, problems };
}

function readTrackerShards(
  env: Record<string, string | undefined>,
  shards: number | 'auto' | undefined,
  problems: string[],
): number[] | undefined {
  const listed = env.TRACKER_SHARDS?.trim();
  if (!listed) return undefined;
  const ids = listed.split(',').map((id) => id.trim());
  if (!ids.every(wholeNumber)) {
    problems.push('TRACKER_SHARDS must be shard ids separated by commas, such as 0 or 0,2');
    return undefined;
  }
  if (shards === 1) {
    problems.push(
      'TRACKER_SHARDS is set but SHARDS is not: it chooses which shard processes run the tracker (TRACKER=false turns off the one process)',
    );
  }
  return [...new Set(ids.map(Number))].sort((a, b) => a - b);
}

/**
 * What a shard count rules out: a TRACKER_SHARDS id past the last shard, or shard ports past 65535.
 * Checked with the settings for SHARDS=N, and by the manager once Discord has said the count for auto.
 */
export function shardPlanProblems(
  count: number,
  plan: { trackerShards?: number[]; httpPort?: number },
): string[] {
  const problems: string[] = [];
  const beyond = plan.trackerShards?.filter((id) => id >= count) ?? [];
  if (beyond.length > 0) {
    problems.push(
      `TRACKER_SHARDS names shard ${beyond.join(', ')}, but there are ${count} shards (0 to ${count - 1})`,
    );
  }
  const last = plan.httpPort ? plan.httpPort + count - 1 : 0;
  if (last > maxPort) {
    problems.push(
      `HTTP_PORT leaves no room for ${count} shards: shard processes listen on HTTP_PORT plus their shard id, up to ${last}, past ${maxPort}`,
    );
  }
  return problems;
}

/** A shard process listens on HTTP_PORT plus its shard id; HTTP_PORT=0 gives each a free port. */
export function httpPortOf(role: ProcessRole | undefined, port: number | undefined): number | undefined {
  if (port === undefined || port === 0 || role?.kind !== 'shard') return port;
  return port + role.id;
}

/** Whether the shard process `id` runs the tracker, under TRACKER (`tracker`) and TRACKER_SHARDS. */
export function shardRunsTracker(
  role: Extract<ProcessRole, { kind: 'manager' }>,
  tracker: boolean,
  id: number,
) {
  return tracker && (role.trackerShards === undefined || role.trackerShards.includes(id));
}
