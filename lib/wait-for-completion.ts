import { waitOutcome, type WaitOptions } from './wait.js';
import type { Outcome } from './core/outcome.js';
import type { TaskSource } from './task-source.js';

/**
 * Waits for the task and resolves with how it ended, failures and timeouts included: an {@link Outcome},
 * `{ ok: true, result, snapshot }` or `{ ok: false, error, snapshot? }`. Rejects only for bad options
 * (TypeError) and an aborted `signal` ({@link AbortError}).
 *
 * @example
 * // Benchling's wait_for_completion(): check ok (Benchling's `success`) instead of catching.
 * const completion = await waitForCompletion(source, { timeoutMs: 600_000 });
 * if (!completion.ok) log(completion.error);
 */
export function waitForCompletion<R>(source: TaskSource<R>, options?: WaitOptions<NoInfer<R>>): Promise<Outcome<R>> {
  return waitOutcome('waitForCompletion', source, options);
}
