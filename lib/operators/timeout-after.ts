import { Observable, type MonoTypeOperatorFunction, type Observer, type SchedulerLike, type Subscription } from 'rxjs';
import { TaskTimeoutError } from '../errors.js';
import { defaultScheduler, scheduleAfter } from '../core/clock.js';
import { TaskStream } from '../core/poll-task.js';
import { withinDeadline } from '../core/wait-scope.js';
import { checkNumber, checkOptions, checkScheduler, optionNamesOf } from '../util/options.js';
import type { TaskSnapshot } from '../snapshot.js';

/** Options of {@link timeoutAfter}. Give `ms`, `deadline` or both (the earlier one wins). */
export interface TimeoutAfterConfig {
  /** How long to wait for the result, from subscription, in milliseconds. `Infinity` waits for ever. */
  readonly ms?: number;
  /**
   * A point in time by which the result must have come: a `Date`, or milliseconds since the epoch by the
   * scheduler's clock. Useful when the deadline was fixed earlier (a request's own deadline, a resumed wait).
   */
  readonly deadline?: Date | number;
  /**
   * The scheduler that times the deadline.
   * @default the clock of the wait when placed directly on {@link pollTask$} (its strategy's `scheduler`), else asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

const optionNames = optionNamesOf<TimeoutAfterConfig>()({ ms: true, deadline: true, scheduler: true });

/** The least an event must have for {@link timeoutAfter}: a `type`, and a snapshot when it has one. */
export interface TimedEvent {
  readonly type: string;
  readonly snapshot?: TaskSnapshot;
}

/**
 * Bounds the whole wait: errors with {@link TaskTimeoutError} (`timeoutMs`, `elapsedMs`, `lastSnapshot`)
 * when no `result` event arrived in time, however much progress keeps arriving, and unsubscribes upstream,
 * which aborts the request in flight.
 *
 * Where it sits matters for {@link cancelOnUnsubscribe}: placed upstream of this operator, a timeout cancels
 * the task on its service (the timeout unsubscribes it); placed downstream, it does not (it sees an error).
 *
 * Unlike RxJS `timeout({ first })`, which only guards the first value, this is a total deadline.
 *
 * Any time up to `Number.MAX_SAFE_INTEGER` ms waits that long (longer than a timer can: the timers are
 * chained). The time granted is used: when the polling loop of a built-in strategy (withInterval, withBackoff,
 * withEta) starts as this operator subscribes it and its next delay would end inside the margin before the
 * deadline (a twentieth of the time granted, at most one second) or past it, it asks once more at the start
 * of that margin instead, unless the service's Retry-After asks for longer.
 *
 * @param config - milliseconds, or `{ ms, deadline, scheduler }`.
 * @throws TypeError for a negative or non-numeric time, an invalid date, or a config with neither.
 *
 * @example
 * pollTask$(source).pipe(timeoutAfter(300_000)) // Affinity's SDK: give up after 5 minutes
 * pollTask$(source).pipe(timeoutAfter({ deadline: new Date(request.deadline) }))
 */
export function timeoutAfter<E extends TimedEvent>(config: number | TimeoutAfterConfig): MonoTypeOperatorFunction<E> {
  const fn = 'timeoutAfter';
  const options: TimeoutAfterConfig = typeof config === 'number' ? { ms: config } : config;
  if (typeof config !== 'number') checkOptions(fn, config, optionNames);
  if (options === undefined || (options.ms === undefined && options.deadline === undefined)) {
    throw new TypeError(`${fn}: give the time to wait, as milliseconds (timeoutAfter(60_000)) or { ms } or { deadline }.`);
  }
  const ms = checkNumber(fn, 'ms', options.ms, Infinity, { allowInfinity: true });
  const deadline = checkDeadline(fn, options.deadline);
  const given = options.scheduler === undefined ? undefined : checkScheduler(fn, options.scheduler, defaultScheduler);

  return (source) => {
    // Directly on a wait, the deadline is timed by the wait's own clock: one clock per wait.
    const scheduler = given ?? (source instanceof TaskStream ? (source as TaskStream<unknown>).scheduler : defaultScheduler);
    return new Observable<E>((subscriber) => {
      const startedAt = scheduler.now();
      const allowed = Math.max(0, Math.min(ms, deadline - startedAt));
      let last: TaskSnapshot | undefined;
      let timer: Subscription | undefined;
      const observer: Observer<E> = {
        next(event) {
          if (event.snapshot !== undefined) last = event.snapshot;
          // The result is in: the deadline no longer applies, even if the source takes a moment to complete.
          if (event.type === 'result') timer?.unsubscribe();
          subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      };
      if (allowed === Infinity) return source.subscribe(observer);
      // The timer is subscribed before the source, so a source that reads synchronously is still timed.
      timer = scheduleAfter(scheduler, () => {
        subscriber.error(new TaskTimeoutError(allowed, scheduler.now() - startedAt, last));
      }, allowed);
      subscriber.add(timer);
      // A polling loop started by this subscribe plans one last poll shortly before the deadline.
      return withinDeadline(startedAt + allowed, scheduler, () => source.subscribe(observer));
    });
  };
}

function checkDeadline(fn: string, deadline: unknown): number {
  if (deadline === undefined) return Infinity;
  const time = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new TypeError(`${fn}: option "deadline" must be a valid Date or a number of milliseconds since the epoch, but was ${String(deadline)}.`);
  }
  return time;
}
