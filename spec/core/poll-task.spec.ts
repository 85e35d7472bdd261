import { EMPTY, map, Observable, of, repeat, take, throwError } from 'rxjs';
import {
  PollingStoppedError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  UnknownStatusError,
  cancelOnUnsubscribe,
  pollTask$,
  taskSource,
  withInterval,
  type TaskEvent,
  type TaskReading,
  type TaskSource,
} from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource, summary, trackingScheduler } from '../helpers/sources.js';

/** Subscribes inside a TestScheduler run, flushes, and returns what arrived. */
function collect<R>(stream: Observable<TaskEvent<R>>, flush: () => void): { events: TaskEvent<R>[]; error?: unknown; completed: boolean } {
  const out: { events: TaskEvent<R>[]; error?: unknown; completed: boolean } = { events: [], completed: false };
  stream.subscribe({
    next: (event) => out.events.push(event),
    error: (error: unknown) => (out.error = error),
    complete: () => (out.completed = true),
  });
  flush();
  return out;
}

describe('pollTask$', () => {
  describe('cold and independent', () => {
    it('requests nothing before subscribe', () => {
      const source = scriptedSource('t-1', () => of(reading.running()));
      pollTask$(source, withInterval(10));
      expect(source.reads).toBe(0);
    });

    it('runs one loop per subscriber, each with its own poll count and clock', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const source = sequenceSource('t-1', scheduler, [reading.running(0.5)]);
        const stream = pollTask$(source, withInterval(3)).pipe(map(summary));
        const at = (polls: number, elapsed: number) => ({ type: 'progress', status: 'running', polls, at: elapsed, progress: 0.5 });
        // Reads take 1 ms and repeat 3 ms after each reading: readings at 1, 5, 9 for the first subscriber,
        // and 3, 7 for the second one, who subscribes at 2, each counted from its own start.
        expectObservable(stream, '^---------!').toBe('-a---b---c', { a: at(1, 1), b: at(2, 5), c: at(3, 9) });
        expectObservable(stream, '--^-------!').toBe('---a---b--', { a: at(1, 1), b: at(2, 5) });
      });
    });
  });

  describe('requests', () => {
    it('reads at subscribe and never overlaps two requests', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const request = cold('---(a|)', { a: reading.running() });
        const source = scriptedSource('t-1', () => request);
        expectObservable(pollTask$(source, withInterval(2)).pipe(map((e) => e.snapshot.polls)), '^-------------!').toBe(
          '---a----b----c',
          { a: 1, b: 2, c: 3 },
        );
        // Each request starts 2 ms after the previous reading arrived, never while one is in flight.
        expectSubscriptions(request.subscriptions).toBe(['^--!', '-----^--!', '----------^--!']);
      });
    });

    it('lets the strategy delay the first request', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectSubscriptions, flush }) => {
        const request = cold('-(a|)', { a: reading.succeeded(1) });
        const source = scriptedSource('t-1', () => request);
        pollTask$(source, withInterval(5, { firstPollDelayMs: 4 })).subscribe();
        flush();
        expectSubscriptions(request.subscriptions).toBe(['----^!']);
      });
    });

    it('aborts the request in flight on unsubscribe and leaves no timer behind', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const request = cold('----(a|)', { a: reading.running() });
        const timers = trackingScheduler(scheduler);
        const source = scriptedSource('t-1', () => request);
        expectObservable(pollTask$(source, withInterval(2, { scheduler: timers })).pipe(map(() => 'a')), '^-------!').toBe('----a---');
        flush();
        expectSubscriptions(request.subscriptions).toBe(['^---!', '------^-!']);
        expect(timers.pending).toBe(0);
      });
    });

    it('leaves no timer behind while waiting between requests', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable, flush }) => {
        const timers = trackingScheduler(scheduler);
        const source = sequenceSource('t-1', scheduler, [reading.running()]);
        expectObservable(pollTask$(source, withInterval(100, { scheduler: timers })).pipe(map(() => 'p')), '^----!').toBe('-p---');
        flush();
        expect(timers.scheduled).toEqual([100]);
        expect(timers.pending).toBe(0);
      });
    });
  });

  describe('statuses', () => {
    it('emits a progress event per non-terminal reading and ends with the inline result', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const source = sequenceSource('t-1', scheduler, [
          reading.pending(),
          reading.running(0.25),
          reading.suspended(),
          reading.canceling(),
          reading.succeeded({ rows: 3 }),
        ]);
        expectObservable(pollTask$(source, withInterval(1)).pipe(map(summary))).toBe('-a-b-c-d-(e|)', {
          a: { type: 'progress', status: 'pending', polls: 1, at: 1 },
          b: { type: 'progress', status: 'running', polls: 2, at: 3, progress: 0.25 },
          c: { type: 'progress', status: 'suspended', polls: 3, at: 5, progress: 0.25 },
          d: { type: 'progress', status: 'canceling', polls: 4, at: 7, progress: 0.25 },
          e: { type: 'result', status: 'succeeded', polls: 5, at: 9, progress: 0.25, result: { rows: 3 } },
        });
      });
    });

    it('fetches the result with source.result() when the reading does not carry it', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const fetch = cold('--(r|)', { r: 'the report' });
        const seen: TaskReading<string>[] = [];
        const last = reading.succeeded<string>(undefined, { raw: { id: 7 } });
        const source = sequenceSource<string>('t-1', scheduler, [reading.running(), last], 1, {
          result: (terminal) => {
            seen.push(terminal);
            return fetch;
          },
        });
        expectObservable(pollTask$(source, withInterval(1)).pipe(map(summary))).toBe('-a---(b|)', {
          a: { type: 'progress', status: 'running', polls: 1, at: 1 },
          b: { type: 'result', status: 'succeeded', polls: 2, at: 3, result: 'the report' },
        });
        expectSubscriptions(fetch.subscriptions).toBe('---^-!');
        scheduler.flush();
        expect(seen).toEqual([last]);
      });
    });

    it('ends with an undefined result when the task has none and the source fetches none', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = sequenceSource('t-1', scheduler, [reading.succeeded()]);
        const out = collect(pollTask$(source), flush);
        expect(out.events).toHaveLength(1);
        expect(out.events[0]).toMatchObject({ type: 'result', result: undefined });
        expect(out.completed).toBe(true);
      });
    });

    it('errors with TaskFailedError carrying the code, message, details and snapshot', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const failure = { code: 'OOM', message: 'Out of memory', details: { exitCode: 137 } };
        const source = sequenceSource('t-9', scheduler, [reading.running(0.5), reading.failed(failure)]);
        const out = collect(pollTask$(source, withInterval(1)), flush);
        expect(out.events.map((e) => e.type)).toEqual(['progress']);
        const error = out.error as TaskFailedError;
        expect(error).toBeInstanceOf(TaskFailedError);
        expect(error.kind).toBe('task-failed');
        expect(error.failure).toEqual(failure);
        expect(error.snapshot).toMatchObject({ taskId: 't-9', runStatus: 'failed', vendorStatus: 'FAILED', polls: 2, progress: 0.5 });
        expect(error.message).toBe(
          'Task "t-9" failed on the service with code OOM: "Out of memory"; see error.failure for the details, and start a new task once the cause is fixed.',
        );
      });
    });

    it('errors with TaskCanceledError when the service reports the task canceled', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = sequenceSource('t-2', scheduler, [reading.canceled()]);
        const error = collect(pollTask$(source), flush).error as TaskCanceledError;
        expect(error).toBeInstanceOf(TaskCanceledError);
        expect(error.snapshot).toMatchObject({ runStatus: 'canceled', vendorStatus: 'CANCELED', polls: 1 });
        expect(error.message).toContain('Task "t-2" was canceled on the service (status "CANCELED")');
      });
    });

    it('errors with UnknownStatusError naming a status word that is not a RunStatus', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const odd = { runStatus: 'FROZEN', vendorStatus: 'FROZEN', raw: { s: 'FROZEN' } } as unknown as TaskReading<never>;
        const source = sequenceSource('t-3', scheduler, [reading.running(), odd]);
        const out = collect(pollTask$(source, withInterval(1)), flush);
        const error = out.error as UnknownStatusError;
        expect(error).toBeInstanceOf(UnknownStatusError);
        expect(error.vendorStatus).toBe('FROZEN');
        expect(error.raw).toEqual({ s: 'FROZEN' });
        expect(error.message).toMatch(/^Task "t-3" reported the status "FROZEN", which its source does not map/);
        expect(out.events).toHaveLength(1);
      });
    });

    it('names the runStatus when a plain-JS reading has no vendor word', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const odd = { runStatus: 'done', raw: {} } as unknown as TaskReading<never>;
        const error = collect(pollTask$(sequenceSource('t-4', scheduler, [odd])), flush).error as UnknownStatusError;
        expect(error.vendorStatus).toBe('done');
      });
    });

    it('fills vendorStatus with the runStatus when a plain-JS source leaves it out', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const bare = { runStatus: 'running', raw: {} } as unknown as TaskReading<never>;
        const source = sequenceSource('t-5', scheduler, [bare]);
        const out = collect(pollTask$(source, withInterval(1)).pipe(take(1)), flush);
        expect(out.events[0]?.snapshot.vendorStatus).toBe('running');
      });
    });
  });

  describe('progress', () => {
    it('keeps the previous progress, subtask and message when a reading omits them', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = sequenceSource('t-1', scheduler, [
          reading.running(0.2, { subtask: 'load', message: 'Loading' }),
          reading.running(undefined),
          reading.running(0.6, { subtask: 'fit' }),
          reading.succeeded(1),
        ]);
        const out = collect(pollTask$(source, withInterval(1)), flush);
        expect(out.events.map(({ snapshot: { progress, subtask, message } }) => ({ progress, subtask, message }))).toEqual([
          { progress: 0.2, subtask: 'load', message: 'Loading' },
          { progress: 0.2, subtask: 'load', message: 'Loading' },
          { progress: 0.6, subtask: 'fit', message: 'Loading' },
          { progress: 0.6, subtask: 'fit', message: 'Loading' },
        ]);
      });
    });

    it.each([57, -0.1, Number.NaN, '50%'])('rejects progress %p, which is not a fraction from 0 to 1', (progress) => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const bad = { ...reading.running(), progress } as unknown as TaskReading<never>;
        const error = collect(pollTask$(sequenceSource('t-1', scheduler, [bad])), flush).error as SourceContractError;
        expect(error).toBeInstanceOf(SourceContractError);
        expect(error.message).toBe(
          `Source "t-1": reading progress ${String(progress)} lies outside 0..1; sources report progress as a fraction (divide percentages by 100).`,
        );
      });
    });
  });

  describe('source contract', () => {
    it('errors naming the source when read() completes without a reading', () => {
      const source = scriptedSource('job-77', () => EMPTY);
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const error = collect(pollTask$(source), flush).error as SourceContractError;
        expect(error).toBeInstanceOf(SourceContractError);
        expect(error.message).toBe('Source "job-77": read() completed without a reading; a status request must emit one reading (or error).');
        expect(error.taskId).toBe('job-77');
      });
    });

    it('errors when read() emits two readings', () => {
      const source = scriptedSource('job-1', () => of(reading.running(), reading.running()));
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const out = collect(pollTask$(source), flush);
        expect((out.error as Error).message).toBe('Source "job-1": read() emitted a second reading; one status request must give exactly one reading.');
      });
    });

    it('errors when read() returns something that is not an Observable', () => {
      const source = { id: 'job-2', read: () => Promise.resolve(reading.running()) } as unknown as TaskSource<never>;
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const error = collect(pollTask$(source), flush).error as SourceContractError;
        expect(error.message).toBe('Source "job-2": read() returned object, not an Observable; wrap the request with taskSource() or return an Observable.');
      });
    });

    it('errors when a reading is not an object', () => {
      const source = scriptedSource('job-3', () => of(null as unknown as TaskReading<never>));
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        expect((collect(pollTask$(source), flush).error as Error).message).toBe('Source "job-3": read() emitted null, not a TaskReading object.');
      });
    });

    it('errors when result() completes without a result', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = sequenceSource('job-4', scheduler, [reading.succeeded()], 1, { result: () => EMPTY });
        expect((collect(pollTask$(source), flush).error as Error).message).toBe(
          'Source "job-4": result() completed without a result; it must emit the result of the succeeded task.',
        );
      });
    });

    it('passes a read error through unchanged when the strategy does not retry it', () => {
      const boom = new Error('socket hang up');
      const source = scriptedSource('job-5', () => throwError(() => boom));
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        expect(collect(pollTask$(source, withInterval(1)), flush).error).toBe(boom);
      });
    });

    it.each([
      [null, 'pollTask$: expected a TaskSource (an object with id and read()), but got null; build one with taskSource().'],
      [{ read: () => EMPTY }, 'pollTask$: the TaskSource needs a non-empty string id, but its id was undefined.'],
      [{ id: 'x' }, 'pollTask$: the TaskSource "x" has no read() function; a source must read the task\'s status once per call.'],
      [{ id: 'x', read: () => EMPTY, cancel: 'DELETE' }, 'pollTask$: the TaskSource "x" has a cancel that is not a function; leave it out or make it a function.'],
    ])('throws a TypeError for a source that is not a TaskSource (%p)', (source, message) => {
      expect(() => pollTask$(source as unknown as TaskSource<never>)).toThrow(new TypeError(message));
    });

    it('throws a TypeError for a strategy that is not a function', () => {
      const source = scriptedSource('x', () => EMPTY);
      expect(() => pollTask$(source, 1000 as never)).toThrow(
        new TypeError('pollTask$: the strategy must be an operator function such as withBackoff() or withInterval(1000), but was number.'),
      );
    });
  });

  describe('strategies', () => {
    it('ends with PollingStoppedError when the strategy stops before a terminal reading', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = sequenceSource('t-1', scheduler, [reading.running(0.3)]);
        const threeTimes = (readings: Observable<TaskReading<never>>) => readings.pipe(repeat({ count: 3, delay: 5 }));
        const out = collect(pollTask$(source, threeTimes), flush);
        expect(out.events).toHaveLength(3);
        const error = out.error as PollingStoppedError;
        expect(error).toBeInstanceOf(PollingStoppedError);
        expect(error.lastSnapshot).toMatchObject({ polls: 3, progress: 0.3 });
        expect(error.message).toBe(
          'Polling task "t-1" stopped before it reached a terminal status (last status running ("RUNNING"), 30% after 3 readings); use a strategy that keeps asking until the task ends, and timeoutAfter() to bound the wait.',
        );
      });
    });

    it('uses the source\'s defaultStrategy when given none', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectSubscriptions, flush }) => {
        const request = cold('-(a|)', { a: reading.running() });
        const source = { ...scriptedSource('t-1', () => request), defaultStrategy: withInterval(7) };
        pollTask$(source).pipe(take(2)).subscribe();
        flush();
        expectSubscriptions(request.subscriptions).toBe(['^!', '--------^!']);
      });
    });

    it('works with a plain RxJS operator as strategy', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const source = sequenceSource('t-1', scheduler, [reading.running(), reading.succeeded('ok')]);
        const every4 = (readings: Observable<TaskReading<string>>) => readings.pipe(repeat({ delay: 4 }));
        expectObservable(pollTask$(source, every4).pipe(map((e) => e.type))).toBe('-a----(b|)', { a: 'progress', b: 'result' });
      });
    });
  });

  describe('with taskSource', () => {
    it('aborts the signal of a read in flight when the subscriber leaves', async () => {
      const signals: AbortSignal[] = [];
      const source = taskSource({
        id: 'x',
        read: (signal) => {
          signals.push(signal);
          return new Promise<TaskReading<never>>(() => undefined);
        },
      });
      const subscription = pollTask$(source).subscribe();
      expect(signals).toHaveLength(1);
      expect(signals[0]?.aborted).toBe(false);
      subscription.unsubscribe();
      expect(signals[0]?.aborted).toBe(true);
    });

    it('never emits after a terminal reading even if the strategy keeps emitting', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const source = sequenceSource('t-1', scheduler, [reading.succeeded(1), reading.running()]);
        const chatty = () => scheduler.createColdObservable('-a-b|', { a: reading.succeeded(1), b: reading.running() });
        expectObservable(pollTask$(source, chatty as never).pipe(map((e) => e.type))).toBe('-(a|)', { a: 'result' });
      });
    });
  });
});

describe('pollTask$ with a broken strategy', () => {
  it('errors, without cancelling the task, when the strategy throws', () => {
    const bug = new Error('strategy bug');
    const source = scriptedSource('t-1', () => of(reading.running()), { cancel: () => EMPTY });
    let error: unknown;
    pollTask$(source, () => {
      throw bug;
    })
      .pipe(cancelOnUnsubscribe())
      .subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(bug);
    expect(source.cancels).toBe(0);
    expect(source.reads).toBe(0);
  });

  it('errors with a TypeError when the strategy returns something that is not an Observable', () => {
    const source = scriptedSource('t-1', () => of(reading.running()));
    let error: unknown;
    pollTask$(source, (() => 42) as never).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toEqual(new TypeError('pollTask$: the strategy returned number, not an Observable; a strategy is an operator such as withBackoff().'));
  });
});
