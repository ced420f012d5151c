import { describe, expect, it } from 'vitest';
import {
  canTransition,
  IllegalTransitionError,
  type JobState,
  jobStates,
  openJobStore,
} from '../../src/jobs/index.ts';
import { newJob } from './helpers.ts';

// Every legal move, written out by hand: the table is the specification.
const legal: Record<JobState, JobState[]> = {
  submitting: ['queued', 'in_progress', 'completed', 'failed', 'canceled', 'expired'],
  queued: ['in_progress', 'completed', 'failed', 'canceled', 'expired'],
  in_progress: ['completed', 'failed', 'canceled', 'expired'],
  completed: ['delivering', 'failed', 'canceled', 'expired'],
  delivering: ['delivered', 'failed', 'canceled', 'expired'],
  delivered: [],
  failed: [],
  canceled: [],
  expired: [],
};

describe('job state machine', () => {
  for (const from of jobStates) {
    for (const to of jobStates) {
      const allowed = legal[from].includes(to);
      it(`${allowed ? 'allows' : 'forbids'} ${from} → ${to}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }

  it('never leaves a final state', () => {
    for (const final of ['delivered', 'failed', 'canceled', 'expired'] as const) {
      expect(jobStates.filter((to) => canTransition(final, to))).toEqual([]);
    }
  });

  it('refuses an illegal transition in the store and leaves the row as it was', () => {
    const store = openJobStore({ path: ':memory:' });
    const inserted = store.insertWithinQuota(newJob(), {
      inFlightPerUser: 9,
      jobsPerUserPerDay: 9,
      secondsPerGuildPerDay: 999,
    });
    if (!inserted.ok) throw new Error('refused');
    store.transition(inserted.job.id, 'failed', { errorKind: 'moderation' });
    expect(() => store.transition(inserted.job.id, 'queued', { remoteId: 'video_1' })).toThrow(
      IllegalTransitionError,
    );
    expect(store.get(inserted.job.id)).toMatchObject({
      state: 'failed',
      remoteId: null,
      errorKind: 'moderation',
    });
    expect(store.tryTransition(inserted.job.id, 'delivered')).toBeUndefined();
    store.close();
  });
});
