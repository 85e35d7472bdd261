import { waitOutcome, type WaitOptions } from './wait.js';
import type { TaskSnapshot } from './snapshot.js';
import type { TaskSource } from './task-source.js';

/** How a wait ended: `success` with the result, or the error that ended it. */
export type TaskCompletion<R> =
  | { readonly success: true; readonly result: R; readonly snapshot: TaskSnapshot; readonly error?: undefined }
  | { readonly success: false; readonly error: unknown; readonly snapshot?: TaskSnapshot; readonly result?: undefined };

/**
 * Waits for the task and resolves with how it ended, failures and timeouts included: `{ success: true,
 * result, snapshot }` or `{ success: false, error, snapshot? }`. Rejects only for bad options (TypeError)
 * and an aborted `signal` ({@link AbortError}).
 *
 * @example
 * // Benchling's wait_for_completion(): check success instead of catching.
 * const completion = await waitForCompletion(source, { timeoutMs: 600_000 });
 * if (!completion.success) log(completion.error);
 */
export async function waitForCompletion<R>(source: TaskSource<R>, options?: WaitOptions<NoInfer<R>>): Promise<TaskCompletion<R>> {
  const outcome = await waitOutcome('waitForCompletion', source, options);
  if (outcome.ok) return { success: true, result: outcome.result, snapshot: outcome.snapshot };
  return outcome.snapshot === undefined
    ? { success: false, error: outcome.error }
    : { success: false, error: outcome.error, snapshot: outcome.snapshot };
}
