import { clip, excerpt, URL_CHARS } from './util/excerpt.js';
import { show } from './util/options.js';
import { withoutCredentials } from './util/urls.js';
import type { TaskFailure, TaskSnapshot } from './snapshot.js';

/** What went wrong, as a tag for `switch` statements. Each subclass of {@link PollTaskError} has one. */
export type PollTaskErrorKind =
  | 'task-failed'
  | 'task-canceled'
  | 'timeout'
  | 'transport'
  | 'decode'
  | 'unknown-status'
  | 'polling-stopped'
  | 'source-contract'
  | 'cancel-unsupported'
  | 'aborted'
  | 'unsafe-url';

/** Options every {@link PollTaskError} accepts. */
export interface PollTaskErrorOptions {
  /** The error this one wraps, kept as the standard `cause`. */
  readonly cause?: unknown;
  /** The id of the task the error is about, when known. */
  readonly taskId?: string;
}

// A registered symbol rather than `instanceof`: an app that ends up with two copies of poll-task (ESM and
// CommonJS, or two versions) must still recognise both copies' errors.
const brand = Symbol.for('poll-task.PollTaskError');

/**
 * The base of every error poll-task raises. Switch on {@link PollTaskError.kind} to tell them apart, or use
 * `instanceof` with the subclass.
 *
 * @example
 * pollTask$(source).subscribe({
 *   error: (err) => {
 *     if (isPollTaskError(err) && err.kind === 'task-failed') showFailure(err.failure);
 *   },
 * });
 */
export class PollTaskError extends Error {
  /** What went wrong, as a tag. */
  readonly kind: PollTaskErrorKind;
  /** The id of the task the error is about, when known. */
  readonly taskId?: string;
  /**
   * How many requests failed in a row when the code that asked gave up, this one the last of them: set only on
   * the error that ends a wait because its retries ran out (the loop's `maxConsecutiveErrors`, an HTTP source's
   * result fetch), whose message then ends with that decision. See {@link withDecision}.
   */
  declare readonly attempts?: number;

  constructor(kind: PollTaskErrorKind, message: string, options: PollTaskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PollTaskError';
    this.kind = kind;
    if (options.taskId !== undefined) this.taskId = options.taskId;
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * Whether `value` is an error raised by poll-task (any copy of it loaded in the app).
 *
 * @example
 * catchError((err) => (isPollTaskError(err) ? of(explain(err)) : throwError(() => err)))
 */
export function isPollTaskError(value: unknown): value is PollTaskError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** What the code that retried an error decided in the end: see {@link withDecision}. */
export interface ErrorDecision {
  /** How many requests failed in a row, the error's own among them: a whole number, 1 or more. */
  readonly attempts: number;
  /** The decision in one sentence, added to the end of the message ("Gave up after 3 failed requests in a row."). */
  readonly text: string;
}

/**
 * Adds the decision of the code that handled `error` to it. An error states facts (what happened, where);
 * whether it was retried is for the code that retries to say, once it knows. For a {@link PollTaskError}
 * (of any copy of the library), returns a copy of the same class with the same `kind`, fields, `cause` and
 * stack frames, whose `message` (and the stack's first line) ends with `decision.text`, and whose
 * {@link PollTaskError.attempts} is `decision.attempts`; `error` itself is left as it was. Anything else is
 * returned as it is. Nothing is read from the message: the decision is appended, never found by its wording.
 *
 * The text is added as given: like every message, it must not quote what a request sent (a credential).
 *
 * @example
 * // A loop that gives up on a retryable error once its budget is spent:
 * subscriber.error(withDecision(error, {
 *   attempts: errorsInRow,
 *   text: `Gave up after ${errorsInRow} failed requests in a row (maxConsecutiveErrors: ${max}).`,
 * }));
 */
export function withDecision<E>(error: E, decision: ErrorDecision): E {
  const { attempts, text } = decision ?? ({} as Partial<ErrorDecision>);
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(`withDecision: option "attempts" must be a whole number of at least 1, but was ${show(attempts)}.`);
  }
  if (typeof text !== 'string' || text.trim() === '') throw new TypeError(`withDecision: option "text" must be a sentence (a non-empty string), but was ${show(text)}.`);
  if (!isPollTaskError(error)) return error;
  const before = String(error.message);
  const message = `${before} ${text}`;
  // A native error (what util.inspect, structuredClone and isNativeError recognise, from any realm) on the same
  // prototype, without running the subclass's constructor; then every own field as it is (kind, status, url,
  // retryable, cause, the brand…) but the three set here, which the original may hold frozen: the same class,
  // holding nothing the original did not but the decision.
  const copy = Reflect.construct(Error, [message], sameClass(error)) as PollTaskError;
  const fields = Object.getOwnPropertyDescriptors(error) as Record<string, PropertyDescriptor>;
  delete fields.stack;
  fields.message = { value: message, writable: true, configurable: true };
  fields.attempts = { value: attempts, configurable: true, enumerable: true };
  // The stack's first line repeats the message (util.inspect and console.error print the stack): the same
  // frames, under the message with its decision (a stack in another form is kept as it is). A stack that
  // cannot be read is left as the copy made it.
  let stack: unknown;
  try {
    stack = error.stack;
  } catch {
    stack = undefined;
  }
  const header = `${String(error.name)}: `;
  if (typeof stack === 'string') {
    fields.stack = { value: stack.startsWith(header + before) ? header + message + stack.slice(header.length + before.length) : stack, writable: true, configurable: true };
  }
  Object.defineProperties(copy, fields);
  return copy as E;
}

/** A constructor whose `prototype` is `error`'s, for `Reflect.construct`: the class of `error`, not called. */
function sameClass(error: object): new () => object {
  const target = function () {} as unknown as new () => object;
  target.prototype = Object.getPrototypeOf(error) as object;
  return target;
}

function quote(taskId: string | undefined): string {
  return taskId === undefined ? 'The task' : `Task "${taskId}"`;
}

function describeSnapshot(snapshot: TaskSnapshot | undefined): string {
  if (snapshot === undefined) return 'no reading yet';
  const progress = snapshot.progress === undefined ? '' : `, ${Math.round(snapshot.progress * 100)}%`;
  return `last status ${snapshot.runStatus} ("${excerpt(snapshot.vendorStatus)}")${progress} after ${snapshot.polls} readings`;
}

/**
 * The task ended on the service with status `failed`. Carries the service's code, text and details, and the
 * snapshot of the failing reading. Waiting longer will not help: fix the cause and start a new task.
 */
export class TaskFailedError extends PollTaskError {
  /** The service's code, text and details, as the source mapped them. */
  readonly failure: TaskFailure;
  /** The snapshot of the reading that reported the failure. */
  readonly snapshot: TaskSnapshot;

