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

/** How many status reads of one wait share one AbortController at most. */
export const readsPerSignal = 10;

/**
 * The abort controllers of the read calls of one plan's loop (see TaskSource.readCall). A platform
 * AbortController costs more to make than a whole in-memory read (several microseconds on Node 20, and
 * garbage), so the loop's calls share one: they never overlap, and a call is abandoned only when its loop
 * stops, so the shared signal aborts only then, and is never handed out again. A controller serves at most
 * {@link readsPerSignal} calls, so that listeners a call adds to its signal and never removes are held for a
 * few reads, not for the whole wait, and stay within the 10 an EventTarget takes before Node warns.
 */
export class ReadAborts implements RequestAbort {
  /** The signal of the current controller (kept in a field: the platform's getter checks its receiver each time). */
  signal!: AbortSignal;
  private controller: AbortController | undefined = undefined;
  private uses = 0;
  private aborted = false;

  /**
   * The abort of the next read: this object, on the current controller, or on a new one when the current one
   * aborted or served its reads. Only the read in flight may abort it; a read that answered never does.
   */
  next(): RequestAbort {
    if (this.controller === undefined || this.aborted || this.uses >= readsPerSignal) {
      this.controller = new AbortController();
      this.signal = this.controller.signal;
      this.uses = 0;
      this.aborted = false;
    }
    this.uses++;
    return this;
  }

  /** Aborts the current controller (its wait is stopping), which is then never handed out again. */
  abort(reason?: unknown): void {
    this.aborted = true;
    this.controller?.abort(reason);
  }
}



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
