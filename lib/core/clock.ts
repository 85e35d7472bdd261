import { Subscription, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';

// The one place lib/ reads the time, sets timers and draws random numbers. Everything else takes a `scheduler`
// or `random` option, so tests can run on virtual time (TestScheduler.run virtualises asyncScheduler). The
// exceptions time real work: the request timeout (startDeadline), servers and tools (sleep).

/** The scheduler used when an option leaves it out. */
export const defaultScheduler: SchedulerLike = asyncScheduler;

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
 * The longest delay a timer takes: Node's and browsers' timers fire after about 1 ms when given more (a
 * signed 32-bit count of milliseconds, 24.8 days), so a longer wait is a chain of timers of at most this.
 */
export const maxTimerDelay = 2 ** 31 - 1;

/**
 * `scheduler.schedule(work, delay, state)` for any delay: up to {@link maxTimerDelay} it is exactly that; a
 * longer one is a chain of timers of at most that length, ending with `work` scheduled for what is left, and
 * `Infinity` never runs `work`. What is left is read from the scheduler's clock at each link (a late timer
 * does not delay the end) and shrinks by a whole link each time whatever that clock says (a stopped clock
 * does not make the chain endless). Unsubscribing the returned subscription stops the chain.
 */
export function scheduleAfter<T>(
  scheduler: SchedulerLike,
  work: (this: SchedulerAction<T>, state?: T) => void,
  delay: number,
  state?: T,
): Subscription {
  if (!(delay > maxTimerDelay)) return scheduler.schedule(work, delay, state);
  const chain = new Subscription();
  if (delay === Infinity) return chain;
  const endsAt = scheduler.now() + delay;
  let left = delay;
  let link: Subscription | undefined;
  const next = (): void => {
    left = Math.min(left, endsAt - scheduler.now());
    link = left > maxTimerDelay ? scheduler.schedule(next, maxTimerDelay) : scheduler.schedule(work, Math.max(0, left), state);
    left -= maxTimerDelay;
  };
  chain.add(() => link?.unsubscribe());
  next();
  return chain;
}

/**
 * Resolves after `ms` milliseconds of real time (for servers and tools, not for the engine), however long:
 * past {@link maxTimerDelay} the timers are chained, and `Infinity` never resolves. The timers do not by
 * themselves keep Node running.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (ms === Infinity) return;
    const endsAt = monotonic() + ms;
    let left = ms;
    const next = (): void => {
      left = Math.min(left, endsAt - monotonic());
      if (left <= 0) return resolve();
      const timer = setTimeout(next, Math.min(left, maxTimerDelay)) as unknown as { unref?: () => void };
      timer.unref?.();
      left -= maxTimerDelay;
    };
    next();
  });
}
