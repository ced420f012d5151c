// Job rows and their transitions on SQLite: each change one transaction, told once committed.
import { canTransition, IllegalTransitionError, type JobState } from '../../states.ts';
import { jobSelectList } from '../columns.ts';
import type { Job, JobPatch, JobRows, JobTransition, TransitionNote } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';
import { mustReadJob, type Row, readJob, toJob, writePatch } from './rows.ts';

export function sqliteJobRows(
  sql: SqliteDatabase,
  onTransition?: (change: JobTransition) => void,
): Synchronous<JobRows> {
  const transitionNow = (id: number, to: JobState, patch: JobPatch): JobTransition =>
    sql.transaction(() => {
      const job = mustReadJob(sql, id);
      if (!canTransition(job.state, to)) throw new IllegalTransitionError(id, job.state, to);
      writePatch(sql, id, { ...patch, state: to });
      return { job: mustReadJob(sql, id), from: job.state };
    });

  const tryTransitionNow = (
    id: number,
    to: JobState,
    patch: JobPatch,
    from?: readonly JobState[],
  ): JobTransition | undefined =>
    sql.transaction(() => {
      const job = readJob(sql, id);
      if (!job || !canTransition(job.state, to)) return undefined;
      if (from && !from.includes(job.state)) return undefined;
      writePatch(sql, id, { ...patch, state: to });
      return { job: mustReadJob(sql, id), from: job.state };
    });

  /** Called once the transaction has committed: a rolled-back change is never told. */
  const announce = (change: JobTransition, note?: TransitionNote): JobTransition => {
    const told = note ? { ...change, note } : change;
    onTransition?.(told);
    return told;
  };

  return {
    get: (id) => readJob(sql, id),

    byState(states) {
      const list = states.map(() => '?').join(', ');
      const rows = sql
        .prepare(`SELECT ${jobSelectList} FROM jobs WHERE state IN (${list}) ORDER BY id`)
        .all(...states) as Row[];
      return rows.map(toJob);
    },

    transition: (id, to, patch = {}, note) => announce(transitionNow(id, to, patch), note).job,

    tryTransition(id, to, patch = {}, from, note): Job | undefined {
      const change = tryTransitionNow(id, to, patch, from);
      return change ? announce(change, note).job : undefined;
    },

    update: (id, patch) =>
      sql.transaction(() => {
        writePatch(sql, id, patch);
        return mustReadJob(sql, id);
      }),

    updateWhile: (id, states, patch) =>
      sql.transaction(() => {
        const job = readJob(sql, id);
        if (!job || !states.includes(job.state)) return undefined;
        writePatch(sql, id, patch);
        return mustReadJob(sql, id);
      }),

    // One statement, its condition checked on the row it writes: a second removal matches nothing.
    markRemoved(id, by, role, at) {
      const row = sql
        .prepare(
          `UPDATE jobs SET removed_at = ?, removed_by = ?, removed_by_role = ?, media_path = NULL, updated_at = ?
           WHERE id = ? AND state = 'delivered' AND removed_at IS NULL
           RETURNING ${jobSelectList}`,
        )
        .get(at, by, role, sql.now(), id) as Row | undefined;
      return row ? toJob(row) : undefined;
    },
  };
}
