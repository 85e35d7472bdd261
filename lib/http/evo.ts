import { quotedUrl } from '../util/urls.js';
import * as t from 'io-ts';
import { TransportError } from '../errors.js';
import type { TaskSource } from '../task-source.js';
import { withInterval } from '../strategies/with-interval.js';
import { nullable } from './codecs.js';
import { defineDialect, statusFrom } from './dialect.js';
import { createHttpTask, httpSourceOptionKeys, transportFor, type HttpSourceOptions } from './http-task.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { checkBaseUrl, checkId, joinUrl, without } from './paths.js';
import { safeUrl, send } from './transport.js';
import { checkUrl } from './url-guard.js';

/** Evo's `JobStatusResponse`, as `GET …/{jobId}/status` answers. */
const JobStatus = t.intersection(
  [
    t.type({ status: t.string }),
    t.partial({ progress: nullable(t.number), message: nullable(t.string), error: nullable(t.UnknownRecord) }),
  ],
  'EvoJobStatus',
);

// Evo's spec spells cancel(l)ed both ways; both are accepted.
const statuses = {
  requested: 'pending',
  'in progress': 'running',
  cancelling: 'canceling',
  canceling: 'canceling',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'canceled',
  canceled: 'canceled',
} as const;

const statusPath = /\/compute\/orgs\/[^/]+\/[^/]+\/[^/]+\/[^/]+\/status$/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Seequent Evo's compute jobs: `requested`, `in progress`, `cancelling`/`canceling`, `succeeded`, `failed`,
 * `cancelled`/`canceled`. Progress 0–100 and `message` come with each status; a failure's problem details
 * (`type`, `title`, `detail`) become its code and text. The result lives apart (`GET …/{jobId}`, its
 * `results`), and cancel is `DELETE …/{jobId}`.
 *
 * Default waiting, as the SDK's `wait_for_results`: every 0.5 s, no time limit.
 */
export const evo = defineDialect({
  name: 'Evo',
  status: JobStatus,
  toReading: (body) => {
    const error = body.error ?? undefined;
    const code = text(error?.type);
    const message = text(error?.detail) ?? text(error?.title);
    return {
      runStatus: statusFrom(statuses, body.status),
      vendorStatus: body.status,
      ...(typeof body.progress === 'number' ? { progress: body.progress / 100 } : {}),
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
      ...(body.status === 'failed'
        ? { failure: { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }), ...(error === undefined ? {} : { details: error }) } }
        : {}),
    };
  },
  resultUrl: (statusUrl) => statusUrl.replace(/\/status$/, ''),
  selectResult: (body) => (typeof body === 'object' && body !== null ? (body as { results?: unknown }).results : undefined),
  cancel: (statusUrl) => ({ method: 'DELETE', url: statusUrl.replace(/\/status$/, '') }),
  defaultStrategy: withInterval(500),
});

/** Throws a TypeError unless `url` is an Evo job status URL; returns it. */
function checkEvoUrl(fn: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw new TypeError(`${fn}: ${quotedUrl(url)} is not a URL; give the job's status URL.`);
  }
  if (!statusPath.test(path)) {
    throw new TypeError(`${fn}: ${safeUrl(url)} is not an Evo job status URL (…/compute/orgs/{org}/{topic}/{task}/{job}/status).`);
  }
  return url;
}

/** The ids of an Evo job, for {@link evoJob} and {@link submitEvoJob}. */
export interface EvoTaskIds {
  /** The Evo hub URL, e.g. `https://example.api.seequent.com`. */
  readonly baseUrl: string;
  /** The organisation id (a UUID) in the job's path. */
  readonly orgId: string;
  /** The compute topic, e.g. `geostatistics`. */
  readonly topic: string;
  /** The compute task, e.g. `kriging`. */
  readonly task: string;
}

/** Options of {@link evoJob}: the job's status URL, or its ids. */
export type EvoJobOptions<R> = HttpSourceOptions<R> &
  (
    | { readonly url: string; readonly baseUrl?: string }
    | (EvoTaskIds & { readonly jobId: string; readonly url?: undefined })
  );

const evoJobOptionNames = optionNamesOf<EvoJobOptions<unknown>>()({ url: true, baseUrl: true, orgId: true, topic: true, task: true, jobId: true, ...httpSourceOptionKeys });

