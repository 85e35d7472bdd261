import type { Subscription } from 'rxjs';
import { AbortError } from './errors.js';
import type { TaskEvent } from './events.js';
import { timeoutAfter } from './operators/timeout-after.js';
import { pollTask$ } from './core/poll-task.js';
import type { TaskSnapshot } from './snapshot.js';
import type { TaskSource } from './task-source.js';
import type { PollStrategy } from './strategies/poll-strategy.js';
import { fireCancel, warnCancelFailed } from './core/cancel.js';
import { createHandle } from './core/handle.js';
import { failedOutcome, type Outcome } from './core/outcome.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf } from './util/options.js';

/** Options of {@link waitForResult} and {@link waitForCompletion}. */
export interface WaitOptions<R> {
  /** When to ask again: as for {@link pollTask$} (default: the source's own, else `withBackoff()`). */
  readonly strategy?: PollStrategy<R>;
  /** Gives up after this many milliseconds with a {@link TaskTimeoutError}. Default: no limit. */
  readonly timeoutMs?: number;
  /** Aborting it stops all work at once (no further request) and rejects with an {@link AbortError}. */
  readonly signal?: AbortSignal;
  /**
   * Also cancel the task on its service when `signal` aborts before the task ended.
   * @default false
   */
  readonly cancelOnAbort?: boolean;
  /** Called with the snapshot of every non-terminal reading. If it throws, the wait ends with that error. */
  readonly onProgress?: (snapshot: TaskSnapshot) => void;
}

const optionNames = optionNamesOf<WaitOptions<unknown>>()({ strategy: true, timeoutMs: true, signal: true, cancelOnAbort: true, onProgress: true });

/**
 * Waits for `source` and resolves with how it ended; rejects only for bad options (TypeError) and an aborted
 * signal ({@link AbortError}).
 */
export function waitOutcome<R>(fn: string, source: TaskSource<R>, options: WaitOptions<R> = {}): Promise<Outcome<R>> {
  return new Promise<Outcome<R>>((resolve, reject) => {
    checkOptions(fn, options, optionNames);
    const timeoutMs = checkNumber(fn, 'timeoutMs', options.timeoutMs, Infinity, { allowInfinity: true });
    const { signal, cancelOnAbort = false, onProgress } = options;
    if (onProgress !== undefined) checkFunction(fn, 'onProgress', onProgress, onProgress);
    // Checked here too, so that the message names this function, not pollTask$.
    if (options.strategy !== undefined) checkFunction(fn, 'strategy', options.strategy, options.strategy);
    if (typeof cancelOnAbort !== 'boolean') {
      throw new TypeError(`${fn}: option "cancelOnAbort" must be true or false, but was ${String(cancelOnAbort)}.`);
    }
    if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
      throw new TypeError(`${fn}: option "signal" must be an AbortSignal (from an AbortController), but was ${String(signal)}.`);
    }
    let stream = pollTask$(source, options.strategy);
    if (signal?.aborted === true) {
      reject(new AbortError(signal.reason, source.id));
      return;
    }
    if (timeoutMs !== Infinity) stream = stream.pipe(timeoutAfter<TaskEvent<R>>(timeoutMs));

    let subscription: Subscription | undefined;
    let settled = false;
    let last: TaskSnapshot | undefined;

    const finish = (outcome: Outcome<R>): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      subscription?.unsubscribe();
      resolve(outcome);
    };

    function onAbort(): void {
      if (settled) return;
      settled = true;
      subscription?.unsubscribe();
      if (cancelOnAbort) fireCancel(createHandle(source), warnCancelFailed);
      reject(new AbortError(signal?.reason, source.id));
    }

    signal?.addEventListener('abort', onAbort, { once: true });
    subscription = stream.subscribe({
      next(event) {
        last = event.snapshot;
        if (event.type === 'result') {
          finish({ ok: true, result: event.result, snapshot: event.snapshot });
          return;
        }
        if (onProgress === undefined) return;
        try {
          onProgress(event.snapshot);
        } catch (error) {
          finish({ ok: false, error, snapshot: event.snapshot });
        }
      },
      error(error: unknown) {
        finish(failedOutcome(error, last));
      },
    });
    // The stream may have settled while subscribing, before `subscription` was assigned.
    if (settled) subscription.unsubscribe();
  });
}
