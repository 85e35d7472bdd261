import { Observable, type Observer, type SchedulerAction, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import { TaskTimeoutError, withDecision } from '../errors.js';
import { show } from '../util/options.js';
import { isTerminalStatus, type TaskReading } from '../snapshot.js';
import { scheduleAfter } from './clock.js';
import { enterClock, leaveClock, timeLeft } from './wait-scope.js';
import { planned, type DelayFunction, type PlannedStrategy, type PollPlan } from './plan.js';

// The one loop behind every strategy that has a plan: run by the engine on a source's reads, or by the
// strategy itself, applied as an operator, on a stream of one reading. Everything a wait does between two
// readings is here: the delay, the server's hint, retries, the time limit, the last poll before a deadline,
// and the pause.

function hintOf(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value !== Infinity ? value : undefined;
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

/** Observes the plan's `pausedWhile` for the whole loop. */
class PauseObserver<R> implements Partial<Observer<boolean>> {
  constructor(private readonly loop: Loop<R>) {}
  next(paused: boolean): void {
    this.loop.pauseChanged(paused);
  }
  error(error: unknown): void {
    this.loop.pauseFailed(error);
  }
  // No complete(): the last word stands.
}

function askAgain(this: SchedulerAction<Loop<unknown>>, loop?: Loop<unknown>): void {
  loop!.timerFired();
}

function deadlinePassed(this: SchedulerAction<Loop<unknown>>, loop?: Loop<unknown>): void {
  loop!.deadlinePassed();
}

/**
 * The loop of a {@link PollPlan}: read, wait `delay(n, reading)` (n = 1, 2, … counts the waits, after readings
 * and errors alike), read again, until a terminal reading. A server hint stretches the wait to
 * `max(delay(n), min(hint, maxRetryAfterMs))`. Retryable errors are retried on the same schedule while the
 * consecutive error count stays within the limit. With `maxWaitMs`, a deadline timer ends the loop with a
 * TaskTimeoutError. While `pausedWhile` last said true, a request that falls due waits, and goes out when it
 * says false.
 *
 * One object per running loop holds all of its state (no closures), because apps keep thousands of loops
 * waiting at once. Subclasses say where requests come from and where readings and the end go: the engine's
 * (on the source) and the strategy's own as an operator (over the one-reading stream).
 */
export abstract class Loop<R> implements Unsubscribable {
  /** Observes the requests that are Observables, one at a time. */
  protected readonly observer: Observer<TaskReading<R>> = new RequestObserver<R>(this);
  private readonly delay: DelayFunction;
  private waits: number;
  private errors = 0;
  private last: TaskReading<R> | undefined = undefined;
  private hint: number | undefined = undefined;
  private terminal = false;
  private stopped = false;
  /** A request was sent and has not failed nor completed yet: what a request sends after that is ignored. */
  private requesting = false;
  private request: Unsubscribable | undefined = undefined;
  private timer: Subscription | undefined = undefined;
  private deadline: Subscription | undefined = undefined;
  private pause: Subscription | undefined = undefined;
  private paused = false;
  /** A request fell due while paused. */
  private held = false;
  private startedAt = 0;
  /**
   * By the loop's clock, the latest time a poll may start: the end of the wait (its `maxWaitMs`, or a
   * timeoutAfter around it) less a margin for the answer to come back; Infinity without an end.
   */
  private lastPollAt = Infinity;

  constructor(protected readonly plan: PollPlan) {
    this.delay = plan.schedule.delays();
    this.waits = plan.startAtWait - 1;
  }

  /**
   * Sends one status request, whose reading, error and completion come back through {@link reading},
   * {@link requestFailed} and {@link answered}; answers what stops it while it runs. May throw (the throw
   * counts as a failed request). Called with the wait's clock in scope (see wait-scope).
   */
  protected abstract send(): Unsubscribable;
  /** A reading arrived. */
  protected abstract deliver(reading: TaskReading<R>): void;
  /** The loop ended with `error` (not retried, or a time limit). */
  protected abstract fail(error: unknown): void;
  /** The request that brought a terminal reading completed: the loop is over. */
  protected abstract finish(): void;

  /**
   * Starts the loop: the first request now, or after `firstPollDelayMs`. The wait ends at `maxWaitMs`, or
   * earlier when a timeoutAfter is subscribing the loop's stream now (see wait-scope).
   */
  start(): void {
    const { firstPollDelayMs, maxWaitMs, scheduler, pausedWhile } = this.plan;
    const left = Math.min(maxWaitMs, timeLeft());
    if (left !== Infinity) {
      this.startedAt = scheduler.now();
      // The margin lets the last answer come back before the end: a twentieth of the time left, at most 1 s.
      this.lastPollAt = this.startedAt + left - Math.min(1000, left / 20);
    }
    if (maxWaitMs !== Infinity) this.deadline = scheduleAfter(scheduler, deadlinePassed, maxWaitMs, this as Loop<unknown>);
    if (pausedWhile !== undefined) {
      const pause = pausedWhile.subscribe(new PauseObserver(this));
      if (this.stopped) pause.unsubscribe();
      else this.pause = pause;
    }
    if (this.stopped) return;
    if (firstPollDelayMs > 0) this.timer = scheduleAfter(scheduler, askAgain, this.lastChance(firstPollDelayMs, 0), this as Loop<unknown>);
    else this.ask();
  }

  /** Stops everything: the request in flight, the timers, the pause. Nothing is delivered afterwards. */
  unsubscribe(): void {
    this.stopped = true;
    this.request?.unsubscribe();
    this.timer?.unsubscribe();
    this.deadline?.unsubscribe();
    this.pause?.unsubscribe();
    this.request = this.timer = this.deadline = this.pause = undefined;
  }

  /** The scheduler's call when a wait is over. */
  timerFired(): void {
    this.timer = undefined;
    this.ask();
  }

  /** The scheduler's call when `maxWaitMs` has passed. */
  deadlinePassed(): void {
    const { maxWaitMs, scheduler } = this.plan;
    this.deadline = undefined;
    // The engine adds the last snapshot, which a strategy never sees.
    this.end(new TaskTimeoutError(maxWaitMs, scheduler.now() - this.startedAt));
  }

  /** `pausedWhile` said `paused`: a request held while paused goes out now. */
  pauseChanged(paused: boolean): void {
    this.paused = paused === true;
    if (this.paused || !this.held) return;
    this.held = false;
    this.ask();
  }

  /** `pausedWhile` failed: the wait cannot know when it may ask, so it ends with that error. */
  pauseFailed(error: unknown): void {
    if (!this.stopped) this.end(error);
  }

  /** A reading from the request in flight. */
  reading(reading: TaskReading<R>): void {
    if (this.stopped || !this.requesting) return;
    this.errors = 0;
    // A malformed reading is the engine's to report; here it only must not throw.
    this.last = reading;
    this.hint = hintOf(reading?.retryAfterMs);
    this.terminal = isTerminalStatus(reading?.runStatus);
    this.deliver(reading);
  }

  /** The request in flight failed: retry it on the schedule, or end the loop. */
  requestFailed(error: unknown): void {
    if (this.stopped || !this.requesting) return;
    this.requesting = false;
    const { isRetryable, maxConsecutiveErrors } = this.plan;
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
      let decided: unknown;
      try {
        decided = withDecision(error, { attempts: n, text: `Gave up after ${n} failed ${n === 1 ? 'request' : 'requests in a row'} (maxConsecutiveErrors: ${maxConsecutiveErrors}).` });
      } catch {
        // An error that cannot be copied (a hostile one) ends the wait as it is.
        decided = error;
      }
      this.end(decided);
      return;
    }
    this.hint = hintOf((error as { retryAfterMs?: unknown } | null)?.retryAfterMs);
    this.wait();
  }

  /** The request in flight completed. */
  answered(): void {
    if (this.stopped || !this.requesting) return;
    this.requesting = false;
    if (this.terminal) {
      this.unsubscribe();
      this.finish();
    } else {
      this.wait();
    }
  }

  private ask(): void {
    if (this.stopped) return;
    if (this.paused) {
      this.held = true;
      return;
    }
    this.requesting = true;
    // The request learns the wait's clock while it starts (see wait-scope).
    const outer = enterClock(this.plan.scheduler);
    let request: Unsubscribable;
    try {
      request = this.send();
    } catch (error) {
      leaveClock(outer);
      this.requestFailed(error);
      return;
    }
    leaveClock(outer);
    // The request may have ended (or failed, and the loop moved on), or the loop been stopped, while it was
    // starting: then it is stopped, whatever it still means to send.
    if (this.stopped || !this.requesting) request.unsubscribe();
    else if (!(request as Partial<Subscription>).closed) this.request = request;
  }

  private wait(): void {
    if (this.stopped) return;
    const { maxRetryAfterMs, scheduler, schedule } = this.plan;
    // A request that failed while still running (it sent a second reading) is stopped: requests never overlap.
    const running = this.request;
    this.request = undefined;
    running?.unsubscribe();
    let base: number;
    try {
      base = this.delay(++this.waits, this.last, scheduler);
    } catch (error) {
      this.end(error);
      return;
    }
    if (!(typeof base === 'number' && base >= 0 && base !== Infinity)) {
      this.end(new TypeError(`The "${String(schedule.kind)}" schedule's delay number ${this.waits} was ${show(base)}; a delay must be a finite number of milliseconds, 0 or more.`));
      return;
    }
    this.last = undefined;
    const { hint } = this;
    const asked = hint === undefined ? 0 : Math.min(hint, maxRetryAfterMs);
    const due = this.lastChance(Math.max(base, asked), asked);
    this.hint = undefined;
    this.timer = scheduleAfter(scheduler, askAgain, due, this as Loop<unknown>);
  }

  /**
   * `due`, or when a poll after `due` would come later than `margin` before the end of the wait (inside the
   * margin, or at or past the end), the delay to one last poll `margin` before the end: the time granted is
   * used rather than slept through, and the last answer has the margin to come back. Never shorter than
   * `asked`, a server's Retry-After, and never a poll in the past.
   */
  private lastChance(due: number, asked: number): number {
    if (this.lastPollAt === Infinity) return due;
    const now = this.plan.scheduler.now();
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

/** The loop of a strategy applied as an operator: requests are subscriptions to the one-reading stream it was given. */
class OperatorLoop<R> extends Loop<R> {
  constructor(
    plan: PollPlan,
    private readonly readings: Observable<TaskReading<R>>,
    private readonly subscriber: Subscriber<TaskReading<R>>,
  ) {
    super(plan);
  }
  protected send(): Unsubscribable {
    return this.readings.subscribe(this.observer);
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
 * The strategy of `plan`: an operator that runs the plan's {@link Loop} over the one-reading stream, one loop
 * per subscription, and carries the plan as its `plan` member, so the engine runs the same loop on the source
 * directly. State lives in the subscription, never in the strategy: the schedule's `delays()` is called once
 * per subscription.
 */
export function strategyOf(plan: PollPlan): PlannedStrategy {
  return planned(
    <R>(readings: Observable<TaskReading<R>>) =>
      new Observable<TaskReading<R>>((subscriber) => {
        const loop = new OperatorLoop(plan, readings, subscriber);
        loop.start();
        return loop;
      }),
    plan,
  );
}
