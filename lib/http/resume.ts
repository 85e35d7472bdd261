import * as t from 'io-ts';
import { defer, map, type Observable } from 'rxjs';
import { DecodeError } from '../errors.js';
import type { TaskEvent } from '../events.js';
import { wallClock } from '../core/clock.js';
import { decodeOrThrow } from '../util/decode.js';
import { clip, excerpt, previewValue, QUOTE_CHARS } from '../util/excerpt.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../util/json-depth.js';
import { redactText } from '../util/redact.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { planOfStrategy } from '../core/plan.js';
import { pollStrategy } from '../strategies/poll-strategy.js';
import { timeoutAfter } from '../operators/timeout-after.js';
import { pollTask$ } from '../core/poll-task.js';
import type { TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import { affinity } from './affinity.js';
import { benchling } from './benchling.js';
import { deadline } from './deadline.js';
import { deepint } from './deepint.js';
import { isDialect, type Dialect } from './dialect.js';
import { evo } from './evo.js';
import { createHttpTask, httpSourceDescription, httpSourceOptionKeys, type HttpSourceOptions } from './http-task.js';
import { safeUrl } from './transport.js';

/** The longest status URL a resume token holds, in characters (8 KiB). */
const maxUrlLength = 8192;
/** The most polls a resume token counts (2^31 - 1: a poll a millisecond for 24 days). */
const maxPolls = 2 ** 31 - 1;
/** The farthest a `Date` reaches from the epoch, in milliseconds. */
const maxTime = 8.64e15;

const isPollCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= maxPolls;
const isStart = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= maxTime;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= maxTime;
const isTokenUrl = (value: unknown): value is string => typeof value === 'string' && value.length <= maxUrlLength;

/**
 * `value` for an issue line: numbers as they are (JSON would write NaN and Infinity as null), the rest clipped
 * to half a quote, so that the line around it stays within one (the reporter would clip it again).
 */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? clip(value, QUOTE_CHARS / 2) : previewValue(value, QUOTE_CHARS / 2);
}

/**
 * A field of a resume token that must pass `test`. Its message says the rule and shows the value clipped: a
 * tampered token's megabyte URL must not become a megabyte error message.
 */
function field<A>(name: string, test: (value: unknown) => value is A, rule: string): t.Type<A, A, unknown> {
  const validate: t.Validate<unknown, A> = (value, context) =>
    test(value) ? t.success(value) : t.failure(value, context, `${name} must be ${rule}, but was ${shown(value)}`);
  return new t.Type<A, A, unknown>(name, test, validate, t.identity);
}

/** What a resume token holds: which task, since when, until when, and how far the wait got. Never credentials. */
const Checkpoint = t.type(
  {
    pollTask: t.literal('resume'),
    v: t.number,
    dialect: t.string,
    /** The status URL without its query (a query may hold a signature or a key). */
    url: field('url', isTokenUrl, `a URL of at most ${maxUrlLength} characters`),
    /** True when the status URL had a query, which the token leaves out: resuming needs the `url` option. */
    query: t.union([t.literal(true), t.undefined]),
    startedAt: field('startedAt', isStart, `whole epoch milliseconds from 0 to ${maxTime}`),
    deadline: t.union([field('deadline', isTime, `epoch milliseconds a Date can hold (at most ${maxTime} either side of 1970)`), t.null]),
    polls: field('polls', isPollCount, `a whole number from 0 to ${maxPolls}`),
  },
  'ResumeToken',
);

/**
 * The fields of a resume token (version 1), as {@link serializeTask} writes them. A token is refused unless
 * `polls` is a whole number from 0 to 2^31 - 1, `startedAt` whole epoch milliseconds from 0 to 8.64e15,
 * `deadline` null or finite epoch milliseconds a Date can hold, and `url` at most 8192 characters.
 */
export type TaskCheckpoint = t.TypeOf<typeof Checkpoint>;

const version = 1;
const builtIn: readonly Dialect[] = [benchling, affinity, evo, deepint, deadline];

/** Options of {@link serializeTask}. */
export interface SerializeTaskOptions {
  /** The wait's deadline (a `Date` or epoch milliseconds), kept so a resumed wait ends when the first would have. */
  readonly deadline?: Date | number;
}

const serializeTaskOptionNames = optionNamesOf<SerializeTaskOptions>()({ deadline: true });

/**
 * Writes a resume token for the wait on `source` (built by httpTask or a builder): a versioned JSON string
 * with the task's status URL without its query and dialect, when the wait started, its deadline and how many
 * polls it made. Headers, credentials and query values are never in it: a URL that had a query is resumed
 * with the full URL given again (`url` of {@link ResumeTaskOptions}). Keep it (localStorage, a file, a job
 * table) and give it to {@link resumeTask$} after a reload or a restart.
 *
 * @param snapshot - the latest snapshot of the wait (its polls and elapsed time); leave it out before the first reading.
 * @throws TypeError for a source that was not built by poll-task/http, a bad deadline, a snapshot whose `polls`
 *   is not a whole number from 0 to 2^31 - 1 or whose `elapsedMs` is not a time since 1970, a status URL over
 *   8192 characters without its query, or one that holds a credential value its requests sent.
 *
 * @example
 * pollTask$(source).subscribe((event) => localStorage.setItem('render', serializeTask(source, event.snapshot, { deadline })));
 */
