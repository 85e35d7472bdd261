import type { Observable } from 'rxjs';
import type { TaskSnapshot } from './snapshot.js';

/**
 * A task as subscribers can act on it: its id, and a way to ask its service to cancel it.
 *
 * @example
 * pollTask$(source).subscribe((event) => {
 *   cancelButton.disabled = !event.task.cancelable;
 *   cancelButton.onclick = () => event.task.cancel().subscribe();
 * });
 */
export interface TaskHandle {
  /** The id of the task's source. */
  readonly id: string;
  /** Whether the source can cancel the task on its service. When false, `cancel()` errors with {@link CancelUnsupportedError}. */
  readonly cancelable: boolean;
  /**
   * A cold Observable that asks the service to cancel the task when subscribed, then completes. It does not
   * stop the local wait: the stream goes on until the service reports `canceled` (a {@link TaskCanceledError}).
   */
  cancel(): Observable<void>;
}

/** A non-terminal reading arrived: the task is pending, running, suspended or canceling. */
export interface TaskProgressEvent {
  readonly type: 'progress';
  /** The task as of this reading. */
  readonly snapshot: TaskSnapshot;
  /** The task, to cancel it. */
  readonly task: TaskHandle;
}

/** The task succeeded: the last event of the stream, which then completes. */
export interface TaskResultEvent<R> {
  readonly type: 'result';
  /** The task as of its `succeeded` reading. */
  readonly snapshot: TaskSnapshot;
  /** The task's result: inline in the reading, or fetched by the source's `result()`. */
  readonly result: R;
  /** The task. */
  readonly task: TaskHandle;
}

/**
 * What {@link pollTask$} emits: one `progress` event per non-terminal reading, then one `result` event.
 * Failures are errors, not events (see the errors page).
 */
export type TaskEvent<R> = TaskProgressEvent | TaskResultEvent<R>;
