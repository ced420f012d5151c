// Node keeps a timer's delay in a 32-bit signed integer: a longer one fires at once, after 1 ms
// (with a TimeoutOverflowWarning). Every computed delay goes through timerMs before a timer holds it.

/** The longest delay a Node timer can hold: 2^31-1 ms, about 24.8 days. */
export const maxTimerMs = 2 ** 31 - 1;

/** `ms` as a timer can hold it: never negative, and at most the longest a timer can wait. */
export function timerMs(ms: number): number {
  return Math.min(Math.max(0, ms), maxTimerMs);
}
