import type * as t from 'io-ts';
import { UnknownStatusError, isPollTaskError, withDecision, type TransportError } from '../errors.js';
import { fromAbortable } from '../util/abortable.js';
import { defaultRandom } from '../core/clock.js';
import { decoderFor } from '../util/fast-decode.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf } from '../util/options.js';
import { defaultMaxRetryAfterMs } from '../core/plan.js';
import { clockOfWait } from '../core/wait-scope.js';
import { SentSecrets, headerFault } from '../util/redact.js';
import { withoutQuery } from '../util/urls.js';
import type { TaskReading } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
import { assembleSource, decodedReading, resultDecoder } from '../util/assemble-source.js';
import { isDialect, type Dialect, type DialectReading } from './dialect.js';
import { pause, send, sentHeaders, type Fetch, type HeadersOption, type HttpAnswer, type Transport } from './transport.js';
import { crossFetch } from './cross-fetch.js';
import { fetchKindOf } from './fetch-kind.js';
import { allowedOriginsOf, checkUrl } from './url-guard.js';

/** The options every HTTP source takes, whatever its service. */
export interface HttpSourceOptions<R> {
  /**
   * An io-ts codec for the task's result: the result (inline or fetched) is validated and typed by it. A
   * result that does not decode ends the wait with a {@link DecodeError}.
   */
  readonly result?: t.Decoder<unknown, R>;
  /** Headers for every request (credentials among them): an object, or a function called before each request (token refresh). */
  readonly headers?: HeadersOption;
  /**
   * The `fetch` to send requests with: pass one that signs requests for services that need it (SigV4).
   * @default the platform's `fetch` (browsers, Node 18+), else cross-fetch (not in browser bundles, which leave it out)
   */
  readonly fetch?: Fetch;
  /**
   * How long one request may take before it is aborted and counted as a retryable failure.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * The largest answer read, counted after decompression; a larger one ends the wait with a {@link DecodeError},
   * unread past the limit (its connection is closed).
   * @default 10485760 (10 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * The origins (scheme, host, port) requests and credentials may go to. Anything else, given directly, by a
   * redirect or a `Location` header, is refused with {@link UnsafeUrlError} before it is sent.
   * @default the origin of the task's URL
   */
  readonly allowedOrigins?: readonly string[];
}

/** Options of {@link httpTask}. */
export interface HttpTaskOptions<R> extends HttpSourceOptions<R> {
  /** The task's status URL. */
  readonly url: string;
  /** How the service talks: one of the built-in dialects or one from {@link defineDialect}. */
  readonly dialect: Dialect;
  /**
   * The source's id, shown in messages, snapshots and the CLI's output.
   * @default the status URL without its query and fragment (they may carry signatures or tokens)
   */
  readonly id?: string;
}

/**
 * The option names of {@link HttpSourceOptions}, as a record for the builders' {@link optionNamesOf} records
 * to spread: `optionNamesOf<BenchlingTaskOptions<unknown>>()({ baseUrl: true, taskId: true, ...httpSourceOptionKeys })`.
 */
export const httpSourceOptionKeys = {
  result: true,
  headers: true,
  fetch: true,
  requestTimeoutMs: true,
  maxBodyBytes: true,
  allowedOrigins: true,
} as const satisfies Record<keyof HttpSourceOptions<unknown>, true>;
const optionNames = optionNamesOf<HttpTaskOptions<unknown>>()({ url: true, dialect: true, id: true, ...httpSourceOptionKeys });
const resultAttempts = 3;

/** Checks the options shared by every HTTP source and builds what its requests share. */
export function transportFor(fn: string, options: HttpSourceOptions<unknown>, url: string, service: string, taskId: string): Transport {
  const { headers } = options;
  if (headers !== undefined && typeof headers !== 'function' && (typeof headers !== 'object' || headers === null || Array.isArray(headers))) {
    throw new TypeError(`${fn}: option "headers" must be an object of header values or a function that returns one.`);
  }
  if (typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      // Checked now, not left to fetch: fetch's message quotes the value, and every request would fail alike.
      const fault = headerFault(name, value);
      if (fault !== undefined) throw new TypeError(`${fn}: ${fault}.`);
    }
  }
  if (options.fetch === undefined && defaultFetch === undefined) {
    throw new TypeError(`${fn}: this platform has no fetch, and this build carries no cross-fetch (browser bundles leave it out): give option "fetch".`);
  }
  // defaultFetch is only read when options.fetch is undefined, and then it is defined (checked above).
  const fetch = checkFunction(fn, 'fetch', options.fetch, defaultFetch as Fetch);
  return {
    fetch,
    headers,
    fixed: sentHeaders(typeof headers === 'object' ? headers : undefined),
    remembered: new SentSecrets(),
    requestTimeoutMs: checkNumber(fn, 'requestTimeoutMs', options.requestTimeoutMs, 30_000, { min: 1 }),
    maxBodyBytes: checkNumber(fn, 'maxBodyBytes', options.maxBodyBytes, 10 * 1024 * 1024, { min: 1 }),
    allowed: allowedOriginsOf(fn, options.allowedOrigins, url),
    taskId,
    service,
    kind: fetchKindOf(fetch),
  };
}

