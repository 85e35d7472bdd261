import { Observable } from 'rxjs';
import type { TaskEvent } from './events.js';
import { attachCancelVariant } from './internal/cancel.js';
import { planTask, runTask } from './internal/engine.js';
import { checkSource } from './internal/handle.js';
import type { TaskSource } from './source.js';
import type { PollStrategy } from './strategies/poll-strategy.js';

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
  const plan = planTask(source, strategy);
  return attachCancelVariant(
    new Observable<TaskEvent<R>>((subscriber) => runTask(subscriber, plan)),
    (onError) => new Observable<TaskEvent<R>>((subscriber) => runTask(subscriber, plan, onError)),
  );
}
