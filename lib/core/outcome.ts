import type { TaskSnapshot } from '../snapshot.js';

// How a wait ended, as a value: one shape for waitForCompletion, pollAll$'s settle mode, taskState's ended
// states and the promise API's internals, so code that handles one handles them all.

/** A wait that ended with the task's result. */
export interface OutcomeSucceeded<R> {
  readonly ok: true;
  readonly result: R;
  /** The snapshot of the reading that brought the result. */
  readonly snapshot: TaskSnapshot;
  /** Never set: here so that `outcome.error` can be read before narrowing on `ok`. */
  readonly error?: undefined;
}

/** A wait that ended without a result: a task failure, a cancel, a timeout, a transport error... */
export interface OutcomeFailed {
  readonly ok: false;
  /** What ended the wait, as thrown (usually a {@link PollTaskError}). */
  readonly error: unknown;
  /**
   * The snapshot of the reading that ended the wait (a failure, a cancel), else the last one seen; absent when
   * no reading arrived.
   */
  readonly snapshot?: TaskSnapshot;
  /** Never set: here so that `outcome.result` can be read before narrowing on `ok`. */
  readonly result?: undefined;
}

/**
 * How a wait ended: `{ ok: true, result, snapshot }` or `{ ok: false, error, snapshot? }`. Narrow on `ok`.
 *
 * @example
 * const outcome = await waitForCompletion(source);
 * if (outcome.ok) publish(outcome.result);
 * else log(outcome.error, outcome.snapshot?.polls);
 */
export type Outcome<R> = OutcomeSucceeded<R> | OutcomeFailed;

/**
 * The snapshot an error carries: the reading that ended the wait (`snapshot`, on {@link TaskFailedError} and
 * {@link TaskCanceledError}), else the last one seen before it (`lastSnapshot`, on {@link TaskTimeoutError}
 * and {@link PollingStoppedError}); undefined for anything else.
 */
export function snapshotOf(error: unknown): TaskSnapshot | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { snapshot, lastSnapshot } = error as { snapshot?: unknown; lastSnapshot?: unknown };
  if (typeof snapshot === 'object' && snapshot !== null) return snapshot as TaskSnapshot;
  if (typeof lastSnapshot === 'object' && lastSnapshot !== null) return lastSnapshot as TaskSnapshot;
  return undefined;
}

/**
 * The outcome of a wait that ended with `error`: its snapshot is the one the error carries (see
 * {@link snapshotOf}), else `lastSeen`, else none.
 */
export function failedOutcome(error: unknown, lastSeen?: TaskSnapshot): OutcomeFailed {
  const snapshot = snapshotOf(error) ?? lastSeen;
  return snapshot === undefined ? { ok: false, error } : { ok: false, error, snapshot };
}