// The platform's fetch where there is one: it lets a redirect be checked before it is followed
// (redirect: 'manual'), streams bodies, and notices a body cut mid-way, where cross-fetch's Node version
// (node-fetch 2) waits for the request timeout and its browser version (XHR) follows redirects unchecked. A
// browser bundle carries no cross-fetch (see cross-fetch.ts): without a platform fetch there is no default.
const platformFetch = (globalThis as { fetch?: Fetch }).fetch;
const defaultFetch: Fetch | undefined = typeof platformFetch === 'function' ? (url, init) => platformFetch(url, init) : crossFetch?.fetch;

function clampProgress(progress: number | undefined): number | undefined {
  if (typeof progress !== 'number' || !Number.isFinite(progress)) return undefined;
  return Math.min(1, Math.max(0, progress));
}

function randomToken(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  return Array.from({ length: 4 }, () => Math.floor(defaultRandom() * 2 ** 32).toString(16).padStart(8, '0')).join('-');
}

/**
 * A {@link TaskSource} for a task behind an HTTP status URL, speaking `dialect`. Each status request is one GET
 * with the source's headers, a timeout and an AbortSignal (unsubscribing aborts it):
 *
 * - 408, 429, 500, 502, 503, 504 and network errors become retryable {@link TransportError}s; `Retry-After`
 *   (seconds or HTTP date) and `retry-after-ms` become `retryAfterMs`, on errors and normal answers alike;
 * - 401, 403, 404 and other 4xx are not retryable, with a message that says what to check (a 404 after the task
 *   was seen says its data expired);
 * - a body that is not JSON, does not match the dialect's codec or exceeds `maxBodyBytes` is a
 *   {@link DecodeError}, never retried;
 * - requests go only to `allowedOrigins` (by default the status URL's origin); anything else is refused with
 *   {@link UnsafeUrlError} before it is sent.
 *
 * The result is validated with the `result` codec; where the service keeps it apart (`resultUrl`), it is
 * fetched in up to 3 attempts when it fails transiently. The dialect's default waiting travels with the source.
 *
 * @throws TypeError naming the option, for a bad option; {@link UnsafeUrlError} for a URL that may not be requested.
 *
 * @example
 * const source = httpTask({ url: statusUrl, dialect: renderFarm, result: RenderOutput, headers: () => auth() });
 * pollTask$(source).subscribe(render);
 */
export function httpTask<R = unknown>(options: HttpTaskOptions<R>): TaskSource<R> {
  if (options === undefined) throw new TypeError('httpTask: options with url and dialect are required.');
  checkOptions('httpTask', options, optionNames);
  return createHttpTask('httpTask', options);
}

