import { EMPTY, firstValueFrom, map, NEVER, of, throwError, type Observable } from 'rxjs';
import {
  SourceContractError,
  cancelOnUnsubscribe,
  startTask$,
  toResult,
  withInterval,
  type TaskSource,
} from '../lib/index.js';
import { reading } from './helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource } from './helpers/sources.js';

describe('startTask$', () => {
  it('starts a task per subscription, only on subscribe', () => {
    const start = jest.fn(() => of(scriptedSource('job', () => NEVER)));
    const stream = startTask$(start);
    expect(start).not.toHaveBeenCalled();
    stream.subscribe().unsubscribe();
    stream.subscribe().unsubscribe();
    expect(start).toHaveBeenCalledTimes(2);
  });

  it('polls the source that start delivered, like pollTask$', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running(0.5), reading.succeeded('out')]);
      const stream = startTask$(() => cold('--(s|)', { s: source }), withInterval(1));
      expectObservable(stream.pipe(map((e) => `${e.type}:${e.snapshot.elapsedMs}`))).toBe('---a-(b|)', {
        a: 'progress:1',
        b: 'result:3',
      });
    });
  });

  it('cancels the created task as soon as start delivers it, when the subscriber left during start', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      const starting = cold('----(s|)', { s: source as TaskSource<never> });
      expectObservable(startTask$(() => starting).pipe(cancelOnUnsubscribe()), '^-!').toBe('');
      flush();
      expectSubscriptions(starting.subscriptions).toBe('^---!');
      expect(source.cancels).toBe(1);
      expect(source.reads).toBe(0);
    });
  });

  it('aborts start and cancels nothing when the subscriber leaves during start without cancelOnUnsubscribe', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      const starting = cold('----(s|)', { s: source as TaskSource<never> });
      const signals: AbortSignal[] = [];
      const stream = startTask$((signal) => {
        signals.push(signal);
        return starting;
      });
      expectObservable(stream, '^-!').toBe('');
      flush();
      expectSubscriptions(starting.subscriptions).toBe('^-!');
      expect(signals[0]?.aborted).toBe(true);
      expect(source.cancels).toBe(0);
    });
  });

  it('cancels a running task on unsubscribe once start delivered it', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const source = sequenceSource('job-1', scheduler, [reading.running()]);
      expectObservable(startTask$(() => of(source), withInterval(1)).pipe(cancelOnUnsubscribe(), map(() => 'p')), '^--!').toBe('-p-');
      flush();
      expect(source.cancels).toBe(1);
    });
  });

  it('works with a start that returns a Promise', async () => {
    const source = scriptedSource('job-1', (call) => of(call < 2 ? reading.running() : reading.succeeded(42)));
    await expect(firstValueFrom(startTask$(async () => source, withInterval(0)).pipe(toResult()))).resolves.toBe(42);
  });

  it('cancels the task of a Promise start that resolves after the subscriber left', async () => {
    let deliver: (source: TaskSource<never>) => void = () => undefined;
    const source = scriptedSource<never>('job-1', () => NEVER, { cancel: () => EMPTY });
    const pending = new Promise<TaskSource<never>>((resolve) => (deliver = resolve));
    startTask$(() => pending).pipe(cancelOnUnsubscribe()).subscribe().unsubscribe();
    expect(source.cancels).toBe(0);
    deliver(source);
    await pending;
    expect(source.cancels).toBe(1);
    expect(source.reads).toBe(0);
  });

  describe('errors', () => {
    function errorOf(stream: Observable<unknown>): unknown {
      let error: unknown;
      stream.subscribe({ error: (e: unknown) => (error = e) });
      return error;
    }

    it('passes the error of start through', () => {
      const refused = new Error('quota exceeded');
      expect(errorOf(startTask$(() => throwError(() => refused)))).toBe(refused);
      expect(
        errorOf(
          startTask$(() => {
            throw refused;
          }),
        ),
      ).toBe(refused);
    });

    it('errors when start completes without a source', () => {
      const error = errorOf(startTask$(() => EMPTY));
      expect(error).toBeInstanceOf(SourceContractError);
      expect((error as Error).message).toBe(
        'startTask$: start() completed without delivering a TaskSource; it must emit (or resolve to) the source of the task it created.',
      );
    });

    it('errors when start delivers something that is not a source', () => {
      const error = errorOf(startTask$(() => of({ id: 'x' } as unknown as TaskSource<never>)));
      expect((error as Error).message).toBe(
        'startTask$: start() delivered something that is not a TaskSource: startTask$: the TaskSource "x" has no read() function; a source must read the task\'s status once per call.',
      );
    });

    it('errors when start returns neither a Promise nor an Observable', () => {
      const error = errorOf(startTask$(() => 'job-1' as never));
      expect((error as Error).message).toBe('startTask$: start() returned string, not a Promise or an Observable of the task\'s source.');
    });

    it('throws a TypeError for a start or strategy that is not a function', () => {
      expect(() => startTask$('POST /jobs' as never)).toThrow(
        new TypeError('startTask$: start must be a function that creates the task and returns its TaskSource, but was string.'),
      );
      expect(() => startTask$(() => EMPTY, {} as never)).toThrow(
        new TypeError('startTask$: the strategy must be an operator function such as withBackoff(), but was object.'),
      );
    });
  });
});
