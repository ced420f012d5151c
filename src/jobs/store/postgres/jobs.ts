// Rows and their transitions on PostgreSQL. A transition locks the row (SELECT ... FOR UPDATE),
// checks the state machine against the state it found, and writes only from that state, all in
// one transaction: of two processes moving one job at once, the second sees the first's result.
// Listeners hear of a change after its COMMIT only, so a rolled-back change is never told.
import { canTransition, IllegalTransitionError, type JobState } from '../../states.ts';
import { jobSelectList } from '../columns.ts';
import type { Job, JobPatch, JobRows, JobStoreOptions, JobTransition, TransitionNote } from '../contract.ts';
import type { Database } from './database.ts';
import { missingJob, selectJob, writePatch } from './rows.ts';

type Outcome = JobTransition | { refused: 'missing' } | { refused: 'illegal' | 'moved on'; state: JobState };

export function createJobRows(
  database: Database,
  now: () => number,
  onTransition: JobStoreOptions['onTransition'],
): JobRows {
  /** Moves the job in one transaction, or says why it did not. */
  const move = (id: number, to: JobState, patch: JobPatch, from?: readonly JobState[]) =>
    database.transaction(async (tx): Promise<Outcome> => {
      const job = await selectJob(tx, id, true);
      if (!job) return { refused: 'missing' };
      if (!canTransition(job.state, to)) return { refused: 'illegal', state: job.state };
      if (from && !from.includes(job.state)) return { refused: 'moved on', state: job.state };
      const moved = await writePatch(tx, id, { ...patch, state: to }, now(), [job.state]);
      if (!moved) throw missingJob(id); // cannot happen: the row is locked
      return { job: moved, from: job.state };
    });

  const announce = (change: JobTransition, note?: TransitionNote): Job => {
    onTransition?.(note ? { ...change, note } : change);
    return change.job;
  };

  return {
    get: (id) => selectJob(database, id),

    async byState(states) {
      return database.query<Job>(
        `SELECT ${jobSelectList} FROM jobs WHERE state = ANY($1::text[]) ORDER BY id`,
        [[...states]],
      );
    },

    async transition(id, to, patch = {}, note) {
      const outcome = await move(id, to, patch);
      if ('job' in outcome) return announce(outcome, note);
      if (outcome.refused === 'missing') throw missingJob(id);
      throw new IllegalTransitionError(id, outcome.state, to);
    },

    async tryTransition(id, to, patch = {}, from, note) {
      const outcome = await move(id, to, patch, from);
      return 'job' in outcome ? announce(outcome, note) : undefined;
    },

    async update(id, patch) {
      const job = await writePatch(database, id, patch, now());
      if (!job) throw missingJob(id);
      return job;
    },

    // One statement: PostgreSQL re-checks the state on the row it locks to write.
    updateWhile: (id, states, patch) => writePatch(database, id, patch, now(), states),

    // One statement: of two removals at once, the second waits for the first's row lock, then
    // re-checks the condition on the row as written (READ COMMITTED) and matches nothing.
    async markRemoved(id, by, role, at) {
      const [job] = await database.query<Job>(
        `UPDATE jobs SET removed_at = $1, removed_by = $2, removed_by_role = $3, media_path = NULL, updated_at = $4
         WHERE id = $5 AND state = 'delivered' AND removed_at IS NULL
         RETURNING ${jobSelectList}`,
        [at, by, role, now(), id],
      );
      return job;
    },
  };
}
