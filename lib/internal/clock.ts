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

/** Wall-clock time in milliseconds since the epoch, for dates sent by servers (Retry-After: <HTTP date>). */
export function wallClock(): number {
  return Date.now();
}

/** A monotonic clock in milliseconds (performance.now), for measuring real durations. */
export function monotonic(): number {
  return performance.now();
}

/**
 * Resolves after `ms` milliseconds of real time (for servers and tools, not for the engine). The timer does
 * not by itself keep Node running.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms) as unknown as { unref?: () => void };
    timer.unref?.();
  });
}
