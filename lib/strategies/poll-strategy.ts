import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { TaskReading } from '../snapshot.js';

/**
 * How to wait: an operator applied to the one-reading stream of a task (an Observable that sends one status
 * request, emits its reading and completes). It decides when to ask again (`repeat` with a delay), which
 * errors to retry, and when to give up. {@link withBackoff} and {@link withInterval} build the usual ones;
 * any RxJS operator of this shape works.
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
