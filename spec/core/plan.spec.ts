// Strategies as values: a strategy's plan is what it does, a reader can see it, derive another strategy from
// it, and the one loop runs it, given to pollTask$ or applied as an operator, paused or not, on the wait's clock.
import fc from 'fast-check';
import { BehaviorSubject, Observable, of, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import {
  TaskStream,
  TaskTimeoutError,
  pauseWhile,
  pollStrategy,
  pollTask$,
  timeoutAfter,
  toResult,
  cancelOnUnsubscribe,
  withBackoff,
  withEta,
  withInterval,
  type PollSchedule,
  type PollStrategy,
  type TaskEvent,
  type TaskReading,
} from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, trackingScheduler } from '../helpers/sources.js';

/** A task that answers every read with `running` after `latency` ms of the scheduler, and succeeds on read `doneAt` (0-based). */
function slowTask(scheduler: SchedulerLike, doneAt: number, latency = 0) {
  return scriptedSource<number>('job-1', (call) =>
    new Observable<TaskReading<number>>((subscriber) => {
      const answer = call >= doneAt ? reading.succeeded(7) : reading.running(call / (doneAt + 1));
      return scheduler.schedule(() => {
        subscriber.next(answer);
        subscriber.complete();
      }, latency);
    }),
  );
}

/** The virtual times of the reads a strategy made over a task that ends on read `doneAt`. */
function readTimes(makeStrategy: (scheduler: SchedulerLike) => PollStrategy, doneAt = 8): number[] {
  const scheduler = new VirtualTimeScheduler();
  const times: number[] = [];
  const task = slowTask(scheduler, doneAt);
  const source = { ...task, read: () => (times.push(scheduler.now()), task.read()) };
  pollTask$(source, makeStrategy(scheduler)).subscribe({ error: () => undefined });
  scheduler.flush();
  return times;
}

describe('a strategy\'s plan', () => {
  it('shows what withBackoff does, every default filled in, frozen', () => {
    const { plan } = withBackoff();
    expect(plan).toMatchObject({
      schedule: { kind: 'backoff', initialDelayMs: 1000, factor: 1.5, maxDelayMs: 30_000, jitter: { min: -0.1, max: 0.1 } },
      firstPollDelayMs: 0,
      maxConsecutiveErrors: 5,
      maxRetryAfterMs: 300_000,
      maxWaitMs: Infinity,
      startAtWait: 1,
      pausedWhile: undefined,
    });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.schedule)).toBe(true);
    expect(withInterval(500).plan.schedule).toMatchObject({ kind: 'interval', ms: 500 });
    expect(withEta({ finalDelayMs: 700 }).plan.schedule).toMatchObject({ kind: 'eta', finalDelayMs: 700, minDelayMs: 250, samples: 10 });
  });

  it('derives a strategy that waits exactly as the original, with the changed option', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 60_000 }),
        (initialDelayMs, factor, extra) => {
          const config = { initialDelayMs, factor, maxDelayMs: initialDelayMs + extra, jitter: 0 };
          const original = readTimes((scheduler) => withBackoff({ ...config, scheduler }));
          const derived = readTimes((scheduler) => pollStrategy({ ...withBackoff(config).plan, scheduler }));
          expect(derived).toEqual(original);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('derives a limit: { ...plan, maxWaitMs } ends the wait with a TaskTimeoutError at that time, on the wait\'s clock', () => {
    const scheduler = new VirtualTimeScheduler();
    const strategy = pollStrategy({ ...withInterval(1000).plan, maxWaitMs: 10_000, scheduler });
    let error: unknown;
    pollTask$(slowTask(scheduler, 1_000_000), strategy).subscribe({ error: (e: unknown) => (error = e) });
    scheduler.flush();
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(scheduler.now()).toBe(10_000);
    expect((error as TaskTimeoutError).elapsedMs).toBe(10_000);
  });

  it('derives a schedule: a copy of the schedule with a changed field delays by the copy', () => {
    const times = readTimes((scheduler) => {
      const { plan } = withBackoff({ jitter: 0 });
      return pollStrategy({ ...plan, scheduler, schedule: { ...plan.schedule, initialDelayMs: 500, factor: 2 } as PollSchedule });
    }, 4);
    expect(times).toEqual([0, 500, 1500, 3500, 7500]);
  });

  it('takes a schedule of the user\'s own', () => {
    const linear: PollSchedule = { kind: 'linear', delays: () => (wait) => 100 * wait };
    expect(readTimes((scheduler) => pollStrategy({ schedule: linear, scheduler }), 4)).toEqual([0, 100, 300, 600, 1000]);
  });

  it('refuses a bad plan with a TypeError that says what was wrong, when the strategy is made', () => {
    const { plan } = withBackoff();
    expect(() => pollStrategy(undefined as never)).toThrow(/pollStrategy: option "schedule" must be a schedule .* but was undefined/);
    expect(() => pollStrategy(5 as never)).toThrow(/pollStrategy: options must be an object, but was 5/);
    expect(() => pollStrategy({} as never)).toThrow(/option "schedule" must be a schedule/);
    expect(() => pollStrategy({ ...plan, maxWaitm: 5 } as never)).toThrow(/unknown option "maxWaitm"/);
    expect(() => pollStrategy({ ...plan, maxWaitMs: -1 })).toThrow(/option "maxWaitMs" must be a number of at least 0/);
    expect(() => pollStrategy({ ...plan, schedule: { ...plan.schedule, factor: 0.5 } as PollSchedule })).toThrow(/backoff schedule: option "factor"/);
    expect(() => pollStrategy({ ...withInterval(5).plan, schedule: { ...withInterval(5).plan.schedule, ms: -3 } as PollSchedule })).toThrow(/interval schedule: option "ms"/);
    expect(() => pollStrategy({ ...plan, pausedWhile: 'yes' as never })).toThrow(/option "pausedWhile" must be an Observable/);
  });

  it('runs the same loop applied as an operator to a stream of one reading', () => {
    const scheduler = new VirtualTimeScheduler();
    let reads = 0;
    const oneReading = new Observable<TaskReading<number>>((subscriber) => {
      const answer = reads++ >= 3 ? reading.succeeded(1) : reading.running();
      return scheduler.schedule(() => (subscriber.next(answer), subscriber.complete()), 10);
    });
    const statuses: string[] = [];
    const times: number[] = [];
    withInterval(1000, { scheduler })(oneReading).subscribe((r) => (statuses.push(r.runStatus), times.push(scheduler.now())));
    scheduler.flush();
    expect(statuses).toEqual(['running', 'running', 'running', 'succeeded']);
    expect(times).toEqual([10, 1020, 2030, 3040]);
  });
});

