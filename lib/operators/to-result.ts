import { Observable, type Observer, type OperatorFunction, type Subscriber } from 'rxjs';
import { PollingStoppedError } from '../errors.js';
import type { TaskEvent } from '../events.js';
import { TaskStream } from '../core/poll-task.js';
import type { TaskSnapshot } from '../snapshot.js';

/**
 * Keeps only the result: emits the `result` event's value, then completes; progress events are dropped and
 * errors pass through. A stream that completes without a result (cut short by `take`, say) errors with
 * {@link PollingStoppedError} rather than completing empty.
 *
 * Placed directly on {@link pollTask$}'s {@link TaskStream} (or on its `cancelOnUnsubscribe()` variant), it
 * returns the stream's `results()`: no progress events are built and no subscription sits in between. The
 * outcome is the same.
 *
 * @example
 * const report = await firstValueFrom(pollTask$(source).pipe(toResult()));
 */
export function toResult<R>(): OperatorFunction<TaskEvent<R>, R> {
  return (source) =>
    source instanceof TaskStream ? (source as TaskStream<R>).results() : new Observable<R>((subscriber) => source.subscribe(new ResultOnly(subscriber)));
}

/** toResult's observer: prototype methods, so a subscription costs one small object and no closures. */
class ResultOnly<R> implements Observer<TaskEvent<R>> {
  private last: TaskSnapshot | undefined = undefined;
  private done = false;
  constructor(private readonly subscriber: Subscriber<R>) {}
  next(event: TaskEvent<R>): void {
    if (this.done) return;
    this.last = event.snapshot;
    if (event.type === 'result') {
      this.done = true;
      this.subscriber.next(event.result);
      this.subscriber.complete();
    }
  }
  error(error: unknown): void {
    this.subscriber.error(error);
  }
  complete(): void {
    if (!this.done) this.subscriber.error(new PollingStoppedError(this.last));
  }
}
