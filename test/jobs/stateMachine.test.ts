import { describe, expect, it } from 'vitest';
import { canTransition, type JobState, jobStates } from '../../src/jobs/index.ts';

// Every legal move, written out by hand: the table is the specification. (The store refusing an
// illegal one is in the store's conformance suite.)
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
});
