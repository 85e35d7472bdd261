import { waitOutcome, type WaitOptions } from './wait.js';
import type { TaskSource } from './task-source.js';

export type { WaitOptions } from './wait.js';

/**
 * The Promise form of {@link pollTask$}: resolves with the task's result, or rejects with the typed error
 * ({@link TaskFailedError}, {@link TaskCanceledError}, {@link TaskTimeoutError}, {@link TransportError}...).
 * An aborted `signal` rejects with an {@link AbortError} and stops all work at once.
 *
 * @example
 * // Benchling's wait_for_response(interval_wait_seconds=1, max_wait_seconds=600):
 * const response = await waitForResult(source, { strategy: withInterval(1000), timeoutMs: 600_000 });
 */
export async function waitForResult<R>(source: TaskSource<R>, options?: WaitOptions<NoInfer<R>>): Promise<R> {
  const outcome = await waitOutcome('waitForResult', source, options);
  if (outcome.ok) return outcome.result;
  throw outcome.error;
}