  constructor(snapshot: TaskSnapshot, failure: TaskFailure = {}) {
    // The service's words are quoted clipped: a megabyte of failure text makes a short message.
    const code = failure.code === undefined ? '' : ` with code ${excerpt(failure.code)}`;
    const text = failure.message === undefined ? 'the service gave no reason' : `"${excerpt(failure.message)}"`;
    super(
      'task-failed',
      `${quote(snapshot.taskId)} failed on the service${code}: ${text}; see error.failure for the details, and start a new task once the cause is fixed.`,
      { taskId: snapshot.taskId },
    );
    this.name = 'TaskFailedError';
    this.failure = failure;
    this.snapshot = snapshot;
  }
}

/** The task ended on the service with status `canceled` (by this client or anyone else). */
export class TaskCanceledError extends PollTaskError {
  /** The snapshot of the reading that reported the cancel. */
  readonly snapshot: TaskSnapshot;

  constructor(snapshot: TaskSnapshot) {
    super(
      'task-canceled',
      `${quote(snapshot.taskId)} was canceled on the service (status "${excerpt(snapshot.vendorStatus)}"); start a new task if its result is still needed.`,
      { taskId: snapshot.taskId },
    );
    this.name = 'TaskCanceledError';
    this.snapshot = snapshot;
  }
}

/**
 * The time allowed for the wait ran out before the result arrived: {@link timeoutAfter}'s, a strategy's
 * `maxWaitMs`, or `timeoutMs` of {@link waitForResult} and {@link waitForCompletion}. The task itself may
 * still be running on the service unless the stream cancelled it (see {@link cancelOnUnsubscribe}).
 */
export class TaskTimeoutError extends PollTaskError {
  /** The time that was allowed, in milliseconds. */
  readonly timeoutMs: number;
  /** The time that had passed when the wait was given up, by the scheduler's clock. */
  readonly elapsedMs: number;
  /** The last snapshot seen before the time ran out, if any reading arrived. */
  readonly lastSnapshot?: TaskSnapshot;

