import type { Observable, Subscriber, Subscription, Unsubscribable } from 'rxjs';
import { SourceContractError } from './errors.js';
import type { TaskEvent } from './events.js';
import { CancelableObservable, fireCancel, type CancelErrorHandler } from './core/cancel.js';
import { planTask, runTask } from './core/engine.js';
import { checkSource, createHandle } from './core/handle.js';
import { isSubscribable, isThenable } from './util/observable-like.js';
import type { TaskSource } from './task-source.js';
import type { PollStrategy } from './strategies/poll-strategy.js';
import type { SourceAnswer } from './task-source.js';

/**
 * Starts a task and answers with its source: typically the POST that creates the job, whose answer holds the
 * job id or status URL. Given an AbortSignal that aborts when the subscriber leaves before the answer.
 */
export type TaskStarter<R> = (signal: AbortSignal) => SourceAnswer<TaskSource<R>>;

/**
 * "Subscribe starts the job, unsubscribe cancels it": on subscribe, calls `start` (which creates the task on
 * its service and answers with its {@link TaskSource}), then polls that source exactly like {@link pollTask$}.
 * Each subscription starts its own task.
 *
 * Unsubscribing while `start` runs aborts its signal. With {@link cancelOnUnsubscribe} directly on the output,
 * `start` is instead let finish, and the task it created is cancelled as soon as it is delivered: the job
 * exists on the service, and nobody wants it any more.
 *
 * @param start - creates the task; returns a Promise or an Observable of its source.
 * @param strategy - as for {@link pollTask$}.
 * @throws TypeError when `start` or `strategy` is not a function.
 *
 * @example
 * startTask$((signal) => submitRender(scene, signal), withInterval(2000))
 *   .pipe(cancelOnUnsubscribe())
 *   .subscribe(render);
 */
export function startTask$<R>(start: TaskStarter<R>, strategy?: PollStrategy<NoInfer<R>>): Observable<TaskEvent<R>> {
  if (typeof start !== 'function') {
    throw new TypeError(`startTask$: start must be a function that creates the task and returns its TaskSource, but was ${start === null ? 'null' : typeof start}.`);
  }
  if (strategy !== undefined && typeof strategy !== 'function') {
    throw new TypeError(`startTask$: the strategy must be an operator function such as withBackoff(), but was ${strategy === null ? 'null' : typeof strategy}.`);
  }
  return new CancelableObservable<TaskEvent<R>>((subscriber, onCancelError) => runStarted(subscriber, start, strategy, onCancelError));
}

function runStarted<R>(
  subscriber: Subscriber<TaskEvent<R>>,
  start: TaskStarter<R>,
  strategy: PollStrategy<R> | undefined,
  onCancelError?: CancelErrorHandler,
): () => void {
  const controller = new AbortController();
  let settled = false; // start answered (with a source, an error or nothing)
  let left = false; // the subscriber left while start was running
  let starting: Subscription | undefined;
  let loop: Unsubscribable | undefined;

  const fail = (error: unknown): void => {
    settled = true;
    if (!left) subscriber.error(error);
  };

  const deliver = (source: TaskSource<R>): void => {
    if (settled) return;
    settled = true;
    starting?.unsubscribe();
    try {
      checkSource('startTask$', source);
    } catch (error) {
      if (!left) {
        subscriber.error(new SourceContractError(`startTask$: start() delivered something that is not a TaskSource: ${(error as Error).message}`));
      }
      return;
    }
    if (left) {
      if (onCancelError !== undefined) fireCancel(createHandle(source), onCancelError);
      return;
    }
    loop = runTask(subscriber, planTask(source, strategy), onCancelError);
    if (subscriber.closed) loop.unsubscribe();
  };

  let answer: SourceAnswer<TaskSource<R>>;
  try {
    answer = start(controller.signal);
  } catch (error) {
    fail(error);
    return () => undefined;
  }
  if (isSubscribable<TaskSource<R>>(answer)) {
    starting = answer.subscribe({
      next: deliver,
      error: fail,
      complete() {
        if (!settled) fail(new SourceContractError('startTask$: start() completed without delivering a TaskSource; it must emit (or resolve to) the source of the task it created.'));
      },
    });
    if (settled) starting.unsubscribe();
  } else if (isThenable<TaskSource<R>>(answer)) {
    answer.then(deliver, fail);
  } else {
    fail(new SourceContractError(`startTask$: start() returned ${answer === null ? 'null' : typeof answer}, not a Promise or an Observable of the task's source.`));
  }

  return () => {
    if (loop !== undefined) {
      loop.unsubscribe();
      return;
    }
    if (settled) return;
    left = true;
    // With cancel-on-unsubscribe, start runs to its end so that the task it created can be cancelled.
    if (onCancelError === undefined) {
      controller.abort();
      starting?.unsubscribe();
    }
  };
}
