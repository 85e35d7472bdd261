import type { SchedulerLike } from 'rxjs';

// What a wait hands down to the code it subscribes, for the length of that call, the way a call stack would,
// rather than through a field every strategy and source would have to carry:
// - timeoutAfter tells the polling loop beneath it when the wait ends, so that the loop can ask once more
//   shortly before then instead of sleeping past it (the loop starts while timeoutAfter subscribes its
//   source: pollTask$ subscribes synchronously);
// - the engine tells a request it sends the clock of its wait, so that an HTTP source times its request
//   timeout by it (a source's read starts while the request is subscribed).

/** A deadline in force: the wait ends at `at` by `scheduler`'s clock; `outer` is the one around it. */
export interface AmbientDeadline {
  readonly at: number;
  readonly scheduler: SchedulerLike;
  readonly outer: AmbientDeadline | undefined;
}

let deadlines: AmbientDeadline | undefined;

/** Runs `subscribe` with `at` (by `scheduler`'s clock) as the deadline of any polling loop it starts. */
export function withinDeadline<T>(at: number, scheduler: SchedulerLike, subscribe: () => T): T {
  const outer = deadlines;
  deadlines = { at, scheduler, outer };
  try {
    return subscribe();
  } finally {
    deadlines = outer;
  }
}

/**
 * Runs `subscribe` with no deadline in force: for a loop shared by many subscribers, whose life is not bound
 * by the deadline of the one that happened to start it.
 */
export function outsideDeadlines<T>(subscribe: () => T): T {
  const outer = deadlines;
  deadlines = undefined;
  try {
    return subscribe();
  } finally {
    deadlines = outer;
  }
}

/**
 * How many milliseconds are left before the earliest deadline in force, or `Infinity` when there is none.
 * Each deadline is read by its own scheduler's clock, so a loop on another clock gets a duration, not a time.
 */
export function timeLeft(): number {
  let left = Infinity;
  for (let deadline = deadlines; deadline !== undefined; deadline = deadline.outer) {
    left = Math.min(left, deadline.at - deadline.scheduler.now());
  }
  return left;
}

let clock: SchedulerLike | undefined;

/**
 * Makes `scheduler` the clock of the wait whose request is being subscribed; returns the clock it replaced,
 * for {@link leaveClock} (a pair rather than a callback: it runs for every request). `undefined`: no wait.
 */
export function enterClock(scheduler: SchedulerLike | undefined): SchedulerLike | undefined {
  const outer = clock;
  clock = scheduler;
  return outer;
}

/** Gives back the clock {@link enterClock} replaced. */
export function leaveClock(outer: SchedulerLike | undefined): void {
  clock = outer;
}

/** The clock of the wait whose request is being subscribed now, or undefined outside of one. */
export function clockOfWait(): SchedulerLike | undefined {
  return clock;
}
