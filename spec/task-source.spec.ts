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
} from '../lib/index.js';
import { reading } from './helpers/readings.js';

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
