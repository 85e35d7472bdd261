import type { Observable } from 'rxjs';
import type { TaskReading } from './snapshot.js';
import type { PollStrategy } from './strategies/poll-strategy.js';

/**
 * One remote task, as {@link pollTask$} needs it: a way to read its status once, and optionally ways to fetch
 * its result and to cancel it. Build one with {@link taskSource} from functions that return Promises, or
 * implement this interface with Observables directly.
 *
 * Each method returns a cold Observable: subscribing sends the request, unsubscribing aborts it.
 *
 * @typeParam R - the type of the task's result.
 */
export interface TaskSource<R = unknown> {
  /** A stable id for the task (its service's task id or status URL). Used in snapshots, errors and sharing. */
  readonly id: string;
  /** One status request: emits exactly one reading, then completes. Unsubscribing aborts the request. */
  read(): Observable<TaskReading<R>>;
  /**
   * Fetches the result of a `succeeded` task whose reading did not carry it inline (Evo keeps results apart).
   * Emits the result, then completes.
   */
  result?(last: TaskReading<R>): Observable<R>;
  /** Asks the service to cancel the task, then completes. Absent when the service cannot cancel tasks. */
  cancel?(): Observable<void>;
  /**
   * The waiting this task's service expects (its SDK's interval, backoff and retries). {@link pollTask$} uses it
   * when it is given no strategy; without it, `withBackoff()` with its defaults.
   */
  readonly defaultStrategy?: PollStrategy;
}
