import type * as t from 'io-ts';
import { checkOptions, optionNamesOf } from '../util/options.js';
import type { RunStatus, TaskFailure } from '../snapshot.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import type { HeaderReader } from './transport.js';

/**
 * What a dialect makes of one status answer. `raw` and `retryAfterMs` are filled in by {@link httpTask}; the
 * reading carries the fields below and no others.
 */
export interface DialectReading {
  /** The status on the common lifecycle, or `undefined` when the service's word is not one the dialect knows: the wait then ends with {@link UnknownStatusError}. */
  readonly runStatus: RunStatus | undefined;
  /** The service's own status word, verbatim. */
  readonly vendorStatus: string;
  /** Progress from 0 to 1 (divide percentages by 100). Values a little outside are clamped. */
  readonly progress?: number;
  readonly subtask?: string;
  readonly message?: string;
  /** The result, when the status answer carries it (checked by the source's `result` codec). */
  readonly result?: unknown;
  readonly failure?: TaskFailure;
}

/** The answer a dialect reads: its HTTP status, headers and the URL that answered. */
export interface ResponseInfo {
  readonly status: number;
  readonly headers: HeaderReader;
  readonly url: string;
}

/** A request that cancels a task: sent with the source's headers, to an allowed origin only. */
export interface CancelRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
}

/** What a dialect is given to build its cancel request. */
export interface CancelContext {
  /** A random token made once per source, for services that take an idempotency token (Deadline Cloud's `X-Amz-Client-Token`). */
  readonly idempotencyToken: string;
}

/**
 * How one service's task API talks: the shape of its status answer, how that maps onto a
 * {@link DialectReading}, where the result lives when it is not inline, how to cancel, and how its SDK
 * waits by default. Build one with {@link defineDialect}.
 *
 * @typeParam B - the status body, as the `status` codec decodes it.
 */
export interface DialectSpec<B> {
  /** The service's name, used in messages ("Benchling"). @default "the service" */
  readonly name?: string;
  /** An io-ts codec for the status body. A body that does not decode ends the wait with a {@link DecodeError}. */
  readonly status: t.Decoder<unknown, B>;
  /** Maps a decoded status body onto the common model. */
  toReading(body: B, response: ResponseInfo): DialectReading;
  /** Where to GET the result of a succeeded task whose status answer does not carry it. */
  resultUrl?(statusUrl: string, body: B): string;
  /** Picks the result out of the result answer's body (e.g. Evo's `results`). Default: the whole body. */
  selectResult?(body: unknown): unknown;
  /** The request that cancels the task. Leave it out when the service cannot cancel tasks. */
  cancel?(statusUrl: string, context: CancelContext): CancelRequest;
  /** What a 404 means for this service once the task was seen (e.g. "its data expired after 30 minutes"). */
  readonly expiredMessage?: string;
  /** The waiting the service's SDK uses, taken by {@link pollTask$} when it is given no strategy. */
  readonly defaultStrategy?: PollStrategy;
}

const dialectBrand = Symbol.for('poll-task.Dialect');

/** A checked {@link DialectSpec}: what {@link httpTask} takes. */
export type Dialect<B = unknown> = DialectSpec<B> & { readonly name: string; readonly [dialectBrand]: true };

/** Whether `value` was made by {@link defineDialect} (any copy of the library). */
export function isDialect(value: unknown): value is Dialect {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[dialectBrand] === true;
}

const specNames = optionNamesOf<DialectSpec<unknown>>()({
  name: true,
  status: true,
  toReading: true,
  resultUrl: true,
  selectResult: true,
  cancel: true,
  expiredMessage: true,
  defaultStrategy: true,
});

/**
 * Defines how to talk to a JSON task API that is not built in: the status codec, the mapping to a reading,
 * and optionally the result URL, the cancel request and the default waiting.
 *
 * @throws TypeError naming the option, for a missing name, codec or toReading, or an option of the wrong type.
 *
 * @example
 * const render = defineDialect({
 *   name: 'RenderFarm',
 *   status: t.type({ state: t.string, pct: t.number }),
 *   toReading: (body) => ({
 *     runStatus: ({ QUEUED: 'pending', WORKING: 'running', DONE: 'succeeded', BROKEN: 'failed' } as const)[body.state],
 *     vendorStatus: body.state,
 *     progress: body.pct / 100,
 *   }),
 *   cancel: (statusUrl) => ({ method: 'DELETE', url: statusUrl }),
 *   defaultStrategy: withInterval(2000),
 * });
 */
export function defineDialect<B>(spec: DialectSpec<B>): Dialect<B> {
  const fn = 'defineDialect';
  if (spec === undefined) throw new TypeError(`${fn}: a spec with name, status and toReading is required.`);
  checkOptions(fn, spec, specNames);
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) {
    throw new TypeError(`${fn}: option "name" must be the service's name, a non-empty string.`);
  }
  if (typeof (spec.status as Partial<t.Decoder<unknown, B>> | undefined)?.decode !== 'function') {
    throw new TypeError(`${fn}: option "status" must be an io-ts codec for the status body (with decode()).`);
  }
  for (const name of ['toReading', 'resultUrl', 'selectResult', 'cancel', 'defaultStrategy'] as const) {
    const value = spec[name];
    if ((name === 'toReading' || value !== undefined) && typeof value !== 'function') {
      throw new TypeError(`${fn}: option "${name}" must be a function, but was ${typeof value}.`);
    }
  }
  if (spec.expiredMessage !== undefined && typeof spec.expiredMessage !== 'string') {
    throw new TypeError(`${fn}: option "expiredMessage" must be a string.`);
  }
  return Object.freeze({ ...spec, name: spec.name ?? 'the service', [dialectBrand]: true as const });
}

/** Looks `word` up in a status table; `undefined` for a word the table does not have. */
export function statusFrom(table: Readonly<Record<string, RunStatus>>, word: string): RunStatus | undefined {
  return Object.prototype.hasOwnProperty.call(table, word) ? table[word] : undefined;
}
