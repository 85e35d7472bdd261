// The Promise helpers, for code without RxJS: the Benchling SDK's two waits, and an abortable wait.
import { waitForCompletion, waitForResult, withInterval, type TaskSource } from 'poll-task';

/** Like Benchling's `wait_for_response(interval_wait_seconds=1, max_wait_seconds=600)`. */
export function waitForResponse<R>(source: TaskSource<R>, intervalMs = 1000, maxWaitMs = 600_000): Promise<R> {
  return waitForResult(source, { strategy: withInterval(intervalMs), timeoutMs: maxWaitMs });
}

/** Like Benchling's `wait_for_completion()`: a one-line summary whether the task succeeded or not. */
export async function summarize<R>(source: TaskSource<R>, intervalMs = 1000): Promise<string> {
  const completion = await waitForCompletion(source, { strategy: withInterval(intervalMs), timeoutMs: 600_000 });
  if (completion.ok) return `succeeded after ${completion.snapshot.polls} polls: ${JSON.stringify(completion.result)}`;
  const reason = completion.error instanceof Error ? completion.error.message : String(completion.error);
  return `did not succeed (${completion.snapshot?.vendorStatus ?? 'no reading'}): ${reason}`;
}

/**
 * Waits until `signal` aborts (a request handler whose client went away, a Cancel button). Aborting stops
 * polling at once and, with `cancelOnAbort`, also cancels the task on its service.
 */
export function waitUnlessAborted<R>(source: TaskSource<R>, signal: AbortSignal, onProgress: (percent: number) => void): Promise<R> {
  return waitForResult(source, {
    strategy: withInterval(250),
    signal,
    cancelOnAbort: true,
    onProgress: (snapshot) => onProgress(Math.round((snapshot.progress ?? 0) * 100)),
  });
}
