import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { TaskHandle } from '../events.js';
import { fireCancel, isCancelableStream, warnCancelFailed, type CancelErrorHandler } from '../core/cancel.js';
import { checkFunction, checkOptions, optionNamesOf } from '../util/options.js';
import { isTerminalStatus, type RunStatus } from '../snapshot.js';

/** Options of {@link cancelOnUnsubscribe}. */
export interface CancelOnUnsubscribeConfig {
  /**
   * Called when a cancel request fails (the wait is over by then, so it cannot error the stream).
   * @default a `console.warn` naming the task
   */
  readonly onError?: (error: unknown, task: TaskHandle) => void;
}

/**
 * The least an event must have for {@link cancelOnUnsubscribe}: a `type`, and the task it is about with its
 * snapshot (a terminal snapshot, or a `result` event, finishes that task).
 */
export interface CancelableEvent {
  readonly type: string;
  readonly task?: TaskHandle;
  readonly snapshot?: { readonly runStatus: RunStatus };
}

/**
 * Cancels the task on its service when the subscriber leaves before the stream ended: "nobody is watching
 * any more, stop the job". Every task seen that had not reached a terminal state is cancelled exactly once,
 * fire and forget. Nothing is cancelled after completion or an error, and a task whose source has no
 * `cancel` is left alone (a documented no-op).
 *
 * - Directly on a {@link CancelableStream} (the output of {@link pollTask$}, {@link startTask$}, {@link pollAll$}
 *   or a poller's `watch`), it returns the stream's `cancelingOnUnsubscribe(onError)`, which cancels even when
 *   the unsubscribe comes before the first reading (and, for `startTask$`, as soon as `start` delivers the
 *   task). Further downstream it knows the tasks from their events, so it cancels those seen so far.
 * - Upstream of {@link timeoutAfter}, a timeout cancels the task; downstream of it, a timeout does not.
 *
 * @throws TypeError for an unknown option or an `onError` that is not a function.
 *
 * @example
 * // Leaving the page cancels the render job.
 * this.subscription = pollTask$(source).pipe(cancelOnUnsubscribe()).subscribe(render);
 * // ngOnDestroy: this.subscription.unsubscribe();
 */
export function cancelOnUnsubscribe<E extends CancelableEvent>(
  config?: CancelOnUnsubscribeConfig,
): MonoTypeOperatorFunction<E> {
  const fn = 'cancelOnUnsubscribe';
  checkOptions(fn, config, optionNamesOf<CancelOnUnsubscribeConfig>()({ onError: true }));
  const onError: CancelErrorHandler = checkFunction(fn, 'onError', config?.onError, warnCancelFailed);

  return (source) => {
    if (isCancelableStream(source)) return source.cancelingOnUnsubscribe(onError);
    return new Observable<E>((subscriber) => {
      // Tasks seen and not yet finished, by id; a result event finishes its task.
      const open = new Map<string, TaskHandle>();
      let ended = false;
      const upstream = source.subscribe({
        next(event) {
          const { task, snapshot } = event;
          if (task !== undefined) {
            if (event.type === 'result' || (snapshot !== undefined && isTerminalStatus(snapshot.runStatus))) open.delete(task.id);
            else open.set(task.id, task);
          }
          subscriber.next(event);
        },
        error(error: unknown) {
          ended = true;
          subscriber.error(error);
        },
        complete() {
          ended = true;
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        if (!ended) for (const task of open.values()) fireCancel(task, onError);
      };
    });
  };
}
