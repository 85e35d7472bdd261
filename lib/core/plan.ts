import type { Observable, SchedulerLike } from 'rxjs';
import { isPollTaskError, type TransportError } from '../errors.js';
import type { TaskReading } from '../snapshot.js';
import type { AnyPollStrategy } from '../strategies/poll-strategy.js';
import { checkFunction, checkNumber, checkOptions, checkScheduler, optionNamesOf, show } from '../util/options.js';
import { defaultScheduler } from './clock.js';

// What a strategy is, as a value: its schedule, its retry rules, its limits. withBackoff, withInterval and
// withEta build one; pollStrategy turns one (changed or not) back into a strategy; the loop runs it.

/** The options every loop strategy shares: retries, server hints, the first delay, the limit and the clock. */
export interface LoopOptions {
  /**
   * Delay before the first status request, in milliseconds. Some services ask clients to wait before the
   * first poll.
   * @default 0
   */
  readonly firstPollDelayMs?: number;
  /**
   * How many failed requests in a row are retried (on the same schedule); the next failure ends the wait,
   * as a copy of that error with `attempts` set and the decision said at the end of its message (see
   * {@link withDecision}). `0` raises the first error. The count starts again after every good reading.
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
   * The clock of the wait: it times the delays, `maxWaitMs` and the snapshots' `elapsedMs`.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * A strategy's delay function for one wait: `wait` counts the waits (1-based, after readings and errors
 * alike), `reading` is the reading the wait follows (undefined after an error), `scheduler` the wait's clock.
 * Answers the delay in milliseconds.
 */
export type DelayFunction = (wait: number, reading: TaskReading<unknown> | undefined, scheduler: SchedulerLike) => number;

/**
 * When to ask again, as data plus the one function that turns the data into delays. The built-in schedules
 * are {@link BackoffSchedule}, {@link IntervalSchedule} and {@link EtaSchedule}; any object with a `kind` and a
 * `delays()` is a schedule too.
 */
export interface PollSchedule {
  /** What kind of schedule this is, for people and tools: `'backoff'`, `'interval'`, `'eta'`, or your own. */
  readonly kind: string;
  /**
   * Makes the delay function of one wait from this schedule's fields (read through `this`, so a copy with a
   * changed field delays by the copy). Called once per subscription: the function may keep what it learns
   * from the readings. Throws a TypeError naming a field that is out of range.
   */
  delays(): DelayFunction;
}

/**
 * What a strategy made by {@link withBackoff}, {@link withInterval}, {@link withEta} or {@link pollStrategy} is,
 * every default filled in: a plain, frozen value to read, or to copy with changes and give to
 * {@link pollStrategy}.
 *
 * @example
 * // The service's default waiting, with a limit of one minute.
 * const plan = withBackoff().plan;
 * pollTask$(source, pollStrategy({ ...plan, maxWaitMs: 60_000 }))
 */
export interface PollPlan {
  /** When to ask again. */
  readonly schedule: PollSchedule;
  /** See {@link LoopOptions.firstPollDelayMs}. */
  readonly firstPollDelayMs: number;
  /** See {@link LoopOptions.maxConsecutiveErrors}. */
  readonly maxConsecutiveErrors: number;
  /** See {@link LoopOptions.isRetryable}. */
  readonly isRetryable: (error: unknown) => boolean;
  /** See {@link LoopOptions.maxRetryAfterMs}. */
  readonly maxRetryAfterMs: number;
  /** See {@link LoopOptions.maxWaitMs}. */
  readonly maxWaitMs: number;
  /** See {@link LoopOptions.startAtWait}. */
  readonly startAtWait: number;
  /** See {@link LoopOptions.scheduler}. */
  readonly scheduler: SchedulerLike;
  /** While it last said `true`, requests that fall due wait (see {@link pauseWhile}); undefined: never paused. */
  readonly pausedWhile: Observable<boolean> | undefined;
}

/** What {@link pollStrategy} takes: a schedule, and any of the loop options. */
export interface PollPlanConfig extends LoopOptions {
  /** When to ask again. */
  readonly schedule: PollSchedule;
  /** See {@link PollPlan.pausedWhile}. */
  readonly pausedWhile?: Observable<boolean> | undefined;
}

/**
 * A strategy that carries its plan: an operator over the one-reading stream like any {@link PollStrategy}
 * (so it composes with `pipe` and works for every result type), whose `plan` says what it does. The engine
 * runs the plan's loop on the source directly; applied as an operator, the same loop runs over the stream.
 */
export interface PlannedStrategy extends AnyPollStrategy {
  /** What this strategy does, every default filled in. */
  readonly plan: PollPlan;
}

/** The longest a Retry-After hint stretches a wait unless told otherwise (`maxRetryAfterMs`), in milliseconds. */
export const defaultMaxRetryAfterMs = 300_000;

/** Every option of {@link LoopOptions}: a record, so that the type checker finds a name missing or stale. */
export const loopOptionRecord = {
  firstPollDelayMs: true,
  maxConsecutiveErrors: true,
  isRetryable: true,
  maxRetryAfterMs: true,
  maxWaitMs: true,
  startAtWait: true,
  scheduler: true,
} as const satisfies Record<keyof LoopOptions, true>;

/** The option names of {@link LoopOptions}, for unknown-option checks. */
export const loopOptionNames = optionNamesOf<LoopOptions>()(loopOptionRecord);

const planOptionNames = optionNamesOf<PollPlanConfig>()({ ...loopOptionRecord, schedule: true, pausedWhile: true });

/** The default retry test: a retryable {@link TransportError}, from any copy of the library. */
function isRetryableTransportError(error: unknown): boolean {
  return isPollTaskError(error) && error.kind === 'transport' && (error as TransportError).retryable === true;
}

/** The plan of `options` (checked, defaults filled in; `pausedWhile` is taken as it is) with `schedule`; throws a TypeError naming a bad option of `fn`. */
export function planOf(fn: string, options: LoopOptions & { readonly pausedWhile?: Observable<boolean> | undefined }, schedule: PollSchedule): PollPlan {
  const { pausedWhile } = options;
  const plan: PollPlan = Object.freeze({
    schedule,
    firstPollDelayMs: checkNumber(fn, 'firstPollDelayMs', options.firstPollDelayMs, 0),
    maxConsecutiveErrors: checkNumber(fn, 'maxConsecutiveErrors', options.maxConsecutiveErrors, 5, { integer: true, allowInfinity: true }),
    isRetryable: checkFunction(fn, 'isRetryable', options.isRetryable, isRetryableTransportError),
    maxRetryAfterMs: checkNumber(fn, 'maxRetryAfterMs', options.maxRetryAfterMs, defaultMaxRetryAfterMs, { allowInfinity: true }),
    maxWaitMs: checkNumber(fn, 'maxWaitMs', options.maxWaitMs, Infinity, { allowInfinity: true }),
    startAtWait: checkNumber(fn, 'startAtWait', options.startAtWait, 1, { min: 1, integer: true }),
    scheduler: checkScheduler(fn, options.scheduler, defaultScheduler),
    pausedWhile,
  });
  checkedPlans.add(plan);
  return plan;
}

// The plans made here, checked already. A plan from elsewhere (another copy of the library, or a hand-made
// object) is checked when a strategy carrying it is used.
const checkedPlans = new WeakSet<PollPlan>();

/**
 * The plan a strategy carries (see {@link PlannedStrategy}), checked, or undefined for a plain operator. A
 * function that carries a `plan` is run by its plan alone; a plan made elsewhere (another copy of the
 * library) has its fields checked as the strategies check their options, throwing a TypeError for a bad one.
 */
export function planOfStrategy(strategy: unknown): PollPlan | undefined {
  const plan = typeof strategy === 'function' ? (strategy as Partial<PlannedStrategy>).plan : undefined;
  return plan === undefined || checkedPlans.has(plan) ? plan : checkedPlan("a strategy's plan", plan);
}

/** `config`'s schedule and pausedWhile checked, then the plan of it (see planOf). */
function checkedPlan(fn: string, config: object): PollPlan {
  const { schedule, pausedWhile } = config as Partial<PollPlanConfig>;
  if (typeof schedule !== 'object' || schedule === null || typeof schedule.delays !== 'function' || typeof schedule.kind !== 'string') {
    throw new TypeError(`${fn}: option "schedule" must be a schedule (an object with a kind and delays()), e.g. withBackoff().plan.schedule, but was ${show(schedule)}.`);
  }
  if (pausedWhile !== undefined && typeof (pausedWhile as Partial<Observable<boolean>> | null)?.subscribe !== 'function') {
    throw new TypeError(`${fn}: option "pausedWhile" must be an Observable of booleans, but was ${show(pausedWhile)}.`);
  }
  return planOf(fn, config, schedule);
}

/** Attaches `plan` to the operator `run` as its documented `plan` member. */
export function planned(run: AnyPollStrategy, plan: PollPlan): PlannedStrategy {
  // A plain assignment: several times cheaper than defineProperty, and apps may build a strategy per task.
  (run as { plan?: PollPlan }).plan = plan;
  return run as PlannedStrategy;
}

/** Checks a {@link PollPlanConfig} for `fn`: the options, and the schedule (asked for its delays once). */
export function checkPlanConfig(fn: string, config: unknown): PollPlan {
  // Not an object: checkOptions says so; left out: the schedule is missing.
  checkOptions(fn, config, planOptionNames);
  const plan = checkedPlan(fn, config ?? {});
  // Asked once now, so that a schedule copied with a bad field throws here, not at the first subscribe.
  plan.schedule.delays();
  return plan;
}