describe('one clock per wait', () => {
  it('reports elapsedMs by the strategy\'s scheduler: three virtual minutes are 180000 ms, whatever the real clock did', () => {
    const scheduler = new VirtualTimeScheduler();
    const elapsed: number[] = [];
    pollTask$(slowTask(scheduler, 3), withInterval(60_000, { scheduler })).subscribe((event: TaskEvent<number>) => elapsed.push(event.snapshot.elapsedMs));
    scheduler.flush();
    expect(elapsed).toEqual([0, 60_000, 120_000, 180_000]);
  });

  it('counts the request time in elapsedMs on the same clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (interval, latency) => {
        const scheduler = new VirtualTimeScheduler();
        const elapsed: number[] = [];
        pollTask$(slowTask(scheduler, 2, latency), withInterval(interval, { scheduler })).subscribe((event) => elapsed.push(event.snapshot.elapsedMs));
        scheduler.flush();
        expect(elapsed).toEqual([latency, 2 * latency + interval, 3 * latency + 2 * interval]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('pauseWhile on the one loop', () => {
  it('keeps a plan: the result is a strategy whose plan pauses, on the same schedule', () => {
    const paused$ = new BehaviorSubject(false);
    const strategy = pauseWhile(paused$, withBackoff({ initialDelayMs: 2000 })) as ReturnType<typeof withBackoff>;
    expect(strategy.plan.pausedWhile).toBe(paused$);
    expect(strategy.plan.schedule).toMatchObject({ kind: 'backoff', initialDelayMs: 2000 });
  });

  it('subscribes paused$ once for the whole wait, not once per request', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, hot, expectSubscriptions, flush }) => {
      const request = cold('-(a|)', { a: reading.running() });
      const paused$ = hot('f', { f: false });
      const subscription = pollTask$(scriptedSource('t', () => request), pauseWhile(paused$, withInterval(4))).subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 12);
      flush();
      expectSubscriptions(request.subscriptions).toBe(['^!', '-----^!', '----------^!']);
      expectSubscriptions(paused$.subscriptions).toBe('^-----------!');
    });
  });

  it('holds while either of two nested pauses says true', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const request = cold('-(a|)', { a: reading.running() });
      const first = new BehaviorSubject(false);
      const second = new BehaviorSubject(false);
      // Reading at 1, next due at 5: first pauses 3..8, second 6..14; the request waits for both.
      scheduler.schedule(() => first.next(true), 3);
      scheduler.schedule(() => second.next(true), 6);
      scheduler.schedule(() => first.next(false), 8);
      scheduler.schedule(() => second.next(false), 14);
      const subscription = pollTask$(scriptedSource('t', () => request), pauseWhile(first, pauseWhile(second, withInterval(4)))).subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 16);
      flush();
      expectSubscriptions(request.subscriptions).toBe(['^!', '--------------^!']);
    });
  });

  it('ends the wait with paused$\'s error, leaving nothing running', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const request = cold('-(a|)', { a: reading.running() });
      const paused$ = cold<boolean>('f-----#', { f: false }, new Error('visibility lost'));
      const timers = trackingScheduler(scheduler);
      expectObservable(pollTask$(scriptedSource('t', () => request), pauseWhile(paused$, withInterval(100, { scheduler: timers }))).pipe(toResult())).toBe(
        '------#',
        undefined,
        new Error('visibility lost'),
      );
      scheduler.schedule(() => expect(timers.pending).toBe(0), 7);
    });
  });
});

