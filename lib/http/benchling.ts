import * as t from 'io-ts';
import type { TaskSource } from '../task-source.js';
import { withInterval } from '../strategies/with-interval.js';
import { nullable } from './codecs.js';
import { defineDialect, statusFrom } from './dialect.js';
import { createHttpTask, httpSourceOptionKeys, type HttpSourceOptions } from './http-task.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { checkBaseUrl, checkId, joinUrl, without } from './paths.js';

/** Benchling's `AsyncTask`, as `GET /api/v2/tasks/{taskId}` answers. */
const AsyncTask = t.intersection(
  [t.type({ status: t.string }), t.partial({ message: nullable(t.string), errors: t.unknown, response: t.unknown })],
  'BenchlingAsyncTask',
);

const statuses = { RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed' } as const;

/**
 * Benchling's task API (`GET /api/v2/tasks/{taskId}`): `RUNNING`, `SUCCEEDED` (the result is the inline
 * `response`), `FAILED` (`message` and `errors` become the failure). No progress, no cancel. Any other word
 * ends the wait with {@link UnknownStatusError} (the SDK would report it as a failure with no reason).
 *
 * Default waiting, as the SDK's `wait_for_task`: every 1 s, giving up after 600 s.
 */
export const benchling = defineDialect({
  name: 'Benchling',
  status: AsyncTask,
  toReading: (body) => ({
    runStatus: statusFrom(statuses, body.status),
    vendorStatus: body.status,
    ...(body.status === 'SUCCEEDED' && body.response !== undefined && body.response !== null ? { result: body.response } : {}),
    ...(body.status === 'FAILED'
      ? { failure: { ...(typeof body.message === 'string' ? { message: body.message } : {}), ...(body.errors === undefined ? {} : { details: body.errors }) } }
      : {}),
  }),
  expiredMessage: 'Benchling keeps a task for 30 minutes after it ends',
  defaultStrategy: withInterval(1000, { maxWaitMs: 600_000 }),
});

/** Options of {@link benchlingTask}. */
export interface BenchlingTaskOptions<R> extends HttpSourceOptions<R> {
  /** Your tenant's URL, e.g. `https://example.benchling.com` (with or without `/api/v2`). */
  readonly baseUrl: string;
  /** The `taskId` of the `AsyncTaskLink` a long-running call answered with. */
  readonly taskId: string;
}

const benchlingTaskOptionNames = optionNamesOf<BenchlingTaskOptions<unknown>>()({ baseUrl: true, taskId: true, ...httpSourceOptionKeys });

/**
 * The source of a Benchling task, from the tenant URL and the task id.
 *
 * @throws TypeError for a missing or malformed baseUrl or taskId, or a bad option.
 *
 * @example
 * const source = benchlingTask({ baseUrl: 'https://example.benchling.com', taskId, headers: { authorization: `Basic ${key}` } });
 * const response = await waitForResult(source); // polls every 1 s for up to 600 s, like wait_for_response()
 */
export function benchlingTask<R = unknown>(options: BenchlingTaskOptions<R>): TaskSource<R> {
  const fn = 'benchlingTask';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, benchlingTaskOptionNames);
  const base = checkBaseUrl(fn, 'baseUrl', options?.baseUrl).replace(/\/api\/v2$/, '');
  const taskId = checkId(fn, 'taskId', options.taskId);
  return createHttpTask(fn, { ...without(options, 'baseUrl', 'taskId'), url: joinUrl(`${base}/api/v2/tasks`, taskId), dialect: benchling });
}
