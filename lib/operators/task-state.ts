import { Observable, type OperatorFunction } from 'rxjs';
import type { TaskEvent } from '../events.js';
import type { TaskSnapshot } from '../snapshot.js';

/** The task is still going: no reading yet (`snapshot` undefined), or the latest non-terminal one. */
export interface TaskActiveState {
  readonly state: 'active';
  readonly snapshot?: TaskSnapshot;
}

/** The task succeeded with `result`. */
export interface TaskSucceededState<R> {
  readonly state: 'succeeded';
  readonly result: R;
  readonly snapshot: TaskSnapshot;
}

/** The wait ended with `error` (a task failure, a cancel, a timeout, a transport error...). */
export interface TaskFailedState {
  readonly state: 'failed';
  readonly error: unknown;
  /** The snapshot of the reading that ended the wait (a failure, a cancel), else the last one seen, if any. */
  readonly snapshot?: TaskSnapshot;
}

/** Where a task stands, as a value: what {@link taskState} emits. Switch on `state`. */
export type TaskState<R> = TaskActiveState | TaskSucceededState<R> | TaskFailedState;

/**
 * Turns the event stream into a stream of {@link TaskState} values that never errors: it starts with
 * `{ state: 'active' }` at once (so `toSignal(..., { requireSync: true })` works), follows each progress
 * event, ends with `succeeded` or `failed`, then completes. Made for UI state such as Angular signals, where
 * an errored stream would throw on every read.
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
              ? { state: 'succeeded', result: event.result, snapshot: event.snapshot }
              : { state: 'active', snapshot: event.snapshot },
          );
        },
        error(error: unknown) {
          // A task failure or cancel carries the snapshot of the reading that ended it: newer than `last`.
          const ending = (error as { snapshot?: TaskSnapshot } | null)?.snapshot;
          const snapshot = typeof ending === 'object' && ending !== null ? ending : last;
          subscriber.next(snapshot === undefined ? { state: 'failed', error } : { state: 'failed', error, snapshot });
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
    });
}