  constructor(timeoutMs: number, elapsedMs: number, lastSnapshot?: TaskSnapshot) {
    super(
      'timeout',
      `${quote(lastSnapshot?.taskId)} did not finish within ${timeoutMs} ms (${describeSnapshot(lastSnapshot)}); allow more time, or check on the service whether it is stuck.`,
      lastSnapshot === undefined ? {} : { taskId: lastSnapshot.taskId },
    );
    this.name = 'TaskTimeoutError';
    this.timeoutMs = timeoutMs;
    this.elapsedMs = elapsedMs;
    if (lastSnapshot !== undefined) this.lastSnapshot = lastSnapshot;
  }
}

/** Options of a {@link TransportError}. */
export interface TransportErrorOptions extends PollTaskErrorOptions {
  /** The HTTP status code, when the server answered. */
  readonly status?: number;
  /** The URL that was requested. Credentials (userinfo), the query and the fragment are removed before it is kept. */
  readonly url?: string;
  /** Whether asking again may help (network errors, 408, 429, 5xx). Strategies retry only these. */
  readonly retryable: boolean;
  /** The server's Retry-After hint, in milliseconds. */
  readonly retryAfterMs?: number;
}

/**
 * A status (or result, or cancel) request did not get a usable answer: the network failed, or the server
 * answered with an error status. `retryable` says whether asking again may help; the strategies retry those.
 *
 * @example
 * throw new TransportError(`GET ${url} answered 503 (the service said: "overloaded").`, {
 *   status: 503, url, retryable: true, retryAfterMs: 2000,
 * });
 */
export class TransportError extends PollTaskError {
  /** The HTTP status code, when the server answered. */
  readonly status?: number;
  /** The URL that was requested, without credentials, query or fragment (a query may carry a signature or a token). */
  readonly url?: string;
  /** Whether asking again may help. */
  readonly retryable: boolean;
  /** The server's Retry-After hint, in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: TransportErrorOptions) {
    super('transport', message, options);
    this.name = 'TransportError';
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.url !== undefined) this.url = withoutCredentials(options.url);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A response or result did not have the expected shape. Never retried: asking again returns the same thing.
 * `issues` holds one line per problem, in io-ts `PathReporter` form.
 */
export class DecodeError extends PollTaskError {
  /** One line per problem found, naming the path and the value (io-ts `PathReporter` lines). */
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[], options: PollTaskErrorOptions = {}) {
    super('decode', message, options);
    this.name = 'DecodeError';
    this.issues = issues;
  }
}

/**
 * A reading's status could not be placed on the common lifecycle: the service sent a word its source does
 * not map, or a plain-JS source returned a `runStatus` that is not a {@link RunStatus}. Raised at once, so an
 * unknown status never turns into an endless wait.
 */
export class UnknownStatusError extends PollTaskError {
  /** The word the service (or the source) used. */
  readonly vendorStatus: string;
  /** The reading's decoded body, untouched. */
  readonly raw: unknown;

  constructor(vendorStatus: string, options: PollTaskErrorOptions & { readonly raw?: unknown } = {}) {
    super(
      'unknown-status',
      `${quote(options.taskId)} reported the status "${excerpt(vendorStatus)}", which its source does not map to a RunStatus; map that word in the source or dialect so the wait can tell whether the task is done.`,
      options,
    );
    this.name = 'UnknownStatusError';
    this.vendorStatus = vendorStatus;
    this.raw = options.raw;
  }
}

/**
 * The strategy stopped asking before the task reached a terminal status (for example `take(3)` inside it,
 * or a stream that completed without a result). Carries the last snapshot seen.
 */
export class PollingStoppedError extends PollTaskError {
  /** The last snapshot seen, if any reading arrived. */
  readonly lastSnapshot?: TaskSnapshot;

  constructor(lastSnapshot: TaskSnapshot | undefined, taskId?: string) {
    const id = lastSnapshot?.taskId ?? taskId;
    super(
      'polling-stopped',
      `Polling ${id === undefined ? 'the task' : `task "${id}"`} stopped before it reached a terminal status (${describeSnapshot(lastSnapshot)}); use a strategy that keeps asking until the task ends, and timeoutAfter() to bound the wait.`,
      id === undefined ? {} : { taskId: id },
    );
    this.name = 'PollingStoppedError';
    if (lastSnapshot !== undefined) this.lastSnapshot = lastSnapshot;
  }
}

/**
 * A {@link TaskSource} broke its contract: `read()` completed without a reading or sent two, a progress value
 * lay outside 0..1, `result()` completed without a value. The message names the source and what it did.
 */
export class SourceContractError extends PollTaskError {
  constructor(message: string, options: PollTaskErrorOptions = {}) {
    super('source-contract', message, options);
    this.name = 'SourceContractError';
  }
}

/** `cancel()` was asked of a task whose source has no `cancel`: the service cannot cancel tasks. */
export class CancelUnsupportedError extends PollTaskError {
  constructor(taskId: string) {
    super(
      'cancel-unsupported',
      `Task "${taskId}" cannot be canceled: its source has no cancel(); check handle.cancelable before offering a cancel button.`,
      { taskId },
    );
    this.name = 'CancelUnsupportedError';
  }
}

/**
 * The wait was given up because its `AbortSignal` was aborted. Named `AbortError`, like the platform's.
 * The signal's reason is kept as `cause`.
 */
export class AbortError extends PollTaskError {
  constructor(reason?: unknown, taskId?: string) {
    super(
      'aborted',
      `The wait for ${taskId === undefined ? 'the task' : `task "${taskId}"`} was aborted by its signal; nothing more will be requested.`,
      { cause: reason, ...(taskId === undefined ? {} : { taskId }) },
    );
    this.name = 'AbortError';
  }
}

/**
 * A request would have gone where it must not: a URL with credentials in it (userinfo), a scheme other than
 * http: or https:, or an origin (scheme, host and port) outside the source's allowed origins, given directly,
 * by a redirect or by a `Location` header. Raised before anything is sent, so no credential leaves.
 */
export class UnsafeUrlError extends PollTaskError {
  /** The refused URL, without userinfo, query or fragment; the message shows the same. */
  readonly url: string;

  constructor(url: string, reason: string, options: PollTaskErrorOptions = {}) {
    const shown = withoutCredentials(url);
    // A URL from a tampered token or a Location header may be any length: quoted up to the longest real one.
    super('unsafe-url', `Refused to request ${clip(shown, URL_CHARS)}: ${reason}`, options);
    this.name = 'UnsafeUrlError';
    this.url = shown;
  }
}
