import { ignoreElements, Observable } from 'rxjs';
import type * as t from 'io-ts';
import { fromAbortable } from './internal/abortable.js';
import { decoderFor } from './internal/decode.js';
import { checkOptions } from './internal/options.js';
import type { TaskReading } from './snapshot.js';
import type { TaskSource } from './source.js';
import type { PollStrategy } from './strategies/poll-strategy.js';

/** What a source function may answer with: a Promise (async function) or an Observable. */
export type SourceAnswer<T> = PromiseLike<T> | Observable<T>;

interface CommonSourceConfig {
  /** A stable id for the task: its service's task id or status URL. */
  readonly id: string;
  /** Cancels the task on its service. Given an AbortSignal that aborts if nobody waits for the answer. */
  readonly cancel?: (signal: AbortSignal) => SourceAnswer<unknown>;
  /** The waiting the service expects, used by {@link pollTask$} when it is given no strategy. */
  readonly defaultStrategy?: PollStrategy;
}

/** {@link taskSource}'s config when the readings already carry typed results. */
export interface TaskSourceConfig<R> extends CommonSourceConfig {
  /**
   * Reads the task's status once and maps it to a {@link TaskReading}. Given an AbortSignal that aborts when
   * the subscriber leaves (pass it to `fetch`).
   */
  readonly read: (signal: AbortSignal) => SourceAnswer<TaskReading<R>>;
  /** Fetches the result of a succeeded task whose reading does not carry it. */
  readonly result?: (last: TaskReading<R>, signal: AbortSignal) => SourceAnswer<R>;
  readonly resultCodec?: undefined;
}

/** {@link taskSource}'s config with an io-ts codec that validates (and types) the result. */
export interface DecodedTaskSourceConfig<R> extends CommonSourceConfig {
  /** Reads the task's status once; the result in a succeeded reading is checked by `resultCodec`. */
  readonly read: (signal: AbortSignal) => SourceAnswer<TaskReading<unknown>>;
  /** Fetches the result of a succeeded task whose reading does not carry it; checked by `resultCodec`. */
  readonly result?: (last: TaskReading<unknown>, signal: AbortSignal) => SourceAnswer<unknown>;
  /**
   * Validates the result, inline or fetched. A result that does not decode errors with {@link DecodeError}
   * (never retried) and is never emitted.
   */
  readonly resultCodec: t.Decoder<unknown, R>;
}

const optionNames = ['id', 'read', 'result', 'cancel', 'resultCodec', 'defaultStrategy'];

/**
 * Builds a {@link TaskSource} from plain functions that return Promises (or Observables). Each function gets
 * an AbortSignal that aborts when the subscriber leaves before the answer, so passing it to `fetch` makes
 * unsubscribing cancel the request.
 *
 * @throws TypeError naming the option, for a missing id or read, or an option of the wrong type.
 *
 * @example
 * const source = taskSource({
 *   id: jobId,
 *   read: async (signal) => {
 *     const body = await (await fetch(`/jobs/${jobId}`, { signal })).json();
 *     return { runStatus: toRunStatus(body.state), vendorStatus: body.state, progress: body.pct / 100, raw: body };
 *   },
 *   result: async (_last, signal) => (await fetch(`/jobs/${jobId}/result`, { signal })).json(),
 *   cancel: (signal) => fetch(`/jobs/${jobId}`, { method: 'DELETE', signal }),
 *   resultCodec: Report, // an io-ts codec: the result is validated and typed as Report
 * });
 */
export function taskSource<R>(config: DecodedTaskSourceConfig<R>): TaskSource<R>;
export function taskSource<R>(config: TaskSourceConfig<R>): TaskSource<R>;
export function taskSource<R>(config: TaskSourceConfig<R> | DecodedTaskSourceConfig<R>): TaskSource<R> {
  const fn = 'taskSource';
  if (config === undefined) throw new TypeError(`${fn}: a config with id and read is required.`);
  checkOptions(fn, config, optionNames);
  const { id, read, result, cancel, resultCodec, defaultStrategy } = config;
  if (typeof id !== 'string' || id === '') {
    throw new TypeError(`${fn}: option "id" must be a non-empty string (the task's id or status URL), but was ${JSON.stringify(id) ?? 'undefined'}.`);
  }
  if (typeof read !== 'function') {
    throw new TypeError(`${fn}: option "read" must be a function that reads the task's status once, but was ${typeof read}.`);
  }
  for (const [name, value] of [['result', result], ['cancel', cancel], ['defaultStrategy', defaultStrategy]] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`${fn}: option "${name}" must be a function, but was ${typeof value}.`);
    }
  }
  if (resultCodec !== undefined && typeof (resultCodec as Partial<t.Decoder<unknown, R>>).decode !== 'function') {
    throw new TypeError(`${fn}: option "resultCodec" must be an io-ts codec (with decode()), but was ${typeof resultCodec}.`);
  }

  const decode = resultDecoder(id, resultCodec);
  const rawRead$ = fromAbortable(read as (signal: AbortSignal) => SourceAnswer<TaskReading<unknown>>, `Source "${id}" read()`, id);
  // One cold Observable serves every read: each subscription calls `read` anew with its own signal.
  const read$: Observable<TaskReading<R>> =
    decode === undefined ? (rawRead$ as Observable<TaskReading<R>>) : mapOrError(rawRead$, (reading) => decodedReading(reading, decode));
  return assembleSource(id, read$, config, decode);
}

/** Validates (and types) a task's result with `codec`; undefined without a codec. */
export function resultDecoder<R>(id: string, codec: t.Decoder<unknown, R> | undefined): ((value: unknown) => R) | undefined {
  return codec === undefined ? undefined : decoderFor(codec, `The result of task "${id}"`, id);
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
  const { result, cancel, defaultStrategy } = parts;
  const source: { -readonly [K in keyof TaskSource<R>]: TaskSource<R>[K] } = { id, read: () => read$ };
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
function mapOrError<A, B>(values: Observable<A>, map: (value: A) => B): Observable<B> {
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
