import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import { strategyOf } from '../core/loop.js';
import { checkPlanConfig, type PlannedStrategy, type PollPlanConfig } from '../core/plan.js';
import type { TaskReading } from '../snapshot.js';

/**
 * How to wait: an operator applied to the one-reading stream of a task (an Observable that sends one status
 * request, emits its reading and completes). It decides when to ask again (`repeat` with a delay), which
 * errors to retry, and when to give up. {@link withBackoff}, {@link withInterval}, {@link withEta} and
 * {@link pollStrategy} build strategies that carry their {@link PollPlan} (see {@link PlannedStrategy}), which the
 * engine runs as one loop on the source. Any RxJS operator of this shape works too: the escape hatch for
 * waiting the plans cannot express, run over the one-reading stream.
 *
 * `PollStrategy` without a type argument fits a source of any result type (the engine takes `R` from the
 * source, never from the strategy).
 *
 * A strategy is applied once per subscription, so any state it keeps must live inside the Observable it
 * returns (built with `defer` or `new Observable`), never in the closure that built the strategy.
 *
 * @example
 * // Ask every 5 s, at most 10 times: pollTask$ errors with PollingStoppedError if the task is not done by then.
 * const tenTimes: PollStrategy = (reading$) => reading$.pipe(repeat({ count: 10, delay: 5000 }));
 */
// `any`, not `unknown`, as the default: an operator over TaskReading<unknown> could not be given to a source of
// TaskReading<Report>, and strategies never look at the result.
export type PollStrategy<R = any> = MonoTypeOperatorFunction<TaskReading<R>>;

/**
 * A {@link PollStrategy} that works for every result type, as {@link withBackoff} and {@link withInterval}
 * return: assignable to `PollStrategy<R>` for any `R`.
 */
export type AnyPollStrategy = <R>(readings: Observable<TaskReading<R>>) => Observable<TaskReading<R>>;

/**
 * The strategy of a plan: how to derive a strategy from another one's {@link PollPlan}, with changes, or to
 * write one from a schedule of your own. The plan is checked as the strategies check their options (a
 * TypeError names what is wrong), and the schedule is asked for its delays once, so a bad field throws here.
 *
 * @throws TypeError naming the option, for an unknown option, a value out of range, or no schedule.
 *
 * @example
 * // The service's default waiting, with a limit of one minute.
 * const strategy = pollStrategy({ ...withBackoff().plan, maxWaitMs: 60_000 });
 * // A schedule of your own: 1 s, 2 s, 3 s, … up to 10 s.
 * const linear = pollStrategy({ schedule: { kind: 'linear', delays: () => (wait) => Math.min(10_000, 1000 * wait) } });
 */
export function pollStrategy(plan: PollPlanConfig): PlannedStrategy {
  return strategyOf(checkPlanConfig('pollStrategy', plan));
}
