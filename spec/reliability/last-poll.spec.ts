import fc from 'fast-check';
import { Observable, type Subscription } from 'rxjs';
import {
  createTaskPoller,
  pollTask$,
  taskSource,
  timeoutAfter,
  withBackoff,
  withInterval,
  type PollStrategy,
  type TaskEvent,
  type TaskReading,
} from '../../lib/index.js';
import { unavailable } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler } from '../helpers/sources.js';

// Section 2 of docs/reliability.md: when the next delay would end past the deadline (maxWaitMs or
// timeoutAfter), the loop asks once more shortly before it: min(1 s, a twentieth of the time granted).

/** How long before the deadline the last poll comes, for a wait granted `limit` ms. */
const marginOf = (limit: number) => Math.min(1000, limit / 20);

interface Outcome {
  reads: number[];
  result: boolean;
  error?: { name: string };
}

/**
 * Runs a task that succeeds at virtual time `succeedsAt` (each read answers at once, or with the step `at`
 * gives) under `strategy`, optionally piped through timeoutAfter(`timeout`), until it ends.
 */
function runTask(
  strategy: () => PollStrategy,
  succeedsAt: number,
  options: { timeout?: number; latency?: number; at?: (call: number, now: number) => TaskReading<unknown> | Error } = {},
): Outcome {
  const scheduler = newTestScheduler(Number.MAX_SAFE_INTEGER);
  const out: Outcome = { reads: [], result: false };
  scheduler.run(({ flush }) => {
    const source = taskSource({
      id: 'task-1',
      read: () =>
        new Observable<TaskReading<unknown>>((subscriber) => {
          const now = scheduler.now();
          const step = options.at?.(out.reads.length, now) ?? (now >= succeedsAt ? reading.succeeded() : reading.running(0.5));
          out.reads.push(now);
          const answer = () => {
            if (step instanceof Error) subscriber.error(step);
            else {
              subscriber.next(step);
              subscriber.complete();
            }
          };
          // The service reads the status as the request arrives; the answer takes `latency` to come back.
          if (options.latency === undefined) answer();
          else return scheduler.schedule(answer, options.latency);
          return undefined;
        }),
    });
    let stream = pollTask$(source, strategy());
    if (options.timeout !== undefined) stream = stream.pipe(timeoutAfter<TaskEvent<unknown>>(options.timeout));
    stream.subscribe({
      next: (event) => void (event.type === 'result' && (out.result = true)),
      error: (error: { name: string }) => (out.error = error),
    });
    flush();
  });
  return out;
}

describe('the last poll before the deadline', () => {
  it('gets the result of a task that succeeds at 9 s under withBackoff 2 s × 2 and maxWaitMs 10 s', () => {
    const out = runTask(() => withBackoff({ initialDelayMs: 2000, factor: 2, jitter: 0, maxWaitMs: 10_000 }), 9000);
    expect(out.result).toBe(true);
    // 14 s would be past the limit: one more poll half a second before it (10 s / 20).
    expect(out.reads).toEqual([0, 2000, 6000, 9500]);
  });

  it('does the same under timeoutAfter(10 s)', () => {
    const out = runTask(() => withBackoff({ initialDelayMs: 2000, factor: 2, jitter: 0 }), 9000, { timeout: 10_000 });
    expect(out.result).toBe(true);
    expect(out.reads).toEqual([0, 2000, 6000, 9500]);
  });

  it('comes a second before a long deadline', () => {
    const out = runTask(() => withInterval(25_000, { maxWaitMs: 60_000 }), 58_000);
    expect(out.reads).toEqual([0, 25_000, 50_000, 59_000]);
    expect(out.result).toBe(true);
  });

  it('finds any task done by deadline − margin, with at most one poll more than the schedule, none at or after the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.integer({ min: 1, max: 200_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (interval, limit, part, viaOperator) => {
          const succeedsAt = limit * part;
          const out = viaOperator
            ? runTask(() => withInterval(interval), succeedsAt, { timeout: limit })
            : runTask(() => withInterval(interval, { maxWaitMs: limit }), succeedsAt);
          if (succeedsAt <= limit - marginOf(limit)) expect(out.result).toBe(true);
          if (!out.result) expect(out.error?.name).toBe('TaskTimeoutError');
          const scheduled = Math.ceil(limit / interval);
          expect(out.reads.length).toBeLessThanOrEqual(scheduled + 1);
          expect(out.reads.every((time) => time < limit)).toBe(true);
        },
      ),
    );
  });

  it('leaves the last answer the margin to come back: a task done by limit − margin − request time ends with its result', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.integer({ min: 1000, max: 200_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.boolean(),
        (interval, limit, part, slowness, viaOperator) => {
          const margin = marginOf(limit);
          const latency = Math.floor(margin * slowness);
          // The last poll that starts by limit − margin starts after limit − margin − latency (else its answer
          // would be in before limit − margin, and another poll would start by then).
          const succeedsAt = (limit - margin - latency) * part;
          const out = viaOperator
            ? runTask(() => withInterval(interval), succeedsAt, { timeout: limit, latency })
            : runTask(() => withInterval(interval, { maxWaitMs: limit }), succeedsAt, { latency });
          expect(out.result).toBe(true);
        },
      ),
    );
    // The case that found it: 2 s apart, 300 ms per request, done at 58.5 s of a minute (a poll at 59.8 s was too late).
    const out = runTask(() => withInterval(2000), 58_500, { timeout: 60_000, latency: 300 });
    expect(out.result).toBe(true);
  });

  it('never cuts a Retry-After short: a hint past the deadline means no last poll', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (beyond) => {
        // The first read is a 503 asking to come back after the deadline (10 s).
        const out = runTask(() => withInterval(1000, { maxWaitMs: 10_000 }), 0, { at: (call) => (call === 0 ? unavailable(10_000 + beyond) : undefined) as never });
        expect(out.reads).toEqual([0]);
        expect(out.error?.name).toBe('TaskTimeoutError');
      }),
    );
  });

  it('waits out a Retry-After that ends between the last-poll time and the deadline', () => {
    const out = runTask(() => withInterval(20_000, { maxWaitMs: 10_000 }), 0, { at: (call) => (call === 0 ? unavailable(9800) : undefined) as never });
    // The schedule says 20 s, the last poll would be at 9.5 s, the service asked for 9.8 s: 9.8 s it is.
    expect(out.reads).toEqual([0, 9800]);
    expect(out.result).toBe(true);
  });

  it('is not planned by a watcher\'s timeoutAfter for a loop that createTaskPoller shares', () => {
    const scheduler = newTestScheduler(Number.MAX_SAFE_INTEGER);
    const reads: number[] = [];
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(6000) });
      const source = taskSource({
        id: 'shared',
        read: () =>
          new Observable<TaskReading<unknown>>((subscriber) => {
            reads.push(scheduler.now());
            subscriber.next(scheduler.now() >= 15_000 ? reading.succeeded() : reading.running(0.5));
            subscriber.complete();
          }),
      });
      const watchers: Subscription[] = [
        poller.watch(source).pipe(timeoutAfter<TaskEvent<unknown>>(10_000)).subscribe({ error: () => undefined }),
        poller.watch(source).subscribe(),
      ];
      flush();
      watchers.forEach((watcher) => watcher.unsubscribe());
    });
    expect(reads).toEqual([0, 6000, 12_000, 18_000]);
  });
});
