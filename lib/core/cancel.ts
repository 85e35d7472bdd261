import type { Observable } from 'rxjs';
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

// Streams that know their tasks from the start (pollTask$, startTask$) carry a ready-made variant of
// themselves that cancels on unsubscribe; cancelOnUnsubscribe() uses it when it sits directly on them, so an
// unsubscribe before the first reading still cancels. A registered symbol works across copies of the library.
/**
 * The key of a stream's cancel-on-unsubscribe variant; stream classes may define the variant as a method
 * (no per-stream property): `[cancelVariantKey](onError) { … }`.
 */
export const cancelVariantKey: unique symbol = Symbol.for('poll-task.cancelOnUnsubscribe');

/** A stream that can produce its own cancel-on-unsubscribe variant. */
export type WithCancelVariant<T> = Observable<T> & {
  readonly [cancelVariantKey]?: (onError: CancelErrorHandler) => Observable<T>;
};

/** Attaches the cancel-on-unsubscribe variant to `stream` and returns it. */
export function attachCancelVariant<T>(
  stream: Observable<T>,
  variant: (onError: CancelErrorHandler) => Observable<T>,
): Observable<T> {
  const make = (onError: CancelErrorHandler): Observable<T> => {
    const canceling = variant(onError);
    // Applying cancelOnUnsubscribe() twice must not cancel twice: the variant is its own variant.
    Object.defineProperty(canceling, cancelVariantKey, { value: () => canceling });
    return canceling;
  };
  Object.defineProperty(stream, cancelVariantKey, { value: make });
  return stream;
}

/** The variant attached to `stream`, if any. */
export function cancelVariantOf<T>(
  stream: Observable<T>,
): ((onError: CancelErrorHandler) => Observable<T>) | undefined {
  const variant = (stream as WithCancelVariant<T>)[cancelVariantKey];
  return typeof variant === 'function' ? (onError) => variant.call(stream, onError) : undefined;
}