export function serializeTask(source: TaskSource<unknown>, snapshot?: TaskSnapshot, options: SerializeTaskOptions = {}): string {
  const fn = 'serializeTask';
  const description = httpSourceDescription(source);
  if (description === undefined) {
    throw new TypeError(`${fn}: only sources built by poll-task/http (httpTask or a service's builder) can be resumed; this one has no status URL to come back to.`);
  }
  checkOptions(fn, options, serializeTaskOptionNames);
  const deadlineAt = options.deadline instanceof Date ? options.deadline.getTime() : options.deadline;
  if (deadlineAt !== undefined && !isTime(deadlineAt)) {
    throw new TypeError(`${fn}: option "deadline" must be a valid Date or epoch milliseconds.`);
  }
  const polls: unknown = snapshot?.polls ?? 0;
  if (!isPollCount(polls)) throw new TypeError(`${fn}: snapshot.polls must be a whole number from 0 to ${maxPolls}, but was ${shown(polls)}.`);
  const elapsedMs: unknown = snapshot?.elapsedMs ?? 0;
  const startedAt = typeof elapsedMs === 'number' && elapsedMs >= 0 ? Math.round(wallClock() - elapsedMs) : NaN;
  if (!isStart(startedAt)) throw new TypeError(`${fn}: snapshot.elapsedMs must be the milliseconds since the wait started (from 0 to the time since 1970), but was ${shown(elapsedMs)}.`);
  const { url, query } = splitQuery(description.url);
  if (url.length > maxUrlLength) {
    throw new TypeError(`${fn}: the task's status URL is ${url.length} characters long without its query, and a resume token holds at most ${maxUrlLength}; this wait cannot be resumed from a token.`);
  }
  const checkpoint: TaskCheckpoint = { pollTask: 'resume', v: version, dialect: description.dialect, url, query, startedAt, deadline: deadlineAt ?? null, polls };
  const token = JSON.stringify(checkpoint);
  // Checked by value, by the one rule of redact.ts: a secret the requests sent, as it is or encoded in any way
  // the redaction finds, is not stored.
  if (redactText(token, description.credentials()) !== token) {
    throw new TypeError(`${fn}: the task's status URL holds the value of a credential header its requests sent, and a resume token must not store it; keep credentials in headers, out of the URL.`);
  }
  return token;
}

/** `url` (absolute, checked) without its query and fragment, and whether it had a query. */
function splitQuery(url: string): { url: string; query: true | undefined } {
  const parsed = new URL(url);
  return { url: `${parsed.origin}${parsed.pathname}`, query: parsed.search === '' ? undefined : true };
}


/**
 * Options of {@link resumeTask$}: the source's options and where the token may lead. Give the same headers
 * the source had (a token holds none; for Deep Intelligence that includes `x-deepint-organization`), and the
 * full status URL when it had a query (a token holds none).
 */
export interface ResumeTaskOptions<R> extends HttpSourceOptions<R> {
  /**
   * The task's full status URL, query included: required when the URL the token was written for had a query
   * (a signed URL, `?access_token=`), which the token leaves out. Its origin and path must be the token's.
   * @default the token's URL
   */
  readonly url?: string;
  /**
   * The origins the resumed task may be at: required, because a token can be tampered with (it sits in
   * localStorage or a file) and must not be able to send your credentials elsewhere.
   */
  readonly allowedOrigins: readonly string[];
  /** Dialects of your own that tokens may name, besides the five built in. */
  readonly dialects?: readonly Dialect[];
  /**
   * How to wait. A built-in strategy (and the dialect's default, used without one) continues its backoff
   * where the first wait stopped; any other is used as it is.
   */
  readonly strategy?: PollStrategy<R>;
}

const resumeTaskOptionNames = optionNamesOf<ResumeTaskOptions<unknown>>()({ dialects: true, strategy: true, url: true, ...httpSourceOptionKeys });

/** Checks the token and the options, and builds the source the token points to. */
function open<R>(fn: string, token: string, options: ResumeTaskOptions<R>): { checkpoint: TaskCheckpoint; source: TaskSource<R> } {
  if (options === undefined || options.allowedOrigins === undefined) {
    throw new TypeError(`${fn}: options.allowedOrigins is required: the origins the resumed task may be at, e.g. ["https://api.example.com"].`);
  }
  checkOptions(fn, options, resumeTaskOptionNames);
  const checkpoint = parseToken(fn, token);
  const known = [...(options.dialects ?? []), ...builtIn];
  for (const dialect of known) if (!isDialect(dialect)) throw new TypeError(`${fn}: option "dialects" must hold dialects made with defineDialect().`);
  const dialect = known.find((candidate) => candidate.name === checkpoint.dialect);
  if (dialect === undefined) {
    throw new DecodeError(`The resume token names the dialect "${excerpt(checkpoint.dialect)}", which is not built in; pass it in options.dialects.`, [`unknown dialect ${excerpt(checkpoint.dialect)}`]);
  }
  const url = statusUrlOf(fn, checkpoint, options.url);
  const { dialects: _dialects, strategy: _strategy, url: _url, ...sourceOptions } = options;
  return { checkpoint, source: createHttpTask<R>(fn, { ...sourceOptions, url, dialect }) };
}

