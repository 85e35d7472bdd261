// The batch case: a service merges many records and needs every merge done before it answers; the first
// failure ends the batch (fail-fast) and the caller sees which merge failed.
import { lastValueFrom } from 'rxjs';
import { pollAll$, timeoutAfter, type PollStrategy, type TaskSource } from 'poll-task';

/** Waits for every merge and resolves with their results in the order given; rejects with the first failure. */
export async function mergeAll<R>(merges: readonly TaskSource<R>[], timeoutMs = 300_000, strategy?: PollStrategy): Promise<readonly R[]> {
  const options = strategy === undefined ? { concurrency: 4 } : { concurrency: 4, strategy };
  const end = await lastValueFrom(pollAll$(merges, options).pipe(timeoutAfter(timeoutMs)));
  if (end.type !== 'result') throw new Error('the batch ended without its results');
  return end.results;
}
