import { Observable, Subscription, type Observer, type SchedulerAction, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { TaskTimeoutError, isPollTaskError, withDecision, type TransportError } from '../errors.js';
import { isTerminalStatus, type TaskReading } from '../snapshot.js';
import type { AnyPollStrategy } from '../strategies/poll-strategy.js';
import { defaultScheduler, maxTimerDelay, scheduleAfter } from './clock.js';
import { timeLeft } from './deadline-scope.js';
import { checkFunction, checkNumber, checkScheduler } from '../util/options.js';

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
   * so a service's default waiting can carry its default limit. When the next delay would end past the
   * limit less a margin (a twentieth of the time left when the loop starts, this limit or a surrounding
   * timeoutAfter's, at most a second), the loop asks at that time instead.
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

/** The longest a Retry-After hint stretches a wait unless told otherwise (`maxRetryAfterMs`), in milliseconds. */
export const defaultMaxRetryAfterMs = 300_000;

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
    maxRetryAfterMs: checkNumber(fn, 'maxRetryAfterMs', options.maxRetryAfterMs, defaultMaxRetryAfterMs, { allowInfinity: true }),
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
 * after an error), `scheduler` the loop's clock (read it only when needed: most delays do not).
 */
export type DelayFunction = (wait: number, reading: TaskReading<unknown> | undefined, scheduler: SchedulerLike) => number;

/** A built-in strategy's loop, in a form the engine can run without the operator around it. */
export interface LoopSpec {
  readonly settings: LoopSettings;
  readonly makeDelay: () => DelayFunction;
}

// Module-private on purpose: a strategy from another copy of the library takes the operator path, which
// behaves the same, rather than handing this copy a spec of another version.
const loopKey = Symbol('poll-task.loop');

/** The loop `strategy` runs when it is a built-in loop strategy of this copy of the library. */
export function loopSpecOf(strategy: unknown): LoopSpec | undefined {
  return typeof strategy === 'function' ? ((strategy as unknown as Record<symbol, LoopSpec | undefined>)[loopKey]) : undefined;
}

/**
 * Observes the loop's requests, one at a time, for the whole loop. Plain prototype methods rather than
 * closures (thousands of loops wait at once), and only `this.loop` is read, so it also works when RxJS's
 * `useDeprecatedNextContext` calls the methods on a copy of the object.
 */
class RequestObserver<R> implements Observer<TaskReading<R>> {
  constructor(private readonly loop: Loop<R>) {}
  next(reading: TaskReading<R>): void {
    this.loop.reading(reading);
  }
  error(error: unknown): void {
    this.loop.requestFailed(error);
  }
  complete(): void {
    this.loop.answered();
  }
}

function askAgain(this: SchedulerAction<Loop<unknown>>, loop?: Loop<unknown>): void {
  loop!.timerFired(this);
}

function deadlinePassed(this: SchedulerAction<Loop<unknown>>, loop?: Loop<unknown>): void {
  loop!.deadlinePassed();
}

/**
 * `action` when it is an RxJS action of `scheduler` itself, which may be rescheduled from inside its work.
 * RxJS's actions keep their scheduler in a field of that name (AsyncAction and its kin, VirtualAction).
 */
function ownAction(action: unknown, scheduler: SchedulerLike): SchedulerAction<Loop<unknown>> | undefined {
  return action instanceof Subscription && (action as { scheduler?: unknown }).scheduler === scheduler
    ? (action as SchedulerAction<Loop<unknown>>)
    : undefined;
}

/**
 * The loop behind every built-in strategy: read, wait `delay(n, reading)` (n = 1, 2, … counts the waits, after
 * readings and errors alike), read again, until a terminal reading. A server hint stretches the wait to
 * `max(delay(n), min(hint, maxRetryAfterMs))`. Retryable errors are retried on the same schedule while the
 * consecutive error count stays within the limit. With `maxWaitMs`, a deadline timer ends the loop with a
 * TaskTimeoutError.
 *
 * One object per running loop holds all of its state (no closures), because apps keep thousands of loops
 * waiting at once. Subclasses say where requests come from and where readings and the end go: the
 * {@link pollLoop} operator, and the engine, which runs a built-in strategy's loop directly on the source.
 */
export abstract class Loop<R> implements Unsubscribable {
  private readonly observer = new RequestObserver<R>(this);
  private readonly delay: DelayFunction;
  private waits: number;
  private errors = 0;
  private last: TaskReading<R> | undefined = undefined;
  private hint: number | undefined = undefined;
  private terminal = false;
  private stopped = false;
  private request: Subscription | undefined = undefined;
  private timer: Subscription | undefined = undefined;
  private deadline: Subscription | undefined = undefined;
  private action: SchedulerAction<Loop<unknown>> | undefined = undefined;
  private startedAt = 0;
  /**
   * By the loop's clock, the latest time a poll may start: the end of the wait (its `maxWaitMs`, or a
   * timeoutAfter around it) less a margin for the answer to come back; Infinity without an end.
   */
  private lastPollAt = Infinity;

  constructor(private readonly settings: LoopSettings, makeDelay: () => DelayFunction) {
    this.delay = makeDelay();
    this.waits = settings.startAtWait - 1;
  }

  /** One status request; may throw (the throw counts as a failed request). */
  protected abstract send(): Observable<TaskReading<R>>;
  /** A reading arrived. */
  protected abstract deliver(reading: TaskReading<R>): void;
  /** The loop ended with `error` (not retried, or a time limit). */
  protected abstract fail(error: unknown): void;
  /** The request that brought a terminal reading completed: the loop is over. */
  protected abstract finish(): void;

  /**
   * Starts the loop: the first request now, or after `firstPollDelayMs`. The wait ends at `maxWaitMs`, or
   * earlier when a timeoutAfter is subscribing the loop's stream now (see deadline-scope).
   */
  start(): void {
    const { firstPollDelayMs, maxWaitMs, scheduler } = this.settings;
    const left = Math.min(maxWaitMs, timeLeft());
    if (left !== Infinity) {
      this.startedAt = scheduler.now();
      // The margin lets the last answer come back before the end: a twentieth of the time left, at most 1 s.
      this.lastPollAt = this.startedAt + left - Math.min(1000, left / 20);
    }
    if (maxWaitMs !== Infinity) this.deadline = scheduleAfter(scheduler, deadlinePassed, maxWaitMs, this as Loop<unknown>);
    if (firstPollDelayMs > 0) this.timer = scheduleAfter(scheduler, askAgain, this.lastChance(firstPollDelayMs, 0), this as Loop<unknown>);
    else this.ask();
  }

  /** Stops everything: the request in flight, the timers. Nothing is delivered afterwards. */
  unsubscribe(): void {
    this.stopped = true;
    this.request?.unsubscribe();
    this.timer?.unsubscribe();
    this.deadline?.unsubscribe();
    this.request = this.timer = this.deadline = undefined;
  }

  /** The scheduler's call when a wait is over; `action` is the scheduled action that is running. */
  timerFired(action: SchedulerAction<Loop<unknown>>): void {
    this.timer = undefined;
    // A request answered while the action runs (an in-memory source) has its next wait scheduled on the same
    // action, RxJS's recursive scheduling: with the same delay the timer is kept instead of a new one made.
    // Only an action of the loop's own scheduler: one that wraps another (to watch when polls are due, say)
    // must see every wait, and a hand-made scheduler may call work without an action at all.
    this.action = ownAction(action, this.settings.scheduler);
    try {
      this.ask();
    } finally {
      this.action = undefined;
    }
  }

  /** The scheduler's call when `maxWaitMs` has passed. */
  deadlinePassed(): void {
    const { maxWaitMs, scheduler } = this.settings;
    this.deadline = undefined;
    // The engine adds the last snapshot, which a strategy never sees.
    this.end(new TaskTimeoutError(maxWaitMs, scheduler.now() - this.startedAt));
  }

  /** A reading from the request in flight. */
  reading(reading: TaskReading<R>): void {
    if (this.stopped) return;
    this.errors = 0;
    // A malformed reading is the engine's to report; here it only must not throw.
    this.last = reading;
    this.hint = hintOf(reading?.retryAfterMs);
    this.terminal = isTerminalStatus(reading?.runStatus);
    this.deliver(reading);
  }

  /** The request in flight failed: retry it on the schedule, or end the loop. */
  requestFailed(error: unknown): void {
    if (this.stopped) return;
    const { isRetryable, maxConsecutiveErrors } = this.settings;
    let retryable: boolean;
    try {
      retryable = isRetryable(error);
    } catch (predicateError) {
      this.end(predicateError);
      return;
    }
    if (!retryable) {
      this.end(error);
      return;
    }
    if (++this.errors > maxConsecutiveErrors) {
      // The error states what happened; giving up is this loop's decision, so the loop says it.
      const n = this.errors;
      this.end(withDecision(error, { attempts: n, text: `Gave up after ${n} failed ${n === 1 ? 'request' : 'requests in a row'} (maxConsecutiveErrors: ${maxConsecutiveErrors}).` }));
      return;
    }
    this.hint = hintOf((error as { retryAfterMs?: unknown } | null)?.retryAfterMs);
    this.wait();
  }

  /** The request in flight completed. */
  answered(): void {
    if (this.stopped) return;
    if (this.terminal) {
      this.unsubscribe();
      this.finish();
    } else {
      this.wait();
    }
  }

  private ask(): void {
    if (this.stopped) return;
    let request: Observable<TaskReading<R>>;
    try {
      request = this.send();
    } catch (error) {
      this.requestFailed(error);
      return;
    }
    const subscription = request.subscribe(this.observer);
    // The request may have ended, or the loop been stopped, while it was being subscribed.
    if (this.stopped) subscription.unsubscribe();
    else if (!subscription.closed) this.request = subscription;
  }

  private wait(): void {
    if (this.stopped) return;
    const { maxRetryAfterMs, scheduler } = this.settings;
    const base = this.delay(++this.waits, this.last, scheduler);
    this.last = undefined;
    const { hint } = this;
    const asked = hint === undefined ? 0 : Math.min(hint, maxRetryAfterMs);
    const due = this.lastChance(Math.max(base, asked), asked);
    this.hint = undefined;
    this.request = undefined;
    const { action } = this;
    this.action = undefined;
    this.timer =
      action === undefined || due > maxTimerDelay
        ? scheduleAfter(scheduler, askAgain, due, this as Loop<unknown>)
        : action.schedule(this as Loop<unknown>, due);
  }

  /**
   * `due`, or when a poll after `due` would come later than `margin` before the end of the wait (inside the
   * margin, or at or past the end), the delay to one last poll `margin` before the end: the time granted is
   * used rather than slept through, and the last answer has the margin to come back. Never shorter than
   * `asked`, a server's Retry-After, and never a poll in the past.
   */
  private lastChance(due: number, asked: number): number {
    if (this.lastPollAt === Infinity) return due;
    const now = this.settings.scheduler.now();
    const last = this.lastPollAt - now;
    // A poll inside the margin would leave its answer too little time to come back: it comes at the margin.
    if (due <= last) return due;
    // Already inside the margin: the schedule stands, and the end of the wait cuts it.
    return last > 0 ? Math.max(last, asked) : due;
  }

  private end(error: unknown): void {
    this.unsubscribe();
    this.fail(error);
  }
}

/** The {@link pollLoop} operator's loop: requests are subscriptions to the one-reading stream it was given. */
class OperatorLoop<R> extends Loop<R> {
  constructor(
    settings: LoopSettings,
    makeDelay: () => DelayFunction,
    private readonly readings: Observable<TaskReading<R>>,
    private readonly subscriber: Subscriber<TaskReading<R>>,
  ) {
    super(settings, makeDelay);
  }
  protected send(): Observable<TaskReading<R>> {
    return this.readings;
  }
  protected deliver(reading: TaskReading<R>): void {
    this.subscriber.next(reading);
  }
  protected fail(error: unknown): void {
    this.subscriber.error(error);
  }
  protected finish(): void {
    this.subscriber.complete();
  }
}

/**
 * A built-in strategy as an operator: runs a {@link Loop} over the one-reading stream for each subscription.
 * State lives in the subscription, never in the strategy: `makeDelay` is called once per subscription, so a
 * delay function may keep what it learns from the readings. The strategy also carries its {@link LoopSpec},
 * so the engine can run the same loop on the source directly.
 */
export function pollLoop(settings: LoopSettings, makeDelay: () => DelayFunction): AnyPollStrategy {
  const strategy: AnyPollStrategy = <R>(readings: Observable<TaskReading<R>>) =>
    new Observable<TaskReading<R>>((subscriber) => {
      const loop = new OperatorLoop(settings, makeDelay, readings, subscriber);
      loop.start();
      return loop;
    });
  // A plain assignment (a symbol key is never listed) is several times cheaper than defineProperty, and apps
  // may build a strategy per task.
  (strategy as unknown as Record<symbol, LoopSpec>)[loopKey] = { settings, makeDelay };
  return strategy;
}