describe('TaskStream, what pollTask$ returns', () => {
  it('offers its variants as typed members, which the operators use', () => {
    const source = scriptedSource<number>('t', () => of(reading.succeeded(3)), { cancel: () => of() });
    const stream = pollTask$(source, withInterval(10));
    expect(stream).toBeInstanceOf(TaskStream);
    const canceling = (stream as TaskStream<number>).cancelingOnUnsubscribe(() => undefined);
    expect(canceling.cancelingOnUnsubscribe(() => undefined)).toBe(canceling);
    expect(stream.pipe(cancelOnUnsubscribe())).toBeInstanceOf(TaskStream);
    const results: number[] = [];
    (stream as TaskStream<number>).results().subscribe((r) => results.push(r));
    stream.pipe(toResult()).subscribe((r) => results.push(r));
    expect(results).toEqual([3, 3]);
  });

  it('cancels before the first reading through its canceling variant', () => {
    const source = scriptedSource<number>('t', () => new Observable<TaskReading<number>>(() => undefined), { cancel: () => of() });
    pollTask$(source).pipe(cancelOnUnsubscribe()).subscribe().unsubscribe();
    expect(source.cancels).toBe(1);
  });
});

describe('one clock per wait, beyond the loop', () => {
  /** A fetch that never answers, and rejects as fetch does when its signal aborts. */
  const silent = (_url: unknown, init?: { signal?: AbortSignal }): Promise<Response> =>
    new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

  /** Runs virtual time until `done()`, letting promises settle between flushes. */
  async function runUntil(scheduler: VirtualTimeScheduler, done: () => boolean): Promise<void> {
    for (let turn = 0; turn < 1000 && !done(); turn++) {
      scheduler.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('times an HTTP request\'s timeout by the wait\'s clock: a minute-long timeout passes in virtual time', async () => {
    const { httpTask, benchling } = await import('../../lib/http/index.js');
    const scheduler = new VirtualTimeScheduler();
    const source = httpTask({ url: 'https://api.example.com/api/v2/tasks/1', dialect: benchling, fetch: silent as never, requestTimeoutMs: 60_000 });
    let error: unknown;
    pollTask$(source, withInterval(1000, { scheduler, maxConsecutiveErrors: 2 })).subscribe({ error: (e: unknown) => (error = e) });
    await runUntil(scheduler, () => error !== undefined);
    expect(error).toMatchObject({ kind: 'transport', retryable: true });
    // Three requests, each cut at 60 s of virtual time, with 1 s between them.
    expect(scheduler.now()).toBe(3 * 60_000 + 2 * 1000);
  });

  it('times timeoutAfter placed directly on pollTask$ by the wait\'s clock', () => {
    const scheduler = new VirtualTimeScheduler();
    let error: unknown;
    pollTask$(slowTask(scheduler, 1_000_000, 10), withInterval(1000, { scheduler }))
      .pipe(timeoutAfter(5000))
      .subscribe({ error: (e: unknown) => (error = e) });
    scheduler.flush();
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 5000, elapsedMs: 5000 });
    expect(scheduler.now()).toBe(5000);
  });
});