/**
 * The source of an Evo compute job: from its status URL (`…/compute/orgs/{org}/{topic}/{task}/{job}/status`,
 * as `submit` answered in `Location`), or from its ids. With both `url` and `baseUrl`, the URL must start with
 * the base, as the SDK's `from_url` demands.
 *
 * @throws TypeError for a URL that is not an Evo job status URL, missing ids or a bad option.
 *
 * @example
 * const source = evoJob({ baseUrl, orgId, topic: 'geostatistics', task: 'kriging', jobId, result: KrigingResult, headers });
 * pollTask$(source).pipe(cancelOnUnsubscribe()).subscribe(render);
 */
export function evoJob<R = unknown>(options: EvoJobOptions<R>): TaskSource<R> {
  const fn = 'evoJob';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, evoJobOptionNames);
  let url: string;
  if (options?.url !== undefined) {
    url = checkId(fn, 'url', options.url);
    if (options.baseUrl !== undefined) {
      const base = `${checkBaseUrl(fn, 'baseUrl', options.baseUrl)}/`;
      if (!url.startsWith(base)) throw new TypeError(`${fn}: the job URL ${safeUrl(url)} does not start with baseUrl ${base}.`);
    }
  } else {
    const ids = options as EvoTaskIds & { readonly jobId: string };
    const base = checkBaseUrl(fn, 'baseUrl', ids?.baseUrl);
    url = `${joinUrl(`${base}/compute/orgs`, checkId(fn, 'orgId', ids.orgId), checkId(fn, 'topic', ids.topic), checkId(fn, 'task', ids.task), checkId(fn, 'jobId', ids.jobId))}/status`;
  }
  checkEvoUrl(fn, url);
  return createHttpTask(fn, { ...without(options as EvoJobOptions<R> & Partial<EvoTaskIds & { jobId: string }>, 'baseUrl', 'orgId', 'topic', 'task', 'jobId'), url, dialect: evo });
}

/** Options of {@link submitEvoJob}. */
export interface SubmitEvoJobOptions<R> extends HttpSourceOptions<R>, EvoTaskIds {
  /** The task's parameters, sent as `{ "parameters": … }`. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Aborts the submission (startTask$ passes its own). */
  readonly signal?: AbortSignal;
}

const submitEvoJobOptionNames = optionNamesOf<SubmitEvoJobOptions<unknown>>()({ baseUrl: true, orgId: true, topic: true, task: true, parameters: true, signal: true, ...httpSourceOptionKeys });

/**
 * Submits an Evo compute task (`POST …/compute/orgs/{org}/{topic}/{task}` with `{ parameters }`) and
 * resolves with the source of the job it created, found through the answer's `Location` header. Made for
 * {@link startTask$}: subscribing submits, unsubscribing (with cancelOnUnsubscribe) cancels.
 *
 * @throws TypeError for missing ids or parameters (as a rejection); {@link TransportError} when the answer has
 *   no usable Location; {@link UnsafeUrlError} when the Location leaves the allowed origins.
 *
 * @example
 * startTask$((signal) => submitEvoJob({ baseUrl, orgId, topic, task, parameters, headers, signal }))
 *   .pipe(cancelOnUnsubscribe())
 *   .subscribe(render);
 */
export async function submitEvoJob<R = unknown>(options: SubmitEvoJobOptions<R>): Promise<TaskSource<R>> {
  const fn = 'submitEvoJob';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, submitEvoJobOptionNames);
  const base = checkBaseUrl(fn, 'baseUrl', options?.baseUrl);
  const target = joinUrl(`${base}/compute/orgs`, checkId(fn, 'orgId', options.orgId), checkId(fn, 'topic', options.topic), checkId(fn, 'task', options.task));
  if (typeof options.parameters !== 'object' || options.parameters === null) {
    throw new TypeError(`${fn}: option "parameters" must be an object of the task's parameters.`);
  }
  const rest = without(options, 'baseUrl', 'orgId', 'topic', 'task', 'parameters', 'signal');
  const transport = transportFor(fn, rest, target, 'Evo', target);
  const answer = await send(transport, {
    method: 'POST',
    url: target,
    body: { parameters: options.parameters },
    signal: options.signal ?? new AbortController().signal,
    notFound: 'check the topic and task names and the organisation id.',
  });
  // A 2xx carries Location; a 303 was already followed, within the allowed origins, to the status URL.
  const location = answer.headers.get('location') ?? (answer.url !== target ? answer.url : null);
  if (location === null) {
    throw new TransportError(`POST ${safeUrl(target)} answered without a Location header, so the job cannot be followed.`, {
      url: target,
      status: answer.status,
      retryable: false,
    });
  }
  const url = checkUrl(location, transport.allowed, `${base}/`).href;
  return createHttpTask(fn, { ...rest, url: checkEvoUrl(fn, url), dialect: evo });
}
