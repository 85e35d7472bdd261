import * as t from 'io-ts';
import { defer, map, type Observable } from 'rxjs';
import { DecodeError } from '../errors.js';
import type { TaskEvent } from '../events.js';
import { wallClock } from '../internal/clock.js';
import { decodeOrThrow, excerpt } from '../internal/decode.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../internal/json-depth.js';
import { checkOptions } from '../internal/options.js';
import { rebuilt } from '../internal/rebuild.js';
import { timeoutAfter } from '../operators/timeout-after.js';
import { pollTask$ } from '../poll-task.js';
import type { TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import { affinity } from './affinity.js';
import { benchling } from './benchling.js';
import { deadline } from './deadline.js';
import { deepint } from './deepint.js';
import { isDialect, type Dialect } from './dialect.js';
import { evo } from './evo.js';
import { createHttpTask, httpSourceDescription, httpSourceOptionNames, type HttpSourceOptions } from './http-task.js';

/** What a resume token holds: which task, since when, until when, and how far the wait got. Never credentials. */
const Checkpoint = t.type(
  {
    pollTask: t.literal('resume'),
    v: t.number,
    dialect: t.string,
    url: t.string,
    startedAt: t.number,
    deadline: t.union([t.number, t.null]),
    polls: t.number,
  },
  'ResumeToken',
);

/** The fields of a resume token (version 1), as {@link serializeTask} writes them. */
export type TaskCheckpoint = t.TypeOf<typeof Checkpoint>;

const version = 1;
const builtIn: readonly Dialect[] = [benchling, affinity, evo, deepint, deadline];

/** Options of {@link serializeTask}. */
export interface SerializeTaskOptions {
  /** The wait's deadline (a `Date` or epoch milliseconds), kept so a resumed wait ends when the first would have. */
  readonly deadline?: Date | number;
}

/**
 * Writes a resume token for the wait on `source` (built by httpTask or a builder): a versioned JSON string
 * with the task's status URL and dialect, when the wait started, its deadline and how many polls it made.
 * Headers and credentials are never in it. Keep it (localStorage, a file, a job table) and give it to
 * {@link resumeTask$} after a reload or a restart.
 *
 * @param snapshot - the latest snapshot of the wait (its polls and elapsed time); leave it out before the first reading.
 * @throws TypeError for a source that was not built by poll-task/http, or a bad deadline.
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
  checkOptions(fn, options, ['deadline']);
  const deadlineAt = options.deadline instanceof Date ? options.deadline.getTime() : options.deadline;
  if (deadlineAt !== undefined && (typeof deadlineAt !== 'number' || !Number.isFinite(deadlineAt))) {
    throw new TypeError(`${fn}: option "deadline" must be a valid Date or epoch milliseconds.`);
  }
  const checkpoint: TaskCheckpoint = {
    pollTask: 'resume',
    v: version,
    dialect: description.dialect,
    url: description.url,
    startedAt: Math.round(wallClock() - (snapshot?.elapsedMs ?? 0)),
    deadline: deadlineAt ?? null,
    polls: snapshot?.polls ?? 0,
  };
  return JSON.stringify(checkpoint);
}

/**
 * Options of {@link resumeTask$}: the source's options and where the token may lead. Give the same headers
 * the source had (a token holds none; for Deep Intelligence that includes `x-deepint-organization`).
 */
export interface ResumeTaskOptions<R> extends HttpSourceOptions<R> {
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

/** Checks the token and the options, and builds the source the token points to. */
function open<R>(fn: string, token: string, options: ResumeTaskOptions<R>): { checkpoint: TaskCheckpoint; source: TaskSource<R> } {
  if (options === undefined || options.allowedOrigins === undefined) {
    throw new TypeError(`${fn}: options.allowedOrigins is required: the origins the resumed task may be at, e.g. ["https://api.example.com"].`);
  }
  checkOptions(fn, options, ['allowedOrigins', 'dialects', 'strategy', ...httpSourceOptionNames]);
  const checkpoint = parseToken(fn, token);
  const known = [...(options.dialects ?? []), ...builtIn];
  for (const dialect of known) if (!isDialect(dialect)) throw new TypeError(`${fn}: option "dialects" must hold dialects made with defineDialect().`);
  const dialect = known.find((candidate) => candidate.name === checkpoint.dialect);
  if (dialect === undefined) {
    throw new DecodeError(`The resume token names the dialect "${excerpt(checkpoint.dialect)}", which is not built in; pass it in options.dialects.`, [`unknown dialect ${excerpt(checkpoint.dialect)}`]);
  }
  const { dialects: _dialects, strategy: _strategy, ...sourceOptions } = options;
  return { checkpoint, source: createHttpTask<R>(fn, { ...sourceOptions, url: checkpoint.url, dialect }) };
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
 * @throws TypeError for missing allowedOrigins or a bad option; {@link DecodeError} for a malformed token or one
 *   of an unknown version; {@link UnsafeUrlError} for a token whose task is outside `allowedOrigins`.
 *
 * @example
 * const token = localStorage.getItem('render');
 * if (token) resumeTask$(token, { allowedOrigins: ['https://farm.example.com'], headers }).subscribe(render);
 */
export function resumeTask$<R = unknown>(token: string, options: ResumeTaskOptions<R>): Observable<TaskEvent<R>> {
  const { checkpoint, source } = open('resumeTask$', token, options);
  const given = options.strategy;
  const strategy = given ?? source.defaultStrategy;
  const resumed = (strategy === undefined ? undefined : rebuilt(strategy, { startAtWait: Math.max(1, checkpoint.polls) })) ?? strategy;
  let stream = pollTask$(source, resumed);
  if (checkpoint.deadline !== null) stream = stream.pipe(timeoutAfter<TaskEvent<R>>({ deadline: checkpoint.deadline }));
  return defer(() => {
    const before = wallClock() - checkpoint.startedAt;
    return stream.pipe(
      map((event) => ({ ...event, snapshot: { ...event.snapshot, polls: event.snapshot.polls + checkpoint.polls, elapsedMs: event.snapshot.elapsedMs + before } })),
    );
  });
}
