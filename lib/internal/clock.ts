import { asyncScheduler, type SchedulerLike } from 'rxjs';

// The one place lib/ reads the time and draws random numbers. Everything else takes a `scheduler` or
// `random` option, so tests can run on virtual time (TestScheduler.run virtualises asyncScheduler).

/** The scheduler used when an option leaves it out. */
export const defaultScheduler: SchedulerLike = asyncScheduler;

/** The current time by the default scheduler's clock, in milliseconds. */
export function now(): number {
  return asyncScheduler.now();
}

/** The random source used when an option leaves it out: a number in [0, 1). */
export const defaultRandom: () => number = Math.random;
