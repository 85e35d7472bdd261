import * as t from 'io-ts';
import type { TaskSource } from '../task-source.js';
import { withInterval } from '../strategies/with-interval.js';
import { nullable } from './codecs.js';
import { defineDialect, statusFrom } from './dialect.js';
import { createHttpTask, httpSourceOptionKeys, type HttpSourceOptions } from './http-task.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { checkBaseUrl, checkId, joinUrl, withHeader, without } from './paths.js';

/** Deep Intelligence's `TaskInfo`, as `GET /api/v1/workspace/{ws}/task/{task}` answers. */
const TaskInfo = t.intersection(
  [
    t.type({ status: t.string }),
    t.partial({
      id: t.string,
      name: nullable(t.string),
      progress: nullable(t.number),
      subtask: nullable(t.string),
      result: t.unknown,
      result_type: nullable(t.string),
      error_code: nullable(t.union([t.string, t.number])),
      error_description: nullable(t.string),
      duration: nullable(t.number),
    }),
  ],
  'DeepintTaskInfo',
);

const statuses = { pending: 'pending', running: 'running', success: 'succeeded', failed: 'failed' } as const;

/**
 * Deep Intelligence's tasks: `pending`, `running`, `success` (the result is `{ [result_type]: result }`, e.g.
 * `{ source: "<id>" }`), `failed` (`error_code` and `error_description`). `progress` (0–100, of the current
 * sub-task) and `subtask` come with each status. No cancel (the API's DELETE removes the record). Any other
 * word ends the wait with {@link UnknownStatusError} (the SDK would end silently).
 *
 * Default waiting, as the SDK's `resolve`: every 3 s, no time limit.
 */
export const deepint = defineDialect({
  name: 'Deep Intelligence',
  status: TaskInfo,
  toReading: (body) => ({
    runStatus: statusFrom(statuses, body.status),
    vendorStatus: body.status,
    ...(typeof body.progress === 'number' ? { progress: body.progress / 100 } : {}),
    ...(typeof body.subtask === 'string' && body.subtask !== '' ? { subtask: body.subtask } : {}),
    ...(body.status === 'success'
      ? { result: typeof body.result_type === 'string' ? { [body.result_type]: body.result } : body.result }
      : {}),
    ...(body.status === 'failed'
      ? {
          failure: {
            ...(body.error_code === undefined || body.error_code === null ? {} : { code: String(body.error_code) }),
            ...(typeof body.error_description === 'string' ? { message: body.error_description } : {}),
          },
        }
      : {}),
  }),
  defaultStrategy: withInterval(3000),
});

/** Options of {@link deepintTask}. */
export interface DeepintTaskOptions<R> extends HttpSourceOptions<R> {
  /** @default "https://app.deepint.net" */
  readonly baseUrl?: string;
  /** Sent as the `x-deepint-organization` header. */
  readonly organizationId: string;
  /** The workspace the task runs in. */
  readonly workspaceId: string;
  /** The task's id, as the call that started it returned it. */
  readonly taskId: string;
}

const deepintTaskOptionNames = optionNamesOf<DeepintTaskOptions<unknown>>()({ baseUrl: true, organizationId: true, workspaceId: true, taskId: true, ...httpSourceOptionKeys });

/**
 * The source of a Deep Intelligence task, from its organisation, workspace and task ids. Credentials go only to
 * `baseUrl`'s origin (the SDK's `from_url` sends the token to whatever host the URL names).
 *
 * @throws TypeError for missing ids or a bad option.
 *
 * @example
 * const source = deepintTask({ organizationId, workspaceId, taskId, headers: { 'x-auth-token': token } });
 * const { source: sourceId } = (await waitForResult(source)) as { source: string };
 */
export function deepintTask<R = unknown>(options: DeepintTaskOptions<R>): TaskSource<R> {
  const fn = 'deepintTask';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, deepintTaskOptionNames);
  const base = checkBaseUrl(fn, 'baseUrl', options?.baseUrl ?? 'https://app.deepint.net');
  const organizationId = checkId(fn, 'organizationId', options.organizationId);
  const url = joinUrl(`${base}/api/v1/workspace`, checkId(fn, 'workspaceId', options.workspaceId), 'task', checkId(fn, 'taskId', options.taskId));
  return createHttpTask(fn, {
    ...without(options, 'baseUrl', 'organizationId', 'workspaceId', 'taskId'),
    url,
    headers: withHeader(options.headers, 'x-deepint-organization', organizationId),
    dialect: deepint,
  });
}
