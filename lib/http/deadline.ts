import * as t from 'io-ts';
import type { TaskSource } from '../task-source.js';
import { withInterval } from '../strategies/with-interval.js';
import { defineDialect, statusFrom } from './dialect.js';
import { createHttpTask, httpSourceOptionKeys, type HttpSourceOptions } from './http-task.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { checkBaseUrl, checkId, joinUrl, without } from './paths.js';

/** Deadline Cloud's `GetTask` response. */
const GetTask = t.intersection(
  [
    t.type({ taskId: t.string, runStatus: t.string }),
    t.partial({ targetRunStatus: t.string, failureRetryCount: t.number, latestSessionActionId: t.string }),
  ],
  'DeadlineGetTask',
);

// All twelve TaskRunStatus values. AWS gives no task-level terminal set; this follows the mapping table:
// the five pre-execution states are pending, INTERRUPTING is a cancel (or suspend) being carried out.
const statuses = {
  PENDING: 'pending',
  READY: 'pending',
  ASSIGNED: 'pending',
  SCHEDULED: 'pending',
  STARTING: 'pending',
  RUNNING: 'running',
  INTERRUPTING: 'canceling',
  SUSPENDED: 'suspended',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELED: 'canceled',
  NOT_COMPATIBLE: 'failed',
} as const;

/**
 * AWS Deadline Cloud's tasks (`GetTask`): its twelve run statuses mapped as the table in docs/vendors/deadline.md
 * says; `SUSPENDED` keeps polling (the task may resume: bound the wait). `FAILED` and `NOT_COMPATIBLE` fail with
 * that code; a succeeded task's result is the `GetTask` answer itself (outputs are files). Cancel is `UpdateTask`
 * with `targetRunStatus: CANCELED` and an idempotency token (`X-Amz-Client-Token`).
 *
 * Requests must be SigV4-signed: pass a signing `fetch` (see docs/vendors/deadline.md).
 *
 * Default waiting, as the SDK's job waiters: every 15 s, giving up after an hour.
 */
export const deadline = defineDialect({
  name: 'Deadline Cloud',
  status: GetTask,
  toReading: (body) => ({
    runStatus: statusFrom(statuses, body.runStatus),
    vendorStatus: body.runStatus,
    ...(body.runStatus === 'SUCCEEDED' ? { result: body } : {}),
    ...(body.runStatus === 'FAILED'
      ? {
          failure: {
            code: 'FAILED',
            message: `Deadline Cloud reports the task FAILED${body.failureRetryCount === undefined ? '' : ` after ${body.failureRetryCount} retries`}; see its session logs`,
            details: { failureRetryCount: body.failureRetryCount },
          },
        }
      : {}),
    ...(body.runStatus === 'NOT_COMPATIBLE'
      ? { failure: { code: 'NOT_COMPATIBLE', message: 'no worker fleet compatible with the task is associated with the queue' } }
      : {}),
  }),
  cancel: (statusUrl, { idempotencyToken }) => ({
    method: 'PATCH',
    url: statusUrl,
    headers: { 'x-amz-client-token': idempotencyToken },
    body: { targetRunStatus: 'CANCELED' },
  }),
  defaultStrategy: withInterval(15_000, { maxWaitMs: 3_600_000 }),
});

/** Options of {@link deadlineTask}. */
export interface DeadlineTaskOptions<R> extends HttpSourceOptions<R> {
  /** The management endpoint, e.g. `https://management.deadline.us-west-2.amazonaws.com`. */
  readonly endpoint: string;
  /** The farm id (`farm-…`). */
  readonly farmId: string;
  /** The queue id (`queue-…`). */
  readonly queueId: string;
  /** The job id (`job-…`). */
  readonly jobId: string;
  /** The step id (`step-…`). */
  readonly stepId: string;
  /** The task id (`task-…`). */
  readonly taskId: string;
}

const deadlineTaskOptionNames = optionNamesOf<DeadlineTaskOptions<unknown>>()({ endpoint: true, farmId: true, queueId: true, jobId: true, stepId: true, taskId: true, ...httpSourceOptionKeys });

/**
 * The source of a Deadline Cloud task, from its five ids (`GET /2023-10-12/farms/{farmId}/queues/{queueId}/
 * jobs/{jobId}/steps/{stepId}/tasks/{taskId}`).
 *
 * @throws TypeError for a missing id or a bad option.
 *
 * @example
 * const source = deadlineTask({ endpoint, farmId, queueId, jobId, stepId, taskId, fetch: sigv4Fetch });
 * pollTask$(source, withInterval(5000)).pipe(cancelOnUnsubscribe()).subscribe(render);
 */
export function deadlineTask<R = unknown>(options: DeadlineTaskOptions<R>): TaskSource<R> {
  const fn = 'deadlineTask';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, deadlineTaskOptionNames);
  const base = checkBaseUrl(fn, 'endpoint', options?.endpoint);
  const url = joinUrl(
    `${base}/2023-10-12/farms`,
    checkId(fn, 'farmId', options.farmId),
    'queues',
    checkId(fn, 'queueId', options.queueId),
    'jobs',
    checkId(fn, 'jobId', options.jobId),
    'steps',
    checkId(fn, 'stepId', options.stepId),
    'tasks',
    checkId(fn, 'taskId', options.taskId),
  );
  return createHttpTask(fn, { ...without(options, 'endpoint', 'farmId', 'queueId', 'jobId', 'stepId', 'taskId'), url, dialect: deadline });
}
