import type { Observable } from 'rxjs';

// pollTask$'s stream knows a cheaper way to give only the result than an extra subscription in between:
// toResult() applied directly on it asks for that variant. Not a registered symbol (Symbol.for): a stream of
// another copy of the library has another key, and takes toResult's general path, which behaves the same.
/** The key of a stream's result-only variant, for stream classes that define it as a method. */
export const resultKey: unique symbol = Symbol('poll-task.toResult');

/** The result-only variant of `stream`, if it has one. */
export function resultVariantOf<R>(stream: Observable<unknown>): Observable<R> | undefined {
  const variant = (stream as { [resultKey]?: () => Observable<R> })[resultKey];
  return typeof variant === 'function' ? variant.call(stream) : undefined;
}
