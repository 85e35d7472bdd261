import { EMPTY, filter, map, NEVER, Observable, of, throwError } from 'rxjs';
import { cancelOnUnsubscribe, pollTask$, timeoutAfter, withInterval, type TaskHandle } from '../../lib/index.js';
import { unavailable } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource } from '../helpers/sources.js';

describe('cancelOnUnsubscribe', () => {
  it('cancels the task once when the subscriber leaves mid-run, after stopping the loop', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      const stream = pollTask$(source, withInterval(2)).pipe(cancelOnUnsubscribe(), map(() => 'p'));
      expectObservable(stream, '^-----!').toBe('-p--p-');
      flush();
      expect(source.cancels).toBe(1);
      expect(source.reads).toBe(2);
    });
  });

  it('lets the cancel request run to its end although nobody watches any more', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const cancel = cold<void>('---|');
      const source = sequenceSource('job-1', scheduler, [reading.running()], 1, { cancel: () => cancel });
      expectObservable(pollTask$(source, withInterval(2)).pipe(cancelOnUnsubscribe(), map(() => 'p')), '^-!').toBe('-p');
      expectSubscriptions(cancel.subscriptions).toBe('--^--!');
    });
  });

  it('cancels when the subscriber leaves before the first reading, directly on pollTask$', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const request = cold('-----(a|)', { a: reading.running() });
      const source = scriptedSource('job-1', () => request, { cancel: () => EMPTY });
      expectObservable(pollTask$(source).pipe(cancelOnUnsubscribe()), '^-!').toBe('');
      flush();
      expectSubscriptions(request.subscriptions).toBe('^-!');
      expect(source.cancels).toBe(1);
    });
  });

  it('knows tasks only from their events when other operators stand between', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const early = sequenceSource('job-1', scheduler, [reading.running()], 5);
      expectObservable(pollTask$(early).pipe(filter(() => true), cancelOnUnsubscribe()), '^-!').toBe('');
      const later = sequenceSource('job-2', scheduler, [reading.running()], 1);
      expectObservable(pollTask$(later, withInterval(5)).pipe(filter(() => true), cancelOnUnsubscribe(), map(() => 'p')), '^--!').toBe('-p-');
      flush();
      expect(early.cancels).toBe(0);
      expect(later.cancels).toBe(1);
    });
  });

  it('does not cancel after the task succeeded', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running(), reading.succeeded('ok')]);
      expectObservable(pollTask$(source, withInterval(1)).pipe(cancelOnUnsubscribe(), map((e) => e.type))).toBe('-a-(b|)', {
        a: 'progress',
        b: 'result',
      });
      flush();
      expect(source.cancels).toBe(0);
    });
  });

  it('does not cancel when the subscriber leaves while the result is being fetched', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.succeeded()], 1, { result: () => cold('-----(r|)', { r: 'R' }) });
      expectObservable(pollTask$(source).pipe(cancelOnUnsubscribe()), '^--!').toBe('');
      flush();
      expect(source.cancels).toBe(0);
    });
  });

  it.each([
    ['a failure', [reading.failed({ code: 'E1' })]],
    ['a cancel', [reading.canceled()]],
  ])('does not cancel after %s ended the stream', (_name, readings) => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = sequenceSource('job-1', scheduler, readings);
      pollTask$(source).pipe(cancelOnUnsubscribe()).subscribe({ error: () => undefined });
      flush();
      expect(source.cancels).toBe(0);
    });
  });

  it('does not cancel after a transport error ended the stream', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = scriptedSource('job-1', () => throwError(() => unavailable()), { cancel: () => EMPTY });
      pollTask$(source, withInterval(1, { maxConsecutiveErrors: 0 })).pipe(cancelOnUnsubscribe()).subscribe({ error: () => undefined });
      flush();
      expect(source.cancels).toBe(0);
    });
  });

  it('cancels on timeout when placed upstream of timeoutAfter', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      pollTask$(source, withInterval(1)).pipe(cancelOnUnsubscribe(), timeoutAfter(10)).subscribe({ error: () => undefined });
      flush();
      expect(source.cancels).toBe(1);
    });
  });

  it('does not cancel on timeout when placed downstream of timeoutAfter', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      pollTask$(source, withInterval(1)).pipe(timeoutAfter(10), cancelOnUnsubscribe()).subscribe({ error: () => undefined });
      flush();
      expect(source.cancels).toBe(0);
    });
  });

  it('is a no-op for a source that cannot cancel', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const onError = jest.fn();
      const source = scriptedSource('job-1', () => NEVER);
      const subscription = pollTask$(source).pipe(cancelOnUnsubscribe({ onError })).subscribe();
      subscription.unsubscribe();
      flush();
      expect(onError).not.toHaveBeenCalled();
    });
  });

  it('reports a failed cancel to onError with the task', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const refused = new Error('403 Forbidden');
      const onError = jest.fn();
      const source = scriptedSource('job-1', () => NEVER, { cancel: () => throwError(() => refused) });
      pollTask$(source).pipe(cancelOnUnsubscribe({ onError })).subscribe().unsubscribe();
      flush();
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0][0]).toBe(refused);
      expect((onError.mock.calls[0][1] as TaskHandle).id).toBe('job-1');
    });
  });

  it('reports a cancel that throws while being set up', () => {
    const onError = jest.fn();
    const source = scriptedSource('job-1', () => NEVER);
    const broken = {
      ...source,
      cancel: (): Observable<void> => {
        throw new Error('no session');
      },
    };
    pollTask$(broken).pipe(cancelOnUnsubscribe({ onError })).subscribe().unsubscribe();
    expect((onError.mock.calls[0][0] as Error).message).toBe('no session');
  });

  it('warns on the console by default when a cancel fails', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const source = scriptedSource('job-9', () => NEVER, { cancel: () => throwError(() => new Error('503 Service Unavailable')) });
      pollTask$(source).pipe(cancelOnUnsubscribe()).subscribe().unsubscribe();
      expect(warn).toHaveBeenCalledWith('poll-task: canceling task "job-9" failed: 503 Service Unavailable');
    } finally {
      warn.mockRestore();
    }
  });

  it('cancels once when applied twice', () => {
    const source = scriptedSource('job-1', () => NEVER, { cancel: () => EMPTY });
    pollTask$(source).pipe(cancelOnUnsubscribe(), cancelOnUnsubscribe()).subscribe().unsubscribe();
    expect(source.cancels).toBe(1);
  });

  it('cancels every unfinished task seen in a stream of several tasks', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const a = scriptedSource('a', () => NEVER, { cancel: () => EMPTY });
      const b = scriptedSource('b', () => NEVER, { cancel: () => EMPTY });
      const c = scriptedSource('c', () => NEVER, { cancel: () => EMPTY });
      const handle = (source: typeof a): TaskHandle => ({ id: source.id, cancelable: true, cancel: () => source.cancel!() });
      const events = cold('-a-b-c-', {
        a: { type: 'progress', task: handle(a) },
        b: { type: 'progress', task: handle(b) },
        c: { type: 'result', task: handle(a) },
      });
      expectObservable(events.pipe(cancelOnUnsubscribe()).pipe(map((e) => e.type)), '^------!').toBe('-a-b-c-', {
        a: 'progress',
        b: 'progress',
        c: 'result',
      });
      flush();
      expect([a.cancels, b.cancels, c.cancels]).toEqual([0, 1, 0]);
    });
  });

  it.each([
    [{ onError: 'log' }, 'cancelOnUnsubscribe: option "onError" must be a function, but was "log".'],
    [{ confirm: true }, 'cancelOnUnsubscribe: unknown option "confirm"; the options are onError.'],
  ])('throws a TypeError for %p', (config, message) => {
    expect(() => cancelOnUnsubscribe(config as never)).toThrow(new TypeError(message));
  });

  it('passes values, errors and completion through unchanged', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(of({ type: 'x' }).pipe(cancelOnUnsubscribe())).toBe('(a|)', { a: { type: 'x' } });
      expectObservable(throwError(() => 'boom').pipe(cancelOnUnsubscribe())).toBe('#', undefined, 'boom');
    });
  });
});
