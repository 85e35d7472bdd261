import { Observable, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { TransportError, pollTask$, type PollStrategy, type TaskReading } from '../../lib/index.js';
import { scriptedSource, trackingScheduler } from './sources.js';

/** A step of a scripted task: a reading, or an error the read fails with. */
export type Step = TaskReading<unknown> | Error;

/** A retryable 503, with an optional Retry-After hint. */
export function unavailable(retryAfterMs?: number): TransportError {
  return new TransportError('The server answered 503 Service Unavailable.', {
    status: 503,
    url: 'https://api.example.com/tasks/1',
    retryable: true,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * Runs `strategy` (built with the given tracking scheduler) over a task that goes through `steps`, one per
 * read (each answering after 1 ms; the last step repeats), until the stream ends. Returns the delays the
 * strategy scheduled through the tracking scheduler, the reads made and when (virtual time), what ended the
 * stream, and how many timers were left.
 */
export function runSteps(
  scheduler: TestScheduler,
  steps: readonly Step[],
  makeStrategy: (timers: ReturnType<typeof trackingScheduler>) => PollStrategy<unknown>,
  limit = 50,
): { delays: number[]; reads: number; readTimes: number[]; error?: unknown; completed: boolean; pending: number } {
  const timers = trackingScheduler(scheduler);
  const readTimes: number[] = [];
  const source = scriptedSource<unknown>('task-1', (call) => {
    readTimes.push(scheduler.now());
    const step = steps[Math.min(call, steps.length - 1)] as Step;
    if (call >= limit) return throwError(() => new Error('test limit: too many reads'));
    return step instanceof Error
      ? (scheduler.createColdObservable('-#', undefined, step) as Observable<TaskReading<unknown>>)
      : scheduler.createColdObservable('-(a|)', { a: step });
  });
  const out: { delays: number[]; reads: number; readTimes: number[]; error?: unknown; completed: boolean; pending: number } = {
    delays: timers.scheduled,
    reads: 0,
    readTimes,
    completed: false,
    pending: 0,
  };
  scheduler.run(({ flush }) => {
    pollTask$(source, makeStrategy(timers)).subscribe({
      error: (error: unknown) => (out.error = error),
      complete: () => (out.completed = true),
    });
    flush();
  });
  out.reads = source.reads;
  out.pending = timers.pending;
  return out;
}

/**
 * Expects `ended` to be `last` as a loop ends with it after `attempts` retryable failures in a row (see
 * withDecision): the same class, every field of `last` as it was (kind, status, url, retryable, cause…),
 * `attempts` set, and the facts of its message kept (the decision comes after them).
 */
export function expectGaveUpWith(ended: unknown, last: Error, attempts: number): void {
  expect(ended).not.toBe(last);
  expect(Object.getPrototypeOf(ended)).toBe(Object.getPrototypeOf(last));
  for (const key of Reflect.ownKeys(last)) {
    if (key !== 'message' && key !== 'stack') expect(Reflect.get(ended as object, key)).toBe(Reflect.get(last, key));
  }
  expect((ended as { attempts?: unknown }).attempts).toBe(attempts);
  expect((ended as Error).message.startsWith(`${last.message} `)).toBe(true);
}

/** The waits between reads, from their times: each read answers after 1 ms, so gap - 1 is the delay. */
export function gapsOf(readTimes: readonly number[]): number[] {
  return readTimes.slice(1).map((time, i) => time - readTimes[i]! - 1);
}
