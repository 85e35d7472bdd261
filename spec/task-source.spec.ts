import * as fc from 'fast-check';
import * as t from 'io-ts';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import {
  CancelUnsupportedError,
  DecodeError,
  SourceContractError,
  pollTask$,
  taskSource,
  toResult,
  withInterval,
  type TaskReading,
  type AnyPollStrategy,
} from '../lib/index.js';
import { reading } from './helpers/readings.js';
import { startRawServer } from './helpers/raw-server.js';
import { readsPerSignal } from '../lib/util/abortable.js';

const Report = t.type({ rows: t.number, name: t.string }, 'Report');

/** Reads `readings` in turn (the last one repeats), each as a resolved Promise. */
function readingsInTurn(...readings: TaskReading<unknown>[]): () => Promise<TaskReading<unknown>> {
  let call = 0;
  return async () => readings[Math.min(call++, readings.length - 1)] as TaskReading<unknown>;
}

describe('taskSource', () => {
  it('reads through a Promise-returning function, given an AbortSignal', async () => {
    const signals: AbortSignal[] = [];
    const source = taskSource({
      id: 'job-1',
      read: async (signal) => {
        signals.push(signal);
        return reading.succeeded('ok');
      },
    });
    await expect(firstValueFrom(pollTask$(source).pipe(toResult()))).resolves.toBe('ok');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it('reads through an Observable-returning function', async () => {
    const source = taskSource({ id: 'job-1', read: () => of(reading.succeeded(3)) });
    await expect(firstValueFrom(pollTask$(source).pipe(toResult()))).resolves.toBe(3);
  });

  it('passes a rejected read to the strategy, which retries only what it should', async () => {
    const source = taskSource({
      id: 'job-1',
      read: () => Promise.reject(new Error('ECONNRESET')),
    });
    await expect(firstValueFrom(pollTask$(source, withInterval(0)))).rejects.toThrow('ECONNRESET');
  });

  it('fetches the result with result() and validates it with the codec', async () => {
    const source = taskSource({
      id: 'job-1',
      read: readingsInTurn(reading.running(), reading.succeeded()),
      result: async () => ({ rows: 3, name: 'report' }),
      resultCodec: Report,
    });
    const result = await firstValueFrom(pollTask$(source, withInterval(0)).pipe(toResult()));
    expect(result).toEqual({ rows: 3, name: 'report' });
  });

  it('errors with a DecodeError, never emitting, for a fetched result of the wrong shape', async () => {
    const source = taskSource({
      id: 'job-1',
      read: readingsInTurn(reading.succeeded()),
      result: async () => ({ rows: '3' }),
      resultCodec: Report,
    });
    const events = lastValueFrom(pollTask$(source, withInterval(0)).pipe(toArray()));
    const error = (await events.catch((e: unknown) => e)) as DecodeError;
    expect(error).toBeInstanceOf(DecodeError);
    expect(error.kind).toBe('decode');
    expect(error.issues).toEqual([
      'Invalid value "3" supplied to : Report/rows: number',
      'Invalid value undefined supplied to : Report/name: string',
    ]);
    expect(error.message).toBe(
      'The result of task "job-1" does not have the expected shape (Report): Invalid value "3" supplied to : Report/rows: number (and 1 more); received {"rows":"3"}. Check that the codec matches what the service sends.',
    );
  });

  it('validates an inline result with the codec', async () => {
    const good = taskSource({ id: 'a', read: readingsInTurn(reading.succeeded({ rows: 1, name: 'x' })), resultCodec: Report });
    await expect(firstValueFrom(pollTask$(good).pipe(toResult()))).resolves.toEqual({ rows: 1, name: 'x' });
    const bad = taskSource({ id: 'b', read: readingsInTurn(reading.running(), reading.succeeded({ rows: 1 })), resultCodec: Report });
    const events: string[] = [];
    const error = await new Promise((resolve) =>
      pollTask$(bad, withInterval(0)).subscribe({ next: (e) => events.push(e.type), error: resolve }),
    );
    expect(error).toBeInstanceOf(DecodeError);
    expect(events).toEqual(['progress']);
  });

  it('clips a long value in the decode message', async () => {
    const source = taskSource({ id: 'c', read: readingsInTurn(reading.succeeded('x'.repeat(1000))), resultCodec: Report });
    const error = (await firstValueFrom(pollTask$(source)).catch((e: unknown) => e)) as DecodeError;
    expect(error.message).toContain(`received ${'x'.repeat(200)}…`);
  });

  it('makes the task cancelable when cancel is given, ignoring what cancel answers', async () => {
    const cancel = jest.fn(async () => ({ status: 204 }));
    const source = taskSource({ id: 'job-1', read: readingsInTurn(reading.running()), cancel });
    const event = await firstValueFrom(pollTask$(source));
    expect(event.task.cancelable).toBe(true);
    await expect(lastValueFrom(event.task.cancel(), { defaultValue: 'done' })).resolves.toBe('done');
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('makes the task not cancelable without cancel', async () => {
    const source = taskSource({ id: 'job-1', read: readingsInTurn(reading.running()) });
    expect('cancel' in source).toBe(false);
    const event = await firstValueFrom(pollTask$(source));
    expect(event.task.cancelable).toBe(false);
    const error = await firstValueFrom(event.task.cancel()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelUnsupportedError);
    expect((error as Error).message).toBe(
      'Task "job-1" cannot be canceled: its source has no cancel(); check handle.cancelable before offering a cancel button.',
    );
  });

  it('errors naming the call when a function answers with neither a Promise nor an Observable', async () => {
    const source = taskSource({ id: 'job-1', read: (() => reading.running()) as never });
    const error = await firstValueFrom(pollTask$(source)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceContractError);
    expect((error as Error).message).toBe(
      'Source "job-1" read() returned object, not a Promise or an Observable; return the request\'s Promise (or Observable).',
    );
  });

  it('keeps the defaultStrategy for pollTask$', () => {
    const strategy = withInterval(5);
    expect(taskSource({ id: 'a', read: readingsInTurn(reading.running()), defaultStrategy: strategy }).defaultStrategy).toBe(strategy);
  });

  it.each([
    [undefined, 'taskSource: a config with id and read is required.'],
    [{ read: () => of() }, 'taskSource: option "id" must be a non-empty string (the task\'s id or status URL), but was undefined.'],
    [{ id: '', read: () => of() }, 'taskSource: option "id" must be a non-empty string (the task\'s id or status URL), but was "".'],
    [{ id: 'a' }, 'taskSource: option "read" must be a function that reads the task\'s status once, but was undefined.'],
    [{ id: 'a', read: () => of(), cancel: 'DELETE' }, 'taskSource: option "cancel" must be a function, but was string.'],
    [{ id: 'a', read: () => of(), resultCodec: 'Report' }, 'taskSource: option "resultCodec" must be an io-ts codec (with decode()), but was string.'],
    [{ id: 'a', read: () => of(), poll: () => of() }, 'taskSource: unknown option "poll"; the options are id, read, result, cancel, resultCodec, defaultStrategy.'],
  ])('throws a TypeError for %p', (config, message) => {
    expect(() => taskSource(config as never)).toThrow(new TypeError(message));
  });
});

describe('taskSource: the AbortSignal given to each call', () => {
  /**
   * A source whose first `answered` reads answer "running" at once and whose next read never answers; each
   * read adds an abort listener to its signal. Resolves `inFlight` when that last read was called.
   */
  function abandonedAfter(answered: number) {
    const signals: AbortSignal[] = [];
    const heard: number[] = []; // the index of each read whose listener heard an abort
    let reachedLast!: () => void;
    const inFlight = new Promise<void>((resolve) => (reachedLast = resolve));
    const source = taskSource({
      id: 'job-1',
      read: (signal) => {
        const index = signals.push(signal) - 1;
        signal.addEventListener('abort', () => heard.push(index));
        if (index < answered) return Promise.resolve(reading.running());
        reachedLast();
        return new Promise<TaskReading<never>>(() => undefined);
      },
    });
    return { source, signals, heard, inFlight };
  }

  it('shares a signal among at most 32 reads of a wait, and aborts only the one of the read in flight when the wait stops', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 70 }), async (answered) => {
        const { source, signals, heard, inFlight } = abandonedAfter(answered);
        const errors: unknown[] = [];
        const subscription = pollTask$(source, withInterval(0)).subscribe({ error: (error: unknown) => errors.push(error) });
        await inFlight;
        expect(errors).toEqual([]);
        expect(signals.every((signal) => !signal.aborted)).toBe(true);
        // Reads 0–31 share a signal, 32–63 the next, and so on.
        const group = (index: number): number => Math.floor(index / readsPerSignal);
        expect(new Set(signals).size).toBe(group(answered) + 1);
        signals.forEach((signal, index) => expect(signal).toBe(signals[group(index) * readsPerSignal]));
        subscription.unsubscribe();
        // The signal of the read in flight aborts: its listeners (this read's and those of the reads that shared
        // it) hear it once each; a signal that earlier reads used alone never aborts.
        expect(signals.map((signal) => signal.aborted)).toEqual(signals.map((_, index) => group(index) === group(answered)));
        expect(heard).toEqual(signals.map((_, index) => index).filter((index) => group(index) === group(answered)));
        expect(signals[answered]?.reason).toBeInstanceOf(DOMException);
      }),
      { numRuns: 25 },
    );
  });

  it('gives each read its own signal when the strategy has no plan: a user\'s operator may abandon a read and go on', async () => {
    const { source, signals, inFlight } = abandonedAfter(3);
    const plain: AnyPollStrategy = (readings) => withInterval(0)(readings);
    const subscription = pollTask$(source, plain).subscribe();
    await inFlight;
    subscription.unsubscribe();
    expect(new Set(signals).size).toBe(4);
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false, false, true]);
  });

  it('aborts a fetch given the signal: the request is closed and fetch rejects with an AbortError', async () => {
    const server = await startRawServer(() => 'hold');
    try {
      let fetched: Promise<unknown> | undefined;
      const source = taskSource({
        id: 'job-1',
        read: (signal) => {
          fetched = fetch(`${server.url}/jobs/1`, { signal });
          return fetched.then(() => reading.running());
        },
      });
      const errors: unknown[] = [];
      const subscription = pollTask$(source).subscribe({ error: (error: unknown) => errors.push(error) });
      const request = await server.next((seen) => seen.path === '/jobs/1');
      expect(errors).toEqual([]);
      subscription.unsubscribe();
      await request.closed;
      await expect(fetched).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await server.close();
    }
  });
});
