import { combineLatest, distinctUntilChanged, map, Observable, startWith, type Subscription } from 'rxjs';
import { strategyOf } from '../core/loop.js';
import { planOf, planOfStrategy } from '../core/plan.js';
import type { TaskReading } from '../snapshot.js';
import type { AnyPollStrategy, PollStrategy } from './poll-strategy.js';

/**
 * Holds the requests of `strategy` while `paused$` says `true`: a request that falls due while paused waits,
 * and goes out at once when `paused$` says `false` again. Nothing is requested while paused, and nothing is
 * lost: the wait simply continues. Pair it with {@link documentHidden$} to stop polling while the page is hidden.
 *
 * `paused$` should tell its current value on subscribe (a `BehaviorSubject`, or a stream with `startWith`);
 * until it has said anything, requests go out. Only `true` pauses. Its last word stands: a `paused$` that
 * says `true` and completes holds the requests for good. If it errors, the wait ends with that error.
 *
 * A strategy with a plan (withBackoff, withInterval, withEta, pollStrategy) stays one loop: the result is
 * that strategy with `pausedWhile` in its plan (both pauses hold when wrapped twice), and `paused$` is
 * subscribed once for the whole wait. Any other strategy gets a one-reading stream that waits to send its
 * request, subscribing `paused$` for each request.
 *
 * @param paused$ - `true` to hold requests, `false` to let them go.
 * @param strategy - the waiting to pause, e.g. `withBackoff()`.
 * @throws TypeError when `paused$` is not an Observable or `strategy` not a function.
 *
 * @example
 * pollTask$(source, pauseWhile(documentHidden$(), withBackoff()))
 */
export function pauseWhile(paused$: Observable<boolean>, strategy: PollStrategy): AnyPollStrategy {
  if (typeof (paused$ as Partial<Observable<boolean>> | null)?.subscribe !== 'function') {
    throw new TypeError('pauseWhile: paused$ must be an Observable of booleans, e.g. documentHidden$().');
  }
  if (typeof strategy !== 'function') {
    throw new TypeError('pauseWhile: give the strategy to pause as the second argument, e.g. pauseWhile(documentHidden$(), withBackoff()).');
  }
  const plan = planOfStrategy(strategy);
  if (plan !== undefined) {
    const pausedWhile = plan.pausedWhile === undefined ? paused$ : eitherPaused(plan.pausedWhile, paused$);
    return strategyOf(planOf('pauseWhile', { ...plan, pausedWhile }, plan.schedule));
  }
  return <R>(readings: Observable<TaskReading<R>>) => (strategy as PollStrategy<R>)(held(readings, paused$));
}

/** True while either says true (one that has said nothing counts as false). */
function eitherPaused(first: Observable<boolean>, second: Observable<boolean>): Observable<boolean> {
  return combineLatest([first.pipe(startWith(false)), second.pipe(startWith(false))]).pipe(
    map(([a, b]) => a === true || b === true),
    distinctUntilChanged(),
  );
}

/** `readings`, subscribed only once `paused$` last said false (or said nothing). */
function held<R>(readings: Observable<TaskReading<R>>, paused$: Observable<boolean>): Observable<TaskReading<R>> {
  return new Observable<TaskReading<R>>((subscriber) => {
    let request: Subscription | undefined;
    let paused = false;
    const go = (): void => {
      request ??= readings.subscribe(subscriber);
    };
    const watch = paused$.subscribe({
      next(value) {
        paused = value === true;
        if (!paused && request === undefined) go();
      },
      error: (error: unknown) => subscriber.error(error),
    });
    if (!paused) go();
    return () => {
      watch.unsubscribe();
      request?.unsubscribe();
    };
  });
}
