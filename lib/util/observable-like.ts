import { Observable } from 'rxjs';

/** Whether `value` can be subscribed to like an Observable. */
export function isSubscribable<T>(value: unknown): value is Observable<T> {
  return (
    value instanceof Observable ||
    (typeof value === 'object' && value !== null && typeof (value as Observable<T>).subscribe === 'function')
  );
}

/** Whether `value` is a Promise or another thenable. */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<T>).then === 'function'
  );
}
