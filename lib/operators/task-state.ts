import { Observable, type OperatorFunction } from 'rxjs';
import type { TaskEvent } from '../events.js';
import type { TaskSnapshot } from '../snapshot.js';
import { failedOutcome, type OutcomeFailed, type OutcomeSucceeded } from '../core/outcome.js';

/**
 * The task is still going: no reading yet (`snapshot` undefined), or the latest non-terminal one. `ok`,
 * `result` and `error` are never set: they are here so that they can be read on any {@link TaskState}.
 */
export interface TaskActiveState {
  readonly state: 'active';
  readonly snapshot?: TaskSnapshot;
  readonly ok?: undefined;
  readonly result?: undefined;
  readonly error?: undefined;
}

/** The task succeeded with `result`: the wait's {@link Outcome}, tagged `state: 'succeeded'`. */
export type TaskSucceededState<R> = OutcomeSucceeded<R> & { readonly state: 'succeeded' };

/**
 * The wait ended with `error` (a task failure, a cancel, a timeout, a transport error...): the wait's
 * {@link Outcome}, tagged `state: 'failed'`. Its `snapshot` is the one of the reading that ended the wait (a
 * failure, a cancel), else the last one seen, if any.
 */
export type TaskFailedState = OutcomeFailed & { readonly state: 'failed' };

/**
 * Where a task stands, as a value: what {@link taskState} emits. Switch on `state` (`active`, `succeeded`,
 * `failed`); once it ended, it is the wait's {@link Outcome}, so narrowing on `ok` works too.
 */
export type TaskState<R> = TaskActiveState | TaskSucceededState<R> | TaskFailedState;

/**
 * Turns the event stream into a stream of {@link TaskState} values that never errors: it starts with
 * `{ state: 'active' }` at once (so `toSignal(..., { requireSync: true })` works), follows each progress
 * event, ends with `succeeded` or `failed` (the wait's {@link Outcome} with its `state`), then completes.
 * Made for UI state such as Angular signals, where an errored stream would throw on every read.
 *
 * @example
 * const state = toSignal(pollTask$(source).pipe(taskState()), { requireSync: true });
 * // template: @switch (state().state) { @case ('failed') { {{ describe(state().error) }} } ... }
 */
export function taskState<R>(): OperatorFunction<TaskEvent<R>, TaskState<R>> {
  return (source) =>
    new Observable<TaskState<R>>((subscriber) => {
      let last: TaskSnapshot | undefined;
      subscriber.next({ state: 'active' });
      return source.subscribe({
        next(event) {
          last = event.snapshot;
          subscriber.next(
            event.type === 'result'
              ? { state: 'succeeded', ok: true, result: event.result, snapshot: event.snapshot }
              : { state: 'active', snapshot: event.snapshot },
          );
        },
        error(error: unknown) {
          // A task failure or cancel carries the snapshot of the reading that ended it, newer than `last`; a
          // timeout, the last one it saw, which is at least as new as `last`.
          subscriber.next({ state: 'failed', ...failedOutcome(error, last) });
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
    });
}
