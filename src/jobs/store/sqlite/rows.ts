// Job rows as SQLite keeps them: booleans as 0/1, read back into a Job, and a patch written as one UPDATE.
import type { JobState } from '../../states.ts';
import { booleanJobFields, jobSelectList, jsonJobFields, patchAssignments } from '../columns.ts';
import type { Job, JobPatch } from '../contract.ts';
import type { SqliteDatabase } from './database.ts';

export type Row = Record<string, unknown>;

/** A row selected with `jobSelectList`, its 0/1 columns made booleans and its JSON parsed. */
export function toJob(row: Row): Job {
  for (const field of booleanJobFields) row[field] = row[field] === 1;
  for (const field of jsonJobFields) row[field] = JSON.parse(String(row[field]));
  // The select list names every field of Job, so the row has exactly its shape.
  return row as unknown as Job;
}

export function toSqlite(field: keyof Job, value: unknown): unknown {
  if (booleanJobFields.has(field)) return value ? 1 : 0;
  return jsonJobFields.has(field) ? JSON.stringify(value) : value;
}

export function readJob(sql: SqliteDatabase, id: number): Job | undefined {
  const row = sql.prepare(`SELECT ${jobSelectList} FROM jobs WHERE id = ?`).get(id) as Row | undefined;
  return row ? toJob(row) : undefined;
}

export function mustReadJob(sql: SqliteDatabase, id: number): Job {
  const job = readJob(sql, id);
  if (!job) throw new Error(`job ${id} does not exist`);
  return job;
}

/** Writes `patch` (and a new state, when given) and `updated_at` to one row. */
export function writePatch(sql: SqliteDatabase, id: number, patch: JobPatch & { state?: JobState }): void {
  const assignments = patchAssignments(patch, toSqlite);
  const columns = [...assignments.map(({ column }) => `${column} = ?`), 'updated_at = ?'];
  sql
    .prepare(`UPDATE jobs SET ${columns.join(', ')} WHERE id = ?`)
    .run(...assignments.map(({ value }) => value), sql.now(), id);
}
