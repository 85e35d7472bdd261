import { Observable } from 'rxjs';
import { SourceContractError } from '../errors.js';
import { isSubscribable, isThenable } from './observable-like.js';

/** What aborts one call: a platform AbortController, or an object that serves as one (see fetchKindOf). */
export interface RequestAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/**
 * A function given an AbortSignal that answers with a Promise or an Observable. It also gets what aborts the
 * signal, which serves this one call: the library's own requests abort it on a timeout instead of linking a
 * controller of their own (user functions of taskSource are typed with the signal alone).
 */
export type AbortableCall<T> = (signal: AbortSignal, abort: RequestAbort) => PromiseLike<T> | Observable<T>;

const platformAbort = (): RequestAbort => new AbortController();

/**
 * A cold Observable that calls `call` with a fresh AbortSignal (made by `newAbort`) on each subscription and
 * aborts that signal when the subscriber leaves before the answer came. `what` names the call in error
 * messages (e.g. `source "job-1" read()`).
 */
export function fromAbortable<T>(call: AbortableCall<T>, what: string, taskId?: string, newAbort = platformAbort): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = newAbort();
    let settled = false;
    let answer: PromiseLike<T> | Observable<T>;
    try {
      answer = call(controller.signal, controller);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    if (isSubscribable<T>(answer)) {
      const inner = answer.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          settled = true;
          subscriber.error(error);
        },
        complete: () => {
          settled = true;
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        if (!settled) controller.abort();
      };
    }
    if (isThenable<T>(answer)) {
      answer.then(
        (value) => {
          settled = true;
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          subscriber.error(error);
        },
      );
      return () => {
        if (!settled) controller.abort();
      };
    }
    subscriber.error(
      new SourceContractError(
        `${what} returned ${answer === null ? 'null' : typeof answer}, not a Promise or an Observable; return the request's Promise (or Observable).`,
        taskId === undefined ? {} : { taskId },
      ),
    );
    return;
  });
}
