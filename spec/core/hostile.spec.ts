// The core under hostile input: schedules that answer nonsense, errors that cannot be copied, sources that
// break the one-reading contract, plans made by hand, and listeners that pile up on a shared signal.
import fc from 'fast-check';
import { forkJoin, Observable, of, timeout, catchError, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import {
  TransportError,
  pauseWhile,
  pollStrategy,
  pollTask$,
  taskSource,
  withDecision,
  withInterval,
  type AnyPollStrategy,
  type PollSchedule,
  type TaskReading,
  type TaskSource,
} from '../../lib/index.js';
import { readsPerSignal } from '../../lib/util/abortable.js';
import { reading } from '../helpers/readings.js';

/** A task that is always running, answering each read after `latency` ms of `scheduler`; counts its reads. */
function runningTask(scheduler: SchedulerLike, latency = 1, answer: () => Observable<TaskReading<never>> | undefined = () => undefined) {
  const counts = { reads: 0, inFlight: 0, mostInFlight: 0 };
  const source: TaskSource<never> = {
    id: 'job-1',
    read: () =>
      answer() ??
      new Observable<TaskReading<never>>((subscriber) => {
        counts.reads++;
        counts.mostInFlight = Math.max(counts.mostInFlight, ++counts.inFlight);
        const timer = scheduler.schedule(() => {
          subscriber.next(reading.running());
          subscriber.complete();
        }, latency);
        return () => (counts.inFlight--, timer.unsubscribe());
      }),
  };
  return { source, counts };
}

describe('a schedule that answers nonsense', () => {
  it('ends the wait with a TypeError naming the schedule, after one reading, for any delay that is not a finite number of 0 or more', () => {
    const bad = fc.oneof(
      fc.constantFrom<unknown>(NaN, -1, -0.5, Infinity, -Infinity, undefined, null, '100', {}, [], true),
      fc.double({ max: -Number.MIN_VALUE }),
    );
    fc.assert(
      fc.property(bad, (delay) => {
        const scheduler = new VirtualTimeScheduler();
        const { source, counts } = runningTask(scheduler);
        const schedule: PollSchedule = { kind: 'odd', delays: () => () => delay as number };
        let error: unknown;
        pollTask$(source, pollStrategy({ schedule, scheduler })).subscribe({ error: (e: unknown) => (error = e) });
        scheduler.flush();
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(/^The "odd" schedule's delay number 1 was .*; a delay must be a finite number of milliseconds, 0 or more\.$/);
        expect(counts.reads).toBe(1);
      }),
    );
  });

  it('ends the wait with the error a delay function throws, instead of leaving it to RxJS', () => {
    const scheduler = new VirtualTimeScheduler();
    const { source } = runningTask(scheduler);
    const boom = new Error('boom');
    const schedule: PollSchedule = {
      kind: 'throwing',
      delays: () => () => {
        throw boom;
      },
    };
    let error: unknown;
    pollTask$(source, pollStrategy({ schedule, scheduler })).subscribe({ error: (e: unknown) => (error = e) });
    scheduler.flush();
    expect(error).toBe(boom);
  });
});

describe('an error that cannot be copied', () => {
  const unavailable = (): TransportError => new TransportError('GET https://x/job answered 503.', { retryable: true, status: 503 });

  it.each([
    ['frozen', (error: TransportError) => Object.freeze(error)],
    ['sealed', (error: TransportError) => Object.seal(error)],
    [
      'with a stack that throws',
      (error: TransportError) =>
        Object.defineProperty(error, 'stack', {
          get() {
            throw new Error('no stack');
          },
        }),
    ],
  ])('%s: withDecision copies it all the same, and the loop ends with the copy', (_name, spoil) => {
    const original = spoil(unavailable());
    const copy = withDecision(original, { attempts: 2, text: 'Gave up.' });
    expect(copy).toBeInstanceOf(TransportError);
    expect(copy).toMatchObject({ status: 503, retryable: true, attempts: 2, message: 'GET https://x/job answered 503. Gave up.' });

    const scheduler = new VirtualTimeScheduler();
    const source: TaskSource<never> = { id: 'job-1', read: () => new Observable((subscriber) => subscriber.error(spoil(unavailable()))) };
    let error: unknown;
    pollTask$(source, withInterval(10, { scheduler, maxConsecutiveErrors: 1 })).subscribe({ error: (e: unknown) => (error = e) });
    scheduler.flush();
    expect(error).toMatchObject({ kind: 'transport', attempts: 2 });
  });
});

describe('a read that breaks the one-reading contract', () => {
  it('never makes requests overlap, even when every error is retried', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.boolean(), (interval, completeAfter, viaOperator) => {
        const scheduler = new VirtualTimeScheduler();
        const counts = { reads: 0, inFlight: 0, mostInFlight: 0 };
        // Two readings at once, then completion `completeAfter` ms later.
        const source: TaskSource<never> = {
          id: 'job-1',
          read: () =>
            new Observable<TaskReading<never>>((subscriber) => {
              counts.reads++;
              counts.mostInFlight = Math.max(counts.mostInFlight, ++counts.inFlight);
              subscriber.next(reading.running());
              subscriber.next(reading.running());
              const timer = scheduler.schedule(() => subscriber.complete(), completeAfter);
              return () => (counts.inFlight--, timer.unsubscribe());
            }),
        };
        const strategy = withInterval(interval, { scheduler, isRetryable: () => true, maxConsecutiveErrors: Infinity });
        const plain: AnyPollStrategy = (readings) => strategy(readings);
        const subscription = pollTask$(source, viaOperator ? plain : strategy).subscribe({ error: () => undefined });
        scheduler.schedule(() => subscription.unsubscribe(), 200);
        scheduler.flush();
        expect(counts.mostInFlight).toBe(1);
        expect(counts.inFlight).toBe(0);
        // At most one request per interval.
        expect(counts.reads).toBeLessThanOrEqual(Math.floor(200 / interval) + 1);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the signal the reads of a wait share', () => {
  it('takes a listener per read without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      let n = 0;
      const source = taskSource({
        id: 'job-1',
        read: (signal) =>
          new Promise<TaskReading<number>>((resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason));
            resolve(++n >= 3 * readsPerSignal ? reading.succeeded(n) : reading.running());
          }),
      });
      await new Promise<void>((resolve, reject) => pollTask$(source, withInterval(0)).subscribe({ complete: resolve, error: reject }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('is not shared with the reads a source makes inside its own read: one timing out aborts no other', async () => {
    const never = taskSource<number>({ id: 'a', read: () => new Promise<TaskReading<number>>(() => undefined) });
    let bAborted = false;
    const b = taskSource<number>({
      id: 'b',
      read: (signal) =>
        new Promise<TaskReading<number>>((resolve) => {
          signal.addEventListener('abort', () => (bAborted = true));
          setTimeout(() => resolve(reading.succeeded(2)), 30);
        }),
    });
    const both: TaskSource<number> = {
      id: 'both',
      read: () => forkJoin([never.read().pipe(timeout(5), catchError(() => of(null))), b.read()]).pipe((pair) => new Observable((subscriber) => pair.subscribe({ next: ([, last]) => subscriber.next(last), error: (e: unknown) => subscriber.error(e), complete: () => subscriber.complete() }))),
    };
    const result = await new Promise((resolve, reject) => pollTask$(both, withInterval(0)).subscribe({ next: (event) => event.type === 'result' && resolve(event.result), error: reject }));
    expect(result).toBe(2);
    expect(bAborted).toBe(false);
  });
});

describe('a plan made by hand', () => {
  it('is checked when its strategy is used, with a TypeError that says what is wrong', () => {
    const handMade = (plan: object): AnyPollStrategy => Object.assign(<R>(readings: Observable<TaskReading<R>>) => readings, { plan }) as never;
    const source: TaskSource<never> = { id: 'job-1', read: () => of(reading.running()) };
    const schedule: PollSchedule = { kind: 'flat', delays: () => () => 10 };
    expect(() => pollTask$(source, handMade({ schedule })).subscribe().unsubscribe()).not.toThrow();
    expect(() => pollTask$(source, handMade({ ...withInterval(10).plan, maxWaitMs: 'soon' }))).toThrow(/option "maxWaitMs" must be a number/);
    expect(() => pollTask$(source, handMade({ schedule: { kind: 'none' } }))).toThrow(/option "schedule" must be a schedule/);
    expect(() => pauseWhile(of(false), handMade({ schedule, firstPollDelayMs: -1 }))).toThrow(/option "firstPollDelayMs" must be a number of at least 0/);
  });
});

describe('pauseWhile, with a plan or without', () => {
  it('pauses on true only, the same way on both paths', () => {
    fc.assert(
      fc.property(fc.constantFrom<unknown>(true, false, 'true', 'false', 1, 0, null, {}), fc.boolean(), (said, withPlan) => {
        const scheduler = new VirtualTimeScheduler();
        const { source, counts } = runningTask(scheduler);
        const strategy = withInterval(10, { scheduler });
        const plain: AnyPollStrategy = (readings) => strategy(readings);
        const subscription = pollTask$(source, pauseWhile(of(said as boolean), withPlan ? strategy : plain)).subscribe();
        scheduler.schedule(() => subscription.unsubscribe(), 100);
        scheduler.flush();
        expect(counts.reads > 0).toBe(said !== true);
      }),
    );
  });
});
