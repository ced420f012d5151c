// Job rows on PostgreSQL: read already shaped like a Job (BOOLEAN and BIGINT come back as
// booleans and numbers), and a patch written as one UPDATE.
import type { JobState } from '../../states.ts';
import { jobSelectList, jsonJobFields, patchAssignments } from '../columns.ts';
import type { Job, JobPatch } from '../contract.ts';
import type { Queryable } from './database.ts';

/**
 * PostgreSQL keeps each field as the type the bot uses; only JSONB is sent as its text (node-postgres
 * would send a JavaScript array as a PostgreSQL array), and comes back parsed.
 */
export const asStored = (field: keyof Job, value: unknown): unknown =>
  jsonJobFields.has(field) ? JSON.stringify(value) : value;

export async function selectJob(db: Queryable, id: number, lock = false): Promise<Job | undefined> {
  const [job] = await db.query<Job>(
    `SELECT ${jobSelectList} FROM jobs WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return job;
}

export function missingJob(id: number): Error {
  return new Error(`job ${id} does not exist`);
}

/**
 * Writes `patch` (and maybe a new state) to the job and returns the row as written, or undefined
 * when the job does not exist or is no longer in one of `whileIn`.
 */
export async function writePatch(
  db: Queryable,
  id: number,
  patch: JobPatch & { state?: JobState },
  at: number,
  whileIn?: readonly JobState[],
): Promise<Job | undefined> {
  const assignments = [...patchAssignments(patch, asStored), { column: 'updated_at', value: at }];
  const values = assignments.map((assignment) => assignment.value);
  const set = assignments.map((assignment, index) => `${assignment.column} = $${index + 1}`).join(', ');
  const conditions = [`id = $${values.length + 1}`];
  const params = [...values, id];
  if (whileIn) {
    params.push([...whileIn]);
    conditions.push(`state = ANY($${params.length}::text[])`);
  }
  const [job] = await db.query<Job>(
    `UPDATE jobs SET ${set} WHERE ${conditions.join(' AND ')} RETURNING ${jobSelectList}`,
    params,
  );
  return job;
}
