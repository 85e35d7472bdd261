import { Observable, type SchedulerLike, type Subscriber, type TeardownLogic } from 'rxjs';
import type { TaskEvent } from '../events.js';
import type { CancelableStream, CancelErrorHandler } from './cancel.js';
import { planTask, runTask, type TaskPlan } from './engine.js';
import { checkSource } from './handle.js';
import type { TaskSource } from '../task-source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';

/**
 * Waits for a remote task: a cold Observable that reads the task's status, emits one `progress` event per
 * non-terminal reading, and ends with one `result` event and completion, or with a typed error.
 *
 * - Nothing is requested before subscribe; each subscriber runs its own loop, counters and timers.
 * - The first reading is requested at subscribe (unless the strategy delays it). Requests never overlap.
 * - `succeeded` ends with the result (inline in the reading, else fetched with `source.result()`);
 *   `failed` errors with {@link TaskFailedError}, `canceled` with {@link TaskCanceledError}; a status the
 *   source could not map errors with {@link UnknownStatusError}. A strategy that stops asking before the
 *   end errors with {@link PollingStoppedError}.
 * - Unsubscribing stops the loop and aborts the request in flight. To also cancel the task on its service,
 *   add {@link cancelOnUnsubscribe}.
 *
 * @param source - the task: build one with {@link taskSource}, or with an HTTP dialect.
 * @param strategy - when to ask again and which errors to retry. Defaults to the source's
 *   `defaultStrategy`, else `withBackoff()`.
 * @returns the events, as a {@link TaskStream}: an Observable with the variants {@link cancelOnUnsubscribe} and
 *   {@link toResult} ask for when placed directly on it. (Typed as an Observable, so that
 *   `stream = stream.pipe(…)` type-checks.)
 * @throws TypeError when `source` is not a TaskSource or `strategy` not a function.
 *
 * @example
 * pollTask$(source, withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000 }))
 *   .pipe(timeoutAfter(300_000), cancelOnUnsubscribe())
 *   .subscribe((event) => {
 *     if (event.type === 'progress') bar.update(event.snapshot.progress ?? 0);
 *     else show(event.result);
 *   });
 */
export function pollTask$<R>(source: TaskSource<R>, strategy?: PollStrategy<NoInfer<R>>): Observable<TaskEvent<R>> {
  checkSource('pollTask$', source);
  if (strategy !== undefined && typeof strategy !== 'function') {
    throw new TypeError(
      `pollTask$: the strategy must be an operator function such as withBackoff() or withInterval(1000), but was ${strategy === null ? 'null' : typeof strategy}.`,
    );
  }
  return new TaskStream(planTask(source, strategy), undefined);
}

/**
 * What {@link pollTask$} returns: the Observable of one task's events, with two variants as typed members,
 * which the operators ask for when placed directly on it. The stream keeps its plan in fields and shares its
 * subscribe function with every other, so a waiting task costs no closures here.
 */
export class TaskStream<R> extends Observable<TaskEvent<R>> implements CancelableStream<TaskEvent<R>> {
  /** @internal Made by {@link pollTask$}. */
  constructor(
    private readonly plan: TaskPlan<R>,
    private readonly onCancelError: CancelErrorHandler | undefined,
  ) {
    super(TaskStream.subscribeEvents);
  }

  /** Subscribes one wait: shared by every stream, so a waiting task costs no closure here. */
  private static subscribeEvents(this: Observable<TaskEvent<unknown>>, subscriber: Subscriber<TaskEvent<unknown>>): TeardownLogic {
    const stream = this as TaskStream<unknown>;
    return runTask(subscriber, stream.plan, stream.onCancelError);
  }

  /**
   * The same wait, cancelling the task on its service when the subscriber leaves before the end, even before
   * the first reading: what {@link cancelOnUnsubscribe} returns when placed directly on this stream.
   */
  cancelingOnUnsubscribe(onError: CancelErrorHandler): TaskStream<R> {
    return this.onCancelError === undefined ? new TaskStream(this.plan, onError) : this;
  }

  /**
   * The same wait emitting only the result, then completing: what {@link toResult} returns when placed
   * directly on this stream. No progress event is built and no subscription sits in between.
   */
  results(): Observable<R> {
    return new ResultObservable(this.plan, this.onCancelError);
  }

  /**
   * The clock of this wait: its strategy's `scheduler`, else RxJS's `asyncScheduler`. {@link timeoutAfter}
   * placed directly on this stream times its deadline by it unless given another.
   */
  get scheduler(): SchedulerLike {
    return this.plan.scheduler;
  }
}

/** {@link TaskStream}'s result-only variant. */
class ResultObservable<R> extends Observable<R> {
  constructor(
    readonly plan: TaskPlan<R>,
    readonly onCancelError: CancelErrorHandler | undefined,
  ) {
    super(subscribeResult);
  }
}

function subscribeResult(this: Observable<unknown>, subscriber: Subscriber<unknown>): TeardownLogic {
  const { plan, onCancelError } = this as ResultObservable<unknown>;
  return runTask(subscriber, plan, onCancelError, true);
}
