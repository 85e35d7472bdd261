import type { Observable } from 'rxjs';
import type * as t from 'io-ts';
import { fromAbortable } from './util/abortable.js';
import { checkOptions, optionNamesOf } from './util/options.js';
import type { TaskReading } from './snapshot.js';
import type { PollStrategy } from './strategies/poll-strategy.js';
import { assembleSource, decodedReading, mapOrError, resultDecoder } from './util/assemble-source.js';

/**
 * One remote task, as {@link pollTask$} needs it: a way to read its status once, and optionally ways to fetch
 * its result and to cancel it. Build one with {@link taskSource} from functions that return Promises, or
 * implement this interface with Observables directly.
 *
 * Each method returns a cold Observable: subscribing sends the request, unsubscribing aborts it.
 *
 * @typeParam R - the type of the task's result.
 */
export interface TaskSource<R = unknown> {
  /** A stable id for the task (its service's task id or status URL). Used in snapshots, errors and sharing. */
  readonly id: string;
  /** One status request: emits exactly one reading, then completes. Unsubscribing aborts the request. */
  read(): Observable<TaskReading<R>>;
  /**
   * Fetches the result of a `succeeded` task whose reading did not carry it inline (Evo keeps results apart).
   * Emits the result, then completes.
   */
  result?(last: TaskReading<R>): Observable<R>;
  /**
   * The status read as a plain call: given the read's AbortSignal, answers a Promise (or an Observable) of
   * one reading, exactly as subscribing `read()` would. {@link taskSource} sets it to your `read` function
   * (without a `resultCodec`); {@link pollTask$} then calls it instead of subscribing `read()` when its strategy
   * has a plan, so a read costs no Observable and its signal is shared by the reads of the wait (see
   * {@link TaskSourceConfig.read}). A source that has it must answer as `read()` does.
   */
  readonly readCall?: (signal: AbortSignal) => SourceAnswer<TaskReading<R>>;
  /** Asks the service to cancel the task, then completes. Absent when the service cannot cancel tasks. */
  cancel?(): Observable<void>;
  /**
   * The waiting this task's service expects (its SDK's interval, backoff and retries). {@link pollTask$} uses it
   * when it is given no strategy; without it, `withBackoff()` with its defaults.
   */
  readonly defaultStrategy?: PollStrategy;
}

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
   * the subscriber leaves while this read is in flight (pass it to `fetch`). When a strategy with a plan
   * calls it (see {@link TaskSource.readCall}), up to 10 reads of one wait in a row share a signal: it aborts
   * only when the wait stops while one of them is in flight, so listeners the earlier ones added hear it then
   * too, and a listener you add and never remove is held for at most 10 reads.
   */
  readonly read: (signal: AbortSignal) => SourceAnswer<TaskReading<R>>;
  /** Fetches the result of a succeeded task whose reading does not carry it. */
  readonly result?: (last: TaskReading<R>, signal: AbortSignal) => SourceAnswer<R>;
  readonly resultCodec?: undefined;
}

/** {@link taskSource}'s config with an io-ts codec that validates (and types) the result. */
export interface DecodedTaskSourceConfig<R> extends CommonSourceConfig {
  /** Reads the task's status once, given a signal as in {@link TaskSourceConfig.read}; the result in a succeeded reading is checked by `resultCodec`. */
  readonly read: (signal: AbortSignal) => SourceAnswer<TaskReading<unknown>>;
  /** Fetches the result of a succeeded task whose reading does not carry it; checked by `resultCodec`. */
  readonly result?: (last: TaskReading<unknown>, signal: AbortSignal) => SourceAnswer<unknown>;
  /**
   * Validates the result, inline or fetched. A result that does not decode errors with {@link DecodeError}
   * (never retried) and is never emitted.
   */
  readonly resultCodec: t.Decoder<unknown, R>;
}

// Both configs' names: TaskSourceConfig's and DecodedTaskSourceConfig's `resultCodec`.
const optionNames = optionNamesOf<TaskSourceConfig<unknown> | DecodedTaskSourceConfig<unknown>>()({
  id: true,
  read: true,
  result: true,
  cancel: true,
  resultCodec: true,
  defaultStrategy: true,
});

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
  // Without a codec, the user's read answers readings as they are: the loop may call it directly.
  return assembleSource(id, read$, decode === undefined ? { ...config, readCall: read as TaskSourceConfig<R>['read'] } : config, decode);
}
