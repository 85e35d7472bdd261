import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import type { TaskHandle } from '../events.js';

/** Where a failed remote cancel is reported: the error, and the task it was for. */
export type CancelErrorHandler = (error: unknown, task: TaskHandle) => void;

/** The default {@link CancelErrorHandler}: a warning on the console, so a failed cancel is never silent. */
export const warnCancelFailed: CancelErrorHandler = (error, task) => {
  const text = error instanceof Error ? error.message : String(error);
  console.warn(`poll-task: canceling task "${task.id}" failed: ${text}`);
};

/**
 * Asks the service to cancel `task`, fire and forget: the request runs to its end even though nobody
 * watches the task any more. A task that cannot be canceled is left alone.
 */
export function fireCancel(task: TaskHandle, onError: CancelErrorHandler): void {
  if (!task.cancelable) return;
  try {
    task.cancel().subscribe({ error: (error: unknown) => report(onError, error, task) });
  } catch (error) {
    report(onError, error, task);
  }
}

function report(onError: CancelErrorHandler, error: unknown, task: TaskHandle): void {
  try {
    onError(error, task);
  } catch {
    // The handler itself failed; there is nobody left to tell.
  }
}

/**
 * A stream that knows its tasks from the start (what {@link pollTask$}, {@link startTask$}, {@link pollAll$} and a
 * poller's `watch` return), and so can cancel them even when its subscriber leaves before the first event.
 * {@link cancelOnUnsubscribe} placed directly on such a stream returns its `cancelingOnUnsubscribe` variant; on
 * any other stream it cancels the tasks it has seen in events. Works across copies of the library.
 */
export interface CancelableStream<T> extends Observable<T> {
  /**
   * This stream, cancelling on the service every task it had not finished when the subscriber leaves before
   * the stream ended, reporting a failed cancel to `onError`. The variant is its own variant.
   */
  cancelingOnUnsubscribe(onError: CancelErrorHandler): Observable<T>;
}

/** Whether `stream` offers {@link CancelableStream}'s member. */
export function isCancelableStream<T>(stream: Observable<T>): stream is CancelableStream<T> {
  return typeof (stream as Partial<CancelableStream<T>>).cancelingOnUnsubscribe === 'function';
}

/** Runs one subscription of a {@link CancelableObservable}; `onCancelError` is set in its canceling variant. */
export type CancelableRun<T> = (subscriber: Subscriber<T>, onCancelError: CancelErrorHandler | undefined) => TeardownLogic;

/** A {@link CancelableStream} made of the function that runs a subscription, with or without canceling. */
export class CancelableObservable<T> extends Observable<T> implements CancelableStream<T> {
  constructor(
    private readonly run: CancelableRun<T>,
    private readonly onCancelError?: CancelErrorHandler,
  ) {
    super((subscriber) => run(subscriber, onCancelError));
  }

  cancelingOnUnsubscribe(onError: CancelErrorHandler): Observable<T> {
    return this.onCancelError === undefined ? new CancelableObservable(this.run, onError) : this;
  }
}
