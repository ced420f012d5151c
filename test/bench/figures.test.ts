// The tracker benchmark's count of jobs claimed by two processes at once: the figure that says
// claims are exclusive is only worth something if it sees an overlap when there is one.
import { describe, expect, it } from 'vitest';
import { type ClaimSpan, jobsClaimedByTwoAtOnce, type WorkerReport } from '../../bench/tracker/figures.ts';

const report = (claims: ClaimSpan[]): WorkerReport => ({
  seedMs: 0,
  polls: [],
  detected: [],
  claims,
  cpuSeconds: 0,
  peakRssMb: 0,
});

describe('jobsClaimedByTwoAtOnce', () => {
  it('counts a job whose claims by two processes overlap, once', () => {
    const first = report([
      [1, 100, 200],
      [1, 1_000, 1_100],
    ]);
    const second = report([
      [1, 150, 250],
      [1, 1_050, 1_150],
      [2, 100, 200],
    ]);
    expect(jobsClaimedByTwoAtOnce([first, second])).toBe(1);
  });

  it('counts nothing when one process claims a job after the other wrote its poll', () => {
    const first = report([
      [1, 100, 200],
      [2, 100, 200],
    ]);
    const second = report([
      [1, 200, 300],
      [2, 1_000, 1_100],
    ]);
    expect(jobsClaimedByTwoAtOnce([first, second])).toBe(0);
  });

  it('holds a claim never written until the end of the run', () => {
    const first = report([[1, 100, null]]);
    const second = report([[1, 90_000, 90_100]]);
    expect(jobsClaimedByTwoAtOnce([first, second])).toBe(1);
  });

  it('never counts one process against itself', () => {
    const only = report([
      [1, 100, 200],
      [1, 150, 250],
    ]);
    expect(jobsClaimedByTwoAtOnce([only])).toBe(0);
  });
});
