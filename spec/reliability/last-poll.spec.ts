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
function runTask(strategy: () => PollStrategy, succeedsAt: number, options: { timeout?: number; at?: (call: number, now: number) => TaskReading<unknown> | Error } = {}): Outcome {
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
          if (step instanceof Error) subscriber.error(step);
          else {
            subscriber.next(step);
            subscriber.complete();
          }
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
