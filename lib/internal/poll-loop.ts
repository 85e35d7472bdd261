import { Observable, type Observer, type SchedulerLike, type Subscription } from 'rxjs';
import { TaskTimeoutError, isPollTaskError, type TransportError } from '../errors.js';
import { isTerminalStatus, type TaskReading } from '../snapshot.js';
import type { AnyPollStrategy } from '../strategies/poll-strategy.js';
import { defaultScheduler } from './clock.js';
import { checkFunction, checkNumber, checkScheduler } from './options.js';

/** The options every loop strategy shares: retries, server hints, the first delay and the clock. */
export interface LoopOptions {
  /**
   * Delay before the first status request, in milliseconds. Some services ask clients to wait before the
   * first poll.
   * @default 0
   */
  readonly firstPollDelayMs?: number;
  /**
   * How many failed requests in a row are retried (on the same schedule); the next failure is raised.
   * `0` raises the first error. The count starts again after every good reading.
   * @default 5
   */
  readonly maxConsecutiveErrors?: number;
  /**
   * Which errors are worth asking again for.
   * @default a {@link TransportError} with `retryable: true` (network errors, 408, 429, 5xx)
   */
  readonly isRetryable?: (error: unknown) => boolean;
  /**
   * The longest a server's Retry-After hint may stretch a delay, in milliseconds.
   * @default 300000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * Gives up with a {@link TaskTimeoutError} once this many milliseconds have passed since the strategy
   * started, cutting a request in flight: the timeout an SDK builds into its wait (Benchling's
   * `max_wait_seconds`). Prefer {@link timeoutAfter} in your own pipelines; this one travels with a strategy,
   * so a service's default waiting can carry its default limit.
   * @default Infinity
   */
  readonly maxWaitMs?: number;
  /**
   * The schedule position to start from (1-based): the first wait is delay number `startAtWait`. A resumed
   * wait uses it to continue its backoff where it stopped.
   * @default 1
   */
  readonly startAtWait?: number;
  /**
   * The scheduler that times the delays.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/** The option names of {@link LoopOptions}, for unknown-option checks. */
export const loopOptionNames = [
  'firstPollDelayMs',
  'maxConsecutiveErrors',
  'isRetryable',
  'maxRetryAfterMs',
  'maxWaitMs',
  'startAtWait',
  'scheduler',
] as const;

/** The default retry test: a retryable {@link TransportError}, from any copy of the library. */
function isRetryableTransportError(error: unknown): boolean {
  return isPollTaskError(error) && error.kind === 'transport' && (error as TransportError).retryable === true;
}

/** {@link LoopOptions} checked, with defaults filled in. */
export interface LoopSettings {
  readonly firstPollDelayMs: number;
  readonly maxConsecutiveErrors: number;
  readonly isRetryable: (error: unknown) => boolean;
  readonly maxRetryAfterMs: number;
  readonly maxWaitMs: number;
  readonly startAtWait: number;
  readonly scheduler: SchedulerLike;
}

/** Checks the shared options of `fn`, throwing a TypeError that names a bad one. */
export function checkLoopOptions(fn: string, options: LoopOptions = {}): LoopSettings {
  return {
    firstPollDelayMs: checkNumber(fn, 'firstPollDelayMs', options.firstPollDelayMs, 0),
    maxConsecutiveErrors: checkNumber(fn, 'maxConsecutiveErrors', options.maxConsecutiveErrors, 5, {
      integer: true,
      allowInfinity: true,
    }),
    isRetryable: checkFunction(fn, 'isRetryable', options.isRetryable, isRetryableTransportError),
    maxRetryAfterMs: checkNumber(fn, 'maxRetryAfterMs', options.maxRetryAfterMs, 300_000, { allowInfinity: true }),
    maxWaitMs: checkNumber(fn, 'maxWaitMs', options.maxWaitMs, Infinity, { allowInfinity: true }),
    startAtWait: checkNumber(fn, 'startAtWait', options.startAtWait, 1, { min: 1, integer: true }),
    scheduler: checkScheduler(fn, options.scheduler, defaultScheduler),
  };
}

function hintOf(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value !== Infinity ? value : undefined;
}

/**
 * A strategy's delay: `wait` counts the waits (1-based), `reading` is the reading the wait follows (undefined
 * after an error), `now` the scheduler's time.
 */
export type DelayFunction = (wait: number, reading: TaskReading<unknown> | undefined, now: number) => number;

/**
 * The loop behind every built-in strategy: read, wait `delay(n, reading)` (n = 1, 2, … counts the waits, after
 * readings and errors alike), read again, until a terminal reading. A server hint stretches the wait to
 * `max(delay(n), min(hint, maxRetryAfterMs))`. Retryable errors are retried on the same schedule while the
 * consecutive error count stays within the limit. With `maxWaitMs`, a deadline timer ends the loop with a
 * TaskTimeoutError. State lives in the subscription, never in the strategy: `makeDelay` is called once per
 * subscription, so a delay function may keep what it learns from the readings.
 */
export function pollLoop(settings: LoopSettings, makeDelay: () => DelayFunction): AnyPollStrategy {
  const { firstPollDelayMs, maxConsecutiveErrors, isRetryable, maxRetryAfterMs, maxWaitMs, startAtWait, scheduler } = settings;
  return <R>(readings: Observable<TaskReading<R>>) =>
    new Observable<TaskReading<R>>((subscriber) => {
      const delay = makeDelay();
      let waits = startAtWait - 1;
      let errors = 0;
      let last: TaskReading<R> | undefined;
      let hint: number | undefined;
      let terminal = false;
      let request: Subscription | undefined;
      let timer: Subscription | undefined;

      const ask = (): void => {
        timer = undefined;
        request = readings.subscribe(observer);
      };

      const wait = (): void => {
        const base = delay(++waits, last, scheduler.now());
        last = undefined;
        const due = hint === undefined ? base : Math.max(base, Math.min(hint, maxRetryAfterMs));
        hint = undefined;
        timer = scheduler.schedule(ask, due);
      };

      const observer: Observer<TaskReading<R>> = {
        next(reading) {
          errors = 0;
          // A malformed reading is the engine's to report; here it only must not throw.
          last = reading;
          hint = hintOf(reading?.retryAfterMs);
          terminal = isTerminalStatus(reading?.runStatus);
          subscriber.next(reading);
        },
        error(error: unknown) {
          let retry: boolean;
          try {
            retry = isRetryable(error) && ++errors <= maxConsecutiveErrors;
          } catch (predicateError) {
            subscriber.error(predicateError);
            return;
          }
          if (!retry) {
            subscriber.error(error);
            return;
          }
          hint = hintOf((error as { retryAfterMs?: unknown } | null)?.retryAfterMs);
          wait();
        },
        complete() {
          if (terminal) subscriber.complete();
          else wait();
        },
      };

      let deadline: Subscription | undefined;
      if (maxWaitMs !== Infinity) {
        const startedAt = scheduler.now();
        deadline = scheduler.schedule(() => {
          // The engine adds the last snapshot, which a strategy never sees.
          subscriber.error(new TaskTimeoutError(maxWaitMs, scheduler.now() - startedAt));
        }, maxWaitMs);
      }

      if (firstPollDelayMs > 0) timer = scheduler.schedule(ask, firstPollDelayMs);
      else ask();

      return () => {
        request?.unsubscribe();
        timer?.unsubscribe();
        deadline?.unsubscribe();
      };
    });
}
