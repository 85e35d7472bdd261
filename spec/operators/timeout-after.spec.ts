import { map, NEVER, Observable, of, concat } from 'rxjs';
import {
  TaskTimeoutError,
  pollTask$,
  taskSource,
  timeoutAfter,
  withInterval,
  type TaskEvent,
  type TaskReading,
} from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource, trackingScheduler } from '../helpers/sources.js';

/** Matches the TaskTimeoutError a marble expects, by its fields. */
function timedOut(timeoutMs: number, elapsedMs: number): unknown {
  return expect.objectContaining({ name: 'TaskTimeoutError', timeoutMs, elapsedMs });
}

function errorOf<T>(stream: Observable<T>, flush: () => void): unknown {
  let error: unknown;
  stream.subscribe({ error: (e: unknown) => (error = e) });
  flush();
  return error;
}

describe('timeoutAfter', () => {
  it('errors at the deadline even while progress keeps arriving', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('render-1', scheduler, [reading.running(0.4)]);
      const stream = pollTask$(source, withInterval(1)).pipe(timeoutAfter(10), map((e) => e.snapshot.polls));
      expectObservable(stream).toBe('-a-b-c-d-e#', { a: 1, b: 2, c: 3, d: 4, e: 5 }, timedOut(10, 10));
    });
  });

  it('carries timeoutMs, elapsedMs and the last snapshot, and says what to do', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = sequenceSource('render-1', scheduler, [reading.running(0.4)]);
      const error = errorOf(pollTask$(source, withInterval(3)).pipe(timeoutAfter(10)), flush) as TaskTimeoutError;
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error.kind).toBe('timeout');
      expect(error.timeoutMs).toBe(10);
      expect(error.elapsedMs).toBe(10);
      expect(error.lastSnapshot).toMatchObject({ taskId: 'render-1', polls: 3, elapsedMs: 9 });
      expect(error.taskId).toBe('render-1');
      expect(error.message).toBe(
        'Task "render-1" did not finish within 10 ms (last status running ("RUNNING"), 40% after 3 readings); allow more time, or check on the service whether it is stuck.',
      );
    });
  });

  it('cuts the request in flight', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const request = cold('------(a|)', { a: reading.running() });
      const source = scriptedSource('t-1', () => request);
      errorOf(pollTask$(source, withInterval(1)).pipe(timeoutAfter(10)), flush);
      expectSubscriptions(request.subscriptions).toBe(['^-----!', '-------^--!']);
    });
  });

  it('aborts the signal the source gave the request in flight', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const signals: AbortSignal[] = [];
      const source = taskSource({
        id: 'slow',
        read: (signal) => {
          signals.push(signal);
          return NEVER as Observable<TaskReading<never>>;
        },
      });
      const error = errorOf(pollTask$(source).pipe(timeoutAfter(50)), flush);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect((error as TaskTimeoutError).lastSnapshot).toBeUndefined();
      expect((error as TaskTimeoutError).message).toBe(
        'The task did not finish within 50 ms (no reading yet); allow more time, or check on the service whether it is stuck.',
      );
      expect(signals.map((s) => s.aborted)).toEqual([true]);
    });
  });

  it('lets a result that came in time through and stops its timer', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const timers = trackingScheduler(scheduler);
      const source = sequenceSource('t-1', scheduler, [reading.running(), reading.succeeded(7)]);
      const stream = pollTask$(source, withInterval(1)).pipe(timeoutAfter({ ms: 10, scheduler: timers }), map((e) => e.type));
      expectObservable(stream).toBe('-a-(b|)', { a: 'progress', b: 'result' });
      flush();
      expect(timers.pending).toBe(0);
    });
  });

  it('no longer times out once the result event passed, even if the stream has not completed', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const events = cold('--r', { r: { type: 'result' } }) as Observable<{ type: string }>;
      const lingering = concat(events, NEVER);
      expectObservable(lingering.pipe(timeoutAfter(5)), '^---------!').toBe('--r', { r: { type: 'result' } });
    });
  });

  it('times out at a deadline given as a Date', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('t-1', scheduler, [reading.running()]);
      const stream = pollTask$(source, withInterval(1)).pipe(timeoutAfter({ deadline: new Date(7) }), map(() => 'p'));
      expectObservable(stream).toBe('-p-p-p-#', { p: 'p' }, timedOut(7, 7));
    });
  });

  it('uses the earlier of ms and deadline', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const never$ = NEVER as Observable<TaskEvent<unknown>>;
      expectObservable(never$.pipe(timeoutAfter({ ms: 4, deadline: 9 }))).toBe('----#', undefined, timedOut(4, 4));
      expectObservable(never$.pipe(timeoutAfter({ ms: 40, deadline: 9 }))).toBe('---------#', undefined, timedOut(9, 9));
    });
  });

  it('times out at once when the deadline has passed', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      scheduler.schedule(() => undefined, 20);
      const late = cold('---a', { a: { type: 'progress' } });
      expectObservable(late.pipe(timeoutAfter({ deadline: -100 }))).toBe('#', undefined, timedOut(0, 0));
    });
  });

  it('never times out with Infinity and schedules no timer', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const timers = trackingScheduler(scheduler);
      expectObservable(of({ type: 'result' }).pipe(timeoutAfter({ ms: Infinity, scheduler: timers }))).toBe('(r|)', { r: { type: 'result' } });
      flush();
      expect(timers.scheduled).toEqual([]);
    });
  });

  it.each([
    [-1, 'timeoutAfter: option "ms" must be a number of at least 0 (or Infinity), but was -1.'],
    [Number.NaN, 'timeoutAfter: option "ms" must be a number of at least 0 (or Infinity), but was NaN.'],
    [{}, 'timeoutAfter: give the time to wait, as milliseconds (timeoutAfter(60_000)) or { ms } or { deadline }.'],
    [undefined, 'timeoutAfter: give the time to wait, as milliseconds (timeoutAfter(60_000)) or { ms } or { deadline }.'],
    [{ deadline: new Date('nope') }, 'timeoutAfter: option "deadline" must be a valid Date or a number of milliseconds since the epoch, but was Invalid Date.'],
    [{ ms: 5, each: 1 }, 'timeoutAfter: unknown option "each"; the options are ms, deadline, scheduler.'],
    ['10m', 'timeoutAfter: options must be an object, but was "10m".'],
  ])('throws a TypeError for %p', (config, message) => {
    expect(() => timeoutAfter(config as never)).toThrow(new TypeError(message));
  });
});