/** The URL to resume at: the token's, or the `url` option, which must be the token's with a query. */
function statusUrlOf(fn: string, checkpoint: TaskCheckpoint, given: unknown): string {
  if (given === undefined) {
    if (checkpoint.query === true) {
      throw new TypeError(`${fn}: the task's status URL had a query (a signature or a key, perhaps), which resume tokens never keep; pass the full URL again as option "url".`);
    }
    return checkpoint.url;
  }
  if (typeof given !== 'string' || originAndPath(given) === undefined || originAndPath(given) !== originAndPath(checkpoint.url)) {
    const shown = typeof given === 'string' ? safeUrl(given) : typeof given;
    throw new TypeError(`${fn}: option "url" must be the token's status URL (${excerpt(checkpoint.url)}) with its query, but was ${shown}.`);
  }
  return given;
}

function originAndPath(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * The source a resume token points to, built with `options` (checked like {@link resumeTask$}'s): to
 * serialize a resumed wait again, or to cancel its task.
 *
 * @throws as {@link resumeTask$} does.
 */
export function resumedSource<R = unknown>(token: string, options: ResumeTaskOptions<R>): TaskSource<R> {
  return open('resumedSource', token, options).source;
}

function parseToken(fn: string, token: unknown): TaskCheckpoint {
  if (typeof token !== 'string') throw new TypeError(`${fn}: the token must be the string serializeTask wrote, not ${typeof token}.`);
  let body: unknown;
  try {
    body = JSON.parse(token) as unknown;
  } catch {
    throw new DecodeError(`The resume token is not JSON: ${excerpt(token)}; use the string serializeTask wrote, unchanged.`, ['token is not JSON']);
  }
  if (nestedDeeperThan(token)) {
    throw new DecodeError(`The resume token nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels: ${excerpt(token)}; use the string serializeTask wrote, unchanged.`, [`token nested deeper than ${MAX_JSON_DEPTH} levels`]);
  }
  const written = (body as { v?: unknown } | null)?.v;
  if (typeof body === 'object' && body !== null && (body as { pollTask?: unknown }).pollTask === 'resume' && written !== version) {
    throw new DecodeError(`The resume token is of version ${excerpt(written)}, which this version of poll-task does not know (it reads version ${version}); resume it with the version that wrote it, or start a new wait.`, [`unknown version ${excerpt(written)}`]);
  }
  return decodeOrThrow(Checkpoint, body, 'The resume token', undefined, 'Use the string serializeTask wrote, unchanged.');
}

/**
 * Continues a wait that {@link serializeTask} saved: the same task, the original deadline, the poll count
 * going on from where it was (snapshots' `polls` and `elapsedMs` continue) and, for built-in strategies, the
 * backoff position. The first request goes out at once.
 *
 * @throws TypeError for missing allowedOrigins or a bad option (a `url` that is not the token's, or none for a
 *   token whose URL had a query); {@link DecodeError} for a malformed token, one of an unknown version, or one
 *   whose counters, times or URL are out of range (see {@link TaskCheckpoint}); {@link UnsafeUrlError} for a token whose task is outside `allowedOrigins`.
 *
 * @example
 * const token = localStorage.getItem('render');
 * if (token) resumeTask$(token, { allowedOrigins: ['https://farm.example.com'], headers }).subscribe(render);
 */
export function resumeTask$<R = unknown>(token: string, options: ResumeTaskOptions<R>): Observable<TaskEvent<R>> {
  const { checkpoint, source } = open('resumeTask$', token, options);
  const given = options.strategy;
  const strategy = given ?? source.defaultStrategy;
  // A strategy with a plan continues its schedule where the wait stopped; any other starts again.
  const plan = planOfStrategy(strategy);
  const resumed = plan === undefined ? strategy : pollStrategy({ ...plan, startAtWait: Math.max(1, checkpoint.polls) });
  let stream = pollTask$(source, resumed);
  if (checkpoint.deadline !== null) stream = stream.pipe(timeoutAfter<TaskEvent<R>>({ deadline: checkpoint.deadline }));
  return defer(() => {
    // A token written on a clock ahead of this one would make time run backwards.
    const before = Math.max(0, wallClock() - checkpoint.startedAt);
    return stream.pipe(
      map((event) => ({ ...event, snapshot: { ...event.snapshot, polls: event.snapshot.polls + checkpoint.polls, elapsedMs: event.snapshot.elapsedMs + before } })),
    );
  });
}
