import type { SimWire } from './wire.js';

/** The farm, queue, job and step of a simulated task. */
const ids = {
  farm: 'farm-0123456789abcdef0123456789abcdef',
  queue: 'queue-0123456789abcdef0123456789abcdef',
  job: 'job-0123456789abcdef0123456789abcdef',
  step: 'step-0123456789abcdef0123456789abcdef',
};

/** The `targetRunStatus` a cancel's body asks for, or undefined when the body is not JSON or names none. */
function targetOf(text: string): unknown {
  try {
    return (JSON.parse(text || '{}') as { targetRunStatus?: unknown } | null)?.targetRunStatus;
  } catch {
    return undefined;
  }
}

/**
 * AWS Deadline Cloud's tasks as the simulator writes them (`GetTask` at `/2023-10-12/farms/…/tasks/{id}`):
 * `READY`, `RUNNING`, `INTERRUPTING`, `SUCCEEDED`, `FAILED`, `CANCELED`, with `createdAt` and a cancel's
 * `targetRunStatus`; cancel by `UpdateTask` (`PATCH` with `targetRunStatus: CANCELED`, the only target taken).
 */
export const deadlineWire: SimWire = {
  route: /^\/2023-10-12\/farms\/[^/]+\/queues\/[^/]+\/jobs\/[^/]+\/steps\/[^/]+\/tasks\/([^/]+)$/,
  locate: (base, id) => ({
    url: `${base}/2023-10-12/farms/${ids.farm}/queues/${ids.queue}/jobs/${ids.job}/steps/${ids.step}/tasks/${encodeURIComponent(id)}`,
    ids: { endpoint: base, farmId: ids.farm, queueId: ids.queue, jobId: ids.job, stepId: ids.step, taskId: id },
  }),
  words: { pending: 'READY', running: 'RUNNING', canceling: 'INTERRUPTING', succeeded: 'SUCCEEDED', failed: 'FAILED', canceled: 'CANCELED' },
  statusBody: (status) => ({
    taskId: status.id,
    runStatus: status.word,
    createdAt: new Date(status.wallClockMs - Math.round(status.ageMs)).toISOString(),
    createdBy: 'simulator',
    ...(status.phase === 'failed' ? { failureRetryCount: 2 } : {}),
    ...(status.cancelRequested ? { targetRunStatus: 'CANCELED' } : {}),
  }),
  cancel: {
    method: 'PATCH',
    refusal: (text) => (targetOf(text) === 'CANCELED' ? undefined : { message: 'The simulator only takes targetRunStatus CANCELED.' }),
    accepted: { status: 200, body: {} },
  },
};
