import { Observable, type OperatorFunction } from 'rxjs';
import { PollingStoppedError } from '../errors.js';
import type { TaskEvent } from '../events.js';
import type { TaskSnapshot } from '../snapshot.js';

/**
 * Keeps only the result: emits the `result` event's value, then completes; progress events are dropped and
 * errors pass through. A stream that completes without a result (cut short by `take`, say) errors with
 * {@link PollingStoppedError} rather than completing empty.
 *
 * @example
 * const report = await firstValueFrom(pollTask$(source).pipe(toResult()));
 */
export function toResult<R>(): OperatorFunction<TaskEvent<R>, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let last: TaskSnapshot | undefined;
      let done = false;
      return source.subscribe({
        next(event) {
          if (done) return;
          last = event.snapshot;
          if (event.type === 'result') {
            done = true;
            subscriber.next(event.result);
            subscriber.complete();
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          if (!done) subscriber.error(new PollingStoppedError(last));
        },
      });
    });
}
