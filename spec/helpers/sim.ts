import { lastValueFrom, Observable, toArray } from 'rxjs';
import { pollTask$, withInterval, type PollStrategy, type TaskEvent, type TaskSource } from '../../lib/index.js';
import { simulatedSource, type SimDialect } from '../../lib/testing/index.js';

/** Builds the source of a simulated task with its dialect's builder. */
export const sourceFor = simulatedSource;

/** How a wait ended: its events, and its error if it failed. */
export interface Run<R> {
  readonly events: TaskEvent<R>[];
  readonly error?: unknown;
  readonly result?: R;
}

/** Polls `source` to its end (withInterval(0) unless told otherwise) and reports what happened. */
export function run<R>(source: TaskSource<R>, strategy: PollStrategy = withInterval(0)): Promise<Run<R>> {
  const events: TaskEvent<R>[] = [];
  return new Promise((resolve) => {
    pollTask$(source, strategy).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => resolve({ events, error }),
      complete: () => {
        const last = events.at(-1);
        resolve(last?.type === 'result' ? { events, result: last.result } : { events });
      },
    });
  });
}

/** The events of a stream, in an array, or its error. */
export function settle<T>(stream: Observable<T>): Promise<T[] | { error: unknown }> {
  return lastValueFrom(stream.pipe(toArray())).catch((error: unknown) => ({ error }));
}

/** Waits for `condition`, checking after each turn of the event loop, for at most `limitMs` (5 s). */
export async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const give = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > give) throw new Error(`gave up waiting for ${what}`);
    await nextTurn();
  }
}

/** One turn of the event loop; jsdom (the Angular tests) has no setImmediate, so a zero timeout there. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

export const dialects: readonly SimDialect[] = ['benchling', 'affinity', 'evo', 'deepint', 'deadline'];
