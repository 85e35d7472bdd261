import { ignoreElements, Observable } from 'rxjs';
import type * as t from 'io-ts';
import { fromAbortable } from './abortable.js';
import { decodeOrThrow } from './decode.js';
import type { SourceAnswer, TaskSource } from '../task-source.js';
import type { TaskReading } from '../snapshot.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';

// The parts of a TaskSource that taskSource() and httpTask() build alike: result validation and the requests
// run through fromAbortable.

/** Validates (and types) a task's result with `codec`; undefined without a codec. (Once per wait: no fast path.) */
export function resultDecoder<R>(id: string, codec: t.Decoder<unknown, R> | undefined): ((value: unknown) => R) | undefined {
  return codec === undefined ? undefined : (value) => decodeOrThrow(codec, value, `The result of task "${id}"`, id);
}

/** `reading` with its inline result (of a succeeded task) decoded. */
export function decodedReading<R>(reading: TaskReading<unknown>, decode: (value: unknown) => R): TaskReading<R> {
  return reading?.runStatus === 'succeeded' && reading.result !== undefined ? { ...reading, result: decode(reading.result) } : (reading as TaskReading<R>);
}

/** What a source has besides its status read. */
interface SourceParts<R> {
  readonly result?: ((last: TaskReading<R>, signal: AbortSignal) => SourceAnswer<unknown>) | undefined;
  readonly cancel?: ((signal: AbortSignal) => SourceAnswer<unknown>) | undefined;
  readonly defaultStrategy?: PollStrategy | undefined;
  /** The status read as a plain call (see TaskSource.readCall), when it answers readings as they are. */
  readonly readCall?: ((signal: AbortSignal) => SourceAnswer<TaskReading<R>>) | undefined;
}

/**
 * A frozen source of `read$` and of the optional functions of `parts` (checked already), each request run
 * through fromAbortable, results validated by `decode`. taskSource builds `read$` from a user's function;
 * httpTask builds its own.
 */
export function assembleSource<R>(
  id: string,
  read$: Observable<TaskReading<R>>,
  parts: SourceParts<R>,
  decode: ((value: unknown) => R) | undefined,
): TaskSource<R> {
  const { result, cancel, defaultStrategy, readCall } = parts;
  const source: { -readonly [K in keyof TaskSource<R>]: TaskSource<R>[K] } = { id, read: () => read$ };
  if (readCall !== undefined) source.readCall = readCall;
  if (result !== undefined) {
    source.result = (last) => {
      const fetched = fromAbortable((signal) => result(last, signal), `Source "${id}" result()`, id);
      return decode === undefined ? (fetched as Observable<R>) : mapOrError(fetched, decode);
    };
  }
  if (cancel !== undefined) {
    const cancel$ = fromAbortable(cancel, `Source "${id}" cancel()`, id).pipe(ignoreElements());
    source.cancel = () => cancel$ as Observable<void>;
  }
  if (defaultStrategy !== undefined) source.defaultStrategy = defaultStrategy;
  return Object.freeze(source);
}

/** Maps each value with `map`; a throw from `map` errors the stream instead of escaping. */
export function mapOrError<A, B>(values: Observable<A>, map: (value: A) => B): Observable<B> {
  return new Observable<B>((subscriber) =>
    values.subscribe({
      next(value) {
        let mapped: B;
        try {
          mapped = map(value);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        subscriber.next(mapped);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
}