/** {@link httpTask}, with `fn` naming the public function in error messages (a builder's name). */
export function createHttpTask<R>(fn: string, options: HttpTaskOptions<R>): TaskSource<R> {
  const { url, dialect } = options;
  if (typeof url !== 'string' || url === '') throw new TypeError(`${fn}: option "url" must be the task's status URL, but was ${JSON.stringify(url) ?? 'undefined'}.`);
  if (!isDialect(dialect)) {
    throw new TypeError(`${fn}: option "dialect" must be a dialect: one of the built-in ones (benchling, affinity, evo, deepint, deadline) or one made with defineDialect().`);
  }
  const id = options.id ?? withoutQuery(url);
  // A URL that is all query ("?page=2") leaves no id: it is no absolute URL, and refused as such.
  if (options.id === undefined && id === '') checkUrl(url, new Set());
  if (typeof id !== 'string' || id === '') throw new TypeError(`${fn}: option "id" must be a non-empty string.`);
  if (options.result !== undefined && typeof (options.result as Partial<t.Decoder<unknown, R>>).decode !== 'function') {
    throw new TypeError(`${fn}: option "result" must be an io-ts codec for the task's result (with decode()).`);
  }
  const transport = transportFor(fn, options, url, dialect.name, id);
  const statusUrl = checkUrl(url, transport.allowed, undefined, id).href;
  let seen = false; // a 404 after the task was seen means its data expired
  const notFound = (): string =>
    seen
      ? `the task was found before, so its data has expired on ${dialect.name}${dialect.expiredMessage === undefined ? '' : ` (${dialect.expiredMessage})`}; its outcome can no longer be read.`
      : `check the task id and the service URL; no such task is known to ${dialect.name}.`;

  const decodeStatus = decoderFor(dialect.status, `The status answer for task "${id}" (${dialect.name})`, id);
  const readingOf = (answer: HttpAnswer): TaskReading<unknown> => {
    const mapped: DialectReading = dialect.toReading(decodeStatus(answer.body), answer);
    if (mapped.runStatus === undefined) throw new UnknownStatusError(mapped.vendorStatus, { taskId: id, raw: answer.body });
    seen = true;
    // The fields of a reading copied one by one, not spread: a spread of the dialect's object costs a slow
    // copy per reading, and readings of one source then share one shape.
    const reading: { -readonly [K in keyof TaskReading<unknown>]: TaskReading<unknown>[K] } = {
      runStatus: mapped.runStatus,
      vendorStatus: mapped.vendorStatus,
      progress: clampProgress(mapped.progress),
      raw: answer.body,
    };
    if (mapped.subtask !== undefined) reading.subtask = mapped.subtask;
    if (mapped.message !== undefined) reading.message = mapped.message;
    if (mapped.result !== undefined) reading.result = mapped.result;
    if (mapped.failure !== undefined) reading.failure = mapped.failure;
    if (answer.retryAfterMs !== undefined) reading.retryAfterMs = answer.retryAfterMs;
    return reading;
  };

  const decode = resultDecoder(id, options.result);
  // Not a taskSource function: the status read's abort signal is of the transport's kind (a light one for
  // cross-fetch), and it serves this request alone, so the request timeout aborts it directly.
  const read$ = fromAbortable<TaskReading<R>>(
    (signal, abort) =>
      // A literal, not a spread of a shared one: V8 copies a spread object by a slower path.
      send(transport, { method: 'GET', url: statusUrl, checked: true, signal, controller: abort, notFound, clock: clockOfWait() }).then((answer) => {
        const reading = readingOf(answer);
        return decode === undefined ? (reading as TaskReading<R>) : decodedReading(reading, decode);
      }),
    `Source "${id}" read()`,
    id,
    transport.kind.newAbort,
  );

  const { resultUrl, selectResult, cancel } = dialect;
  const idempotencyToken = randomToken();
  const fetchResult =
    resultUrl === undefined
      ? undefined
      : async (last: TaskReading<unknown>, signal: AbortSignal): Promise<unknown> => {
          // Read now: the wait's clock is handed down only while the request is being subscribed.
          const clock = clockOfWait();
          const target = resultUrl.call(dialect, statusUrl, last.raw);
          for (let attempt = 1; ; attempt++) {
            try {
              const answer = await send(transport, { method: 'GET', url: target, signal, notFound, clock });
              return selectResult === undefined ? answer.body : selectResult.call(dialect, answer.body);
            } catch (error) {
              const transient = isPollTaskError(error) && error.kind === 'transport' && (error as TransportError).retryable;
              if (!transient) throw error;
              // The last failure as it is (class, status, url, retryable: asking later may well work, and the task
              // did succeed), with the decision that nothing asks again.
              if (attempt >= resultAttempts) {
                throw withDecision(error, { attempts: attempt, text: `The result of task "${id}" could not be fetched in ${attempt} attempts.` });
              }
              // The task is done; losing its result to one 503 would lose its outcome.
              // A hint past the strategies' default cap is a clock gone wrong, not a plan: the outcome should not
              // wait years for it.
              await pause(Math.min((error as TransportError).retryAfterMs ?? 1000 * attempt, defaultMaxRetryAfterMs), signal, clock);
            }
          }
        };
  const cancelTask =
    cancel === undefined
      ? undefined
      : async (signal: AbortSignal): Promise<void> => {
          await send(transport, { ...cancel.call(dialect, statusUrl, { idempotencyToken }), signal, notFound });
        };
  const source = assembleSource(id, read$, { result: fetchResult, cancel: cancelTask, defaultStrategy: dialect.defaultStrategy }, decode);
  // What a headers function sent is remembered by the transport (the last values of SentSecrets).
  const credentials = (): readonly string[] => [...transport.fixed.secrets, ...transport.remembered.secrets()];
  return describeHttpSource(source, { url: statusUrl, dialect: dialect.name, credentials });
}

// An HTTP source remembers its status URL and dialect, so serializeTask can write a resume token for it, and
// the secret values its requests sent, so that the token is refused when its URL holds one. Kept beside the
// source, not on it: nothing a source carries can hand its credentials out.
const descriptions = new WeakMap<TaskSource<unknown>, HttpSourceDescription>();

/** What an HTTP source is, for a resume token: where its task is, how to read it, and what it must not store. */
export interface HttpSourceDescription {
  /** The task's status URL, as checked against the allowed origins. */
  readonly url: string;
  /** The name of the source's dialect. */
  readonly dialect: string;
  /** The secret values its requests sent: its fixed headers', and the last values of a headers function (see SentSecrets). */
  readonly credentials: () => readonly string[];
}

function describeHttpSource<R>(source: TaskSource<R>, description: HttpSourceDescription): TaskSource<R> {
  descriptions.set(source as TaskSource<unknown>, description);
  return source;
}

/** The description of a source built by httpTask (or a builder): see {@link HttpSourceDescription}; undefined for any other source. */
export function httpSourceDescription(source: unknown): HttpSourceDescription | undefined {
  return typeof source === 'object' && source !== null ? descriptions.get(source as TaskSource<unknown>) : undefined;
}
