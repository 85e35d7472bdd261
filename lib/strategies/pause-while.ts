import { Observable, type Subscription } from 'rxjs';
import type { TaskReading } from '../snapshot.js';
import type { AnyPollStrategy, PollStrategy } from './poll-strategy.js';

/**
 * Holds the requests of `strategy` while `paused$` says `true`: a request that falls due while paused waits,
 * and goes out at once when `paused$` says `false` again. Nothing is requested while paused, and nothing is
 * lost: the wait simply continues. Pair it with {@link documentHidden$} to stop polling while the page is hidden.
 *
 * `paused$` is subscribed for each request and should tell its current value on subscribe (a
 * `BehaviorSubject`, or a stream with `startWith`); until it has said anything, requests go out.
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
  return <R>(readings: Observable<TaskReading<R>>) => (strategy as PollStrategy<R>)(held(readings, paused$));
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
        paused = value;
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
